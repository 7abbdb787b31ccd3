#!/usr/bin/env bash
# smime vs `openssl cms` in its best mode (and pyca/cryptography where
# installed), whole processes, on one generated message.
#
#   benches/compare.sh [SIZE_MIB] [REPETITIONS]      defaults: 64 5
#
# Builds the release CLI, generates a SIZE_MIB message (a text part and one
# base64 attachment, CRLF), then runs each operation REPETITIONS times with
# `/usr/bin/time -v`, the tools in turn (peak RSS; the wall time is the whole pipeline's,
# from bash's $EPOCHREALTIME), every tool writing to its standard output, a pipe
# (`| cat`) — verify's content to a file in the work directory, for both tools —
# and prints per operation the median wall time of each tool, the
# ratio smime/openssl, and the median peak RSS. OpenSSL runs in its fastest
# mode: `-binary` (no text canonicalisation; the message is CRLF already)
# and `-stream` for encryption; `-verify -binary` alone turns the CRLF of a
# multipart/signed part into LF before hashing (OpenSSL's multi_split) and
# fails on every CRLF message, so verification adds `-crlfeol`. Same keys (RSA-2048 fixtures), same cipher
# (AES-256-CBC), same digest (SHA-256). smime loads its identity from the
# PKCS#12 file (--p12), as openssl loads PEM key files: no store
# passphrase KDF in the timings (the store-based variant is printed too).
#
# pyca/cryptography (in memory; it has no S/MIME verification): the venv
# target/pyca-venv, or $PYCA_PYTHON; skipped with a note when missing
# (python3 -m venv target/pyca-venv && target/pyca-venv/bin/pip install 'cryptography>=44').
set -euo pipefail
size=${1:-64}
reps=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
fx="$here/fixtures"
cargo build --release -q -p smime-cli --manifest-path "$here/Cargo.toml"
bin="$here/target/release/smime"
pyca=${PYCA_PYTHON:-$here/target/pyca-venv/bin/python}
if ! "$pyca" -c 'import cryptography.hazmat.primitives.serialization.pkcs7' 2>/dev/null; then
    echo "pyca/cryptography not installed ($pyca): no pyca column" >&2
    pyca=
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - "$size" <<'PY'
import base64, os, sys
size = int(sys.argv[1]) << 20
text = b"".join(b"Line %07d of the text part, plain 7-bit ASCII.\r\n" % i for i in range(2000))
head = (b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: large\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
        b"--XYZ\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text +
        b"\r\n--XYZ\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n")
