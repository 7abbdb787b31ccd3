#!/usr/bin/env bash
# smime vs `openssl cms`, whole processes, on one generated message.
#
#   benches/compare.sh [SIZE_MIB] [REPETITIONS]      defaults: 64 5
#
# Builds the release CLI, generates a SIZE_MIB message (a text part and a
# base64 attachment, CRLF), then runs each operation REPETITIONS times with
# `/usr/bin/time -v` and prints, per operation, the median wall time of both
# tools, the ratio smime/openssl, and both peak RSS values. Same keys
# (RSA-2048 fixtures), same cipher (AES-256-CBC), same digest (SHA-256).
# smime loads its identity from the PKCS#12 file (--p12), as openssl loads
# PEM key files: no store passphrase KDF in the timings (the store-based
# variant is printed too).
set -euo pipefail
size=${1:-64}
reps=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
fx="$here/fixtures"
cargo build --release -q -p smime-cli --manifest-path "$here/Cargo.toml"
bin="$here/target/release/smime"
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

export SMIME_STORE="$work/store.db" SMIME_STORE_PASSPHRASE=bench SMIME_P12_PASSWORD=test-password
"$bin" import --mailbox alice@example.org "$fx/p12/alice.p12" >/dev/null
"$bin" import --mailbox bob@example.org "$fx/p12/bob.p12" >/dev/null

# run NAME CMD... : REPS runs; records "seconds rss_kib" per run in NAME.runs
run() {
    local name=$1; shift
    : > "$name.runs"
    for _ in $(seq "$reps"); do
        /usr/bin/time -v -o "$name.time" "$@" >/dev/null 2>"$name.err" || { cat "$name.err" "$name.time" >&2; exit 1; }
        awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; e=s}
                    /Maximum resident set size/ {r=$2} END {print e, r}' "$name.time" >> "$name.runs"
    done
}
median() { sort -n -k"$2" "$1.runs" | awk -v k="$2" '{v[NR]=$k} END {print v[int((NR+1)/2)]}'; }

ossl_sign=(openssl cms -sign -in msg.eml -signer "$fx/certs/alice.pem" -inkey "$fx/keys/alice.key" -md sha256 -out o-signed.eml)
run o-sign "${ossl_sign[@]}"
run s-sign "$bin" sign --p12 "$fx/p12/alice.p12" --in msg.eml --out signed.eml
run s-sign-store "$bin" sign --mailbox alice@example.org --in msg.eml --out signed.eml
run o-verify openssl cms -verify -in signed.eml -CAfile "$fx/ca/root.pem" -purpose any -out verified.out
run s-verify "$bin" verify --trust "$fx/ca/root.pem" --in signed.eml --out verified.out
run o-encrypt openssl cms -encrypt -aes256 -in msg.eml -out o-enc.eml "$fx/certs/bob.pem"
run s-encrypt "$bin" encrypt --to "$fx/certs/bob.pem" --in msg.eml --out enc.eml
run o-decrypt openssl cms -decrypt -in enc.eml -recip "$fx/certs/bob.pem" -inkey "$fx/keys/bob.key" -out o-dec.out
run s-decrypt "$bin" decrypt --p12 "$fx/p12/bob.p12" --in enc.eml --out dec.out
run s-decrypt-store "$bin" decrypt --mailbox bob@example.org --in enc.eml --out dec.out
cmp -s o-dec.out dec.out || { echo "decrypted outputs differ" >&2; exit 1; }

baseline() { /usr/bin/time -f "%M" -o base.time "$@" >/dev/null 2>&1 || true; cat base.time; }
s_base=$(baseline "$bin" --version)
o_base=$(baseline openssl version)

printf '%s MiB message (%s bytes), %s runs each, median wall time; peak RSS (process baseline: smime %s KiB, openssl %s KiB)\n' \
    "$size" "$(stat -c %s msg.eml)" "$reps" "$s_base" "$o_base"
printf '%-16s %10s %10s %7s %14s %14s\n' operation smime_s openssl_s ratio smime_rss_MiB openssl_rss_MiB
for op in sign verify encrypt decrypt; do
    st=$(median "s-$op" 1); ot=$(median "o-$op" 1)
    sr=$(median "s-$op" 2); orss=$(median "o-$op" 2)
    awk -v op="$op" -v st="$st" -v ot="$ot" -v sr="$sr" -v orss="$orss" \
        'BEGIN {printf "%-16s %10.3f %10.3f %7.2f %14.1f %14.1f\n", op, st, ot, (ot > 0 ? st/ot : 0), sr/1024, orss/1024}'
done
for op in sign-store decrypt-store; do
    st=$(median "s-$op" 1); sr=$(median "s-$op" 2)
    awk -v op="$op" -v st="$st" -v sr="$sr" 'BEGIN {printf "%-16s %10.3f %10s %7s %14.1f %14s\n", op, st, "-", "-", sr/1024, "-"}'
done
