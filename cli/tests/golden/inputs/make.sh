#!/usr/bin/env bash
# Makes the input messages of the golden CLI transcripts, once:
#
#   cli/tests/golden/inputs/make.sh PATH/TO/smime
#
# They are committed: signing times, IVs and keys differ on every run, so
# running this again changes the transcripts that quote them (verify and
# decrypt JSON); re-record those with SMIME_GOLDEN_RECORD=1 afterwards.
# Needs the openssl CLI (one message is signed by `openssl cms`) and python3.
set -euo pipefail
smime=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
fx=$(cd "$here/../../../../fixtures" && pwd)
cd "$here"
export SMIME_P12_PASSWORD=test-password
unset SMIME_STORE SMIME_STORE_PASSPHRASE SMIME_NEW_STORE_PASSPHRASE

printf 'From: alice@example.org\nTo: bob@example.org\nSubject: hi\nContent-Type: text/plain; charset=us-ascii\n\nHello Bob, the meeting is at noon.\n' > unsigned.eml
printf 'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: re: hi\r\n\r\nSee you at noon.\r\n' > bob-message.eml
printf 'From: carol@example.org\r\nTo: bob@example.org\r\nSubject: from carol\r\n\r\nSigned with P-256.\r\n' > carol-message.eml

"$smime" sign --p12 "$fx/p12/alice.p12" --in unsigned.eml --out signed-detached.eml
"$smime" sign --p12 "$fx/p12/alice.p12" --opaque --in unsigned.eml --out signed-opaque.eml
"$smime" sign --p12 "$fx/p12/alice.p12" --digest sha512 --in unsigned.eml --out signed-sha512.eml
sed 's/noon/nine/' signed-detached.eml > signed-tampered.eml
"$smime" sign --p12 "$fx/p12/bob.p12" --in bob-message.eml --out signed-bob.eml
"$smime" sign --p12 "$fx/p12/carol.p12" --in carol-message.eml --out signed-p256.eml
printf 'Content-Type: text/plain\r\n\r\nHello from openssl cms\r\n' > openssl-content.txt
openssl cms -sign -from alice@example.org -to bob@example.org -in openssl-content.txt \
    -signer "$fx/certs/alice.pem" -inkey "$fx/keys/alice.key" \
    -certfile "$fx/ca/intermediate.pem" -out signed-by-openssl.eml
rm openssl-content.txt bob-message.eml carol-message.eml

"$smime" encrypt --to "$fx/certs/bob.pem" --in unsigned.eml --out encrypted-cbc.eml
"$smime" encrypt --to "$fx/certs/bob.pem" --cipher aes256-gcm --in unsigned.eml --out encrypted-gcm.eml
"$smime" encrypt --to "$fx/certs/bob.pem" --oaep --cipher aes128-gcm --in unsigned.eml --out encrypted-oaep.eml
"$smime" encrypt --to "$fx/certs/carol.pem" --cipher aes128-gcm --in unsigned.eml --out encrypted-carol.eml
"$smime" sign --p12 "$fx/p12/alice.p12" --in unsigned.eml --out signed-for-encryption.eml
"$smime" encrypt --to "$fx/certs/bob.pem" --to "$fx/certs/alice.pem" --cipher aes256-gcm \
    --in signed-for-encryption.eml --out encrypted-signed.eml
rm signed-for-encryption.eml
# One base64 character flipped two thirds into the body.
python3 - <<'PY'
data = bytearray(open("encrypted-gcm.eml", "rb").read())
at = len(data) * 2 // 3
pos = next(i for i in range(at, len(data)) if chr(data[i]).isalpha())
data[pos] = ord("B") if data[pos] == ord("A") else ord("A")
open("encrypted-gcm-tampered.eml", "wb").write(bytes(data))
PY
ls -l