raw = os.urandom(max(size - len(head), 0) * 3 // 4)
b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
open("msg.eml", "wb").write(head + b64 + b"--XYZ--\r\n")
PY

cat > pyca.py <<'PY'
# pyca.py OP FIXTURES IN: sign / encrypt / decrypt IN to stdout, in memory.
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
op, fx, path = sys.argv[1:4]
data = open(path, "rb").read()
cert = lambda n: x509.load_pem_x509_certificate(open(f"{fx}/certs/{n}.pem", "rb").read())
key = lambda n: serialization.load_pem_private_key(open(f"{fx}/keys/{n}.key", "rb").read(), None)
if op == "sign":
    out = (pkcs7.PKCS7SignatureBuilder().set_data(data)
           .add_signer(cert("alice"), key("alice"), hashes.SHA256())
           .sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
elif op == "encrypt":
    builder = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(cert("bob"))
    try:
        from cryptography.hazmat.primitives.ciphers import algorithms
        builder = builder.set_content_encryption_algorithm(algorithms.AES256)
    except AttributeError:
        pass  # cryptography < 45: AES-128-CBC only
    out = builder.encrypt(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.Binary])
else:
    out = pkcs7.pkcs7_decrypt_smime(data, cert("bob"), key("bob"), [])
sys.stdout.buffer.write(out)
PY

export SMIME_STORE="$work/store.db" SMIME_STORE_PASSPHRASE=bench SMIME_P12_PASSWORD=test-password
"$bin" import --mailbox alice@example.org "$fx/p12/alice.p12" >/dev/null
"$bin" import --mailbox bob@example.org "$fx/p12/bob.p12" >/dev/null

# run NAME CMD... : one run, stdout into a pipe; appends "seconds rss_kib" to NAME.runs
run() {
    local name=$1; shift
    local t0=$EPOCHREALTIME
    { /usr/bin/time -v -o "$name.time" "$@" 2>"$name.err" || { cat "$name.err" "$name.time" >&2; exit 1; }; } | cat >/dev/null
    local t1=$EPOCHREALTIME
    awk -v t0="$t0" -v t1="$t1" '/Maximum resident set size/ {r=$NF} END {print t1 - t0, r}' "$name.time" >> "$name.runs"
}
median() { [ -s "$1.runs" ] || { echo -; return; }; sort -n -k"$2" "$1.runs" | awk -v k="$2" '{v[NR]=$k} END {print v[int((NR+1)/2)]}'; }

# Inputs for verify and decrypt, made once by smime (both tools read them).
"$bin" sign --p12 "$fx/p12/alice.p12" --in msg.eml --out signed.eml
"$bin" encrypt --to "$fx/certs/bob.pem" --in msg.eml --out enc.eml

# The tools in turn, run after run (A B A B ...), so a machine whose load
# drifts affects both alike.
rm -f ./*.runs
for _ in $(seq "$reps"); do
    run o-sign openssl cms -sign -binary -in msg.eml -signer "$fx/certs/alice.pem" -inkey "$fx/keys/alice.key" -certfile "$fx/ca/intermediate.pem" -md sha256
    run s-sign "$bin" sign --p12 "$fx/p12/alice.p12" --in msg.eml
    run s-sign-store "$bin" sign --mailbox alice@example.org --in msg.eml
    # Verify writes the verified content to a file in the work directory,
    # both tools alike (smime's --out is never pointed at a device path).
    run o-verify openssl cms -verify -binary -crlfeol -in signed.eml -CAfile "$fx/ca/root.pem" -out verified-o.eml
    run s-verify "$bin" verify --trust "$fx/ca/root.pem" --in signed.eml --out verified-s.eml
    run o-encrypt openssl cms -encrypt -binary -stream -aes256 -in msg.eml "$fx/certs/bob.pem"
    run s-encrypt "$bin" encrypt --to "$fx/certs/bob.pem" --in msg.eml
    run o-decrypt openssl cms -decrypt -binary -in enc.eml -recip "$fx/certs/bob.pem" -inkey "$fx/keys/bob.key"
    run s-decrypt "$bin" decrypt --p12 "$fx/p12/bob.p12" --in enc.eml
    run s-decrypt-store "$bin" decrypt --mailbox bob@example.org --in enc.eml
    if [ -n "$pyca" ]; then
        for op in sign encrypt; do run "p-$op" "$pyca" pyca.py "$op" "$fx" msg.eml; done
        run p-decrypt "$pyca" pyca.py decrypt "$fx" enc.eml
    fi
done
openssl cms -decrypt -binary -in enc.eml -recip "$fx/certs/bob.pem" -inkey "$fx/keys/bob.key" -out o-dec.out
"$bin" decrypt --p12 "$fx/p12/bob.p12" --in enc.eml > s-dec.out
cmp -s o-dec.out s-dec.out || { echo "decrypted outputs differ" >&2; exit 1; }

baseline() { /usr/bin/time -f "%M" -o base.time "$@" >/dev/null 2>&1 || true; cat base.time; }
s_base=$(baseline "$bin" --version)
o_base=$(baseline openssl version)

printf '%s MiB message (%s bytes), %s runs each in turn, median wall time; peak RSS (process baseline: smime %s KiB, openssl %s KiB); load average %s\n' \
    "$size" "$(stat -c %s msg.eml)" "$reps" "$s_base" "$o_base" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %8s %9s %7s %7s %9s %9s %9s\n' operation smime_s openssl_s ratio pyca_s smime_MiB ossl_MiB pyca_MiB
for op in sign verify encrypt decrypt; do
    awk -v op="$op" -v st="$(median "s-$op" 1)" -v ot="$(median "o-$op" 1)" -v pt="$(median "p-$op" 1)" \
        -v sr="$(median "s-$op" 2)" -v orss="$(median "o-$op" 2)" -v pr="$(median "p-$op" 2)" \
        'BEGIN {printf "%-14s %8.3f %9.3f %7.2f %7s %9.1f %9.1f %9s\n", op, st, ot, (ot > 0 ? st/ot : 0),
                (pt == "-" ? "-" : sprintf("%.3f", pt)), sr/1024, orss/1024, (pr == "-" ? "-" : sprintf("%.1f", pr/1024))}'
done
for op in sign-store decrypt-store; do
    awk -v op="$op" -v st="$(median "s-$op" 1)" -v sr="$(median "s-$op" 2)" \
        'BEGIN {printf "%-14s %8.3f %9s %7s %7s %9.1f %9s %9s\n", op, st, "-", "-", "-", sr/1024, "-", "-"}'
done
