#!/usr/bin/env bash
# Runs one AFL++ fuzz target on the stable toolchain (cargo-afl).
#   fuzz/run.sh TARGET SECONDS
#   TARGET: pkcs12 certificate verify decrypt sign mime cms_signed cms_enveloped store_open
# Seeds come from fixtures/ (every fixtures/hostile/ input seeds every
# target; and ../shared/corpus when present); findings go
# to fuzz/out/TARGET. Exit status 1 when AFL++ saved a crash.
set -euo pipefail
targets="pkcs12 certificate verify decrypt sign mime cms_signed cms_enveloped store_open"
target=${1:?target: $targets}
seconds=${2:?seconds}
here=$(cd "$(dirname "$0")" && pwd)
fx="$here/../fixtures"
command -v cargo-afl >/dev/null || cargo install --locked cargo-afl
cd "$here"
# The fuzz crate always builds into fuzz/target (instrumented); the root
# crate's seed-making build honours CARGO_TARGET_DIR.
env -u CARGO_TARGET_DIR cargo afl build --release -q
seeds="$here/out/$target/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
# The smime CLI (release build of the root crate), for seeds it encrypts.
smime_bin() {
  cargo build --release -q -p smime-cli --manifest-path "$here/../Cargo.toml"
  echo "${CARGO_TARGET_DIR:-$here/../target}/release/smime"
}
# The CMS structure of an S/MIME message, DER.
cms_of() { openssl cms -cmsout -inform SMIME -outform DER -in "$1" -out "$2"; }
case "$target" in
  pkcs12) cp "$fx"/p12/alice.p12 "$fx"/p12/alice-legacy.p12 "$fx"/p12/carol-legacy.p12 "$fx"/p12/certs-only.p12 \
             "$fx"/interop/mimekit-rsa.pfx "$fx"/hostile/twokeys.p12 "$seeds"/ ;;
  certificate) cp "$fx"/certs/alice.der "$fx"/certs/carol.pem "$fx"/ca/root.pem "$fx"/hostile/rsa-pss-cert.pem "$seeds"/ ;;
  verify) cp "$fx"/interop/*.eml "$fx"/interop/mimekit-as2-mixed-line-endings.dat "$seeds"/ ;;
  sign) cp "$fx"/interop/thunderbird-alice.dsig.SHA256.multipart.eml "$seeds"/
        printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n' > "$seeds"/8bit.eml ;;
  decrypt)
    bin=$(smime_bin)
    msg=$'Content-Type: text/plain\r\n\r\nhi\r\n'
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" > "$seeds/cbc.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/carol.pem" --cipher aes128-gcm > "$seeds/gcm-ec.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" --oaep > "$seeds/oaep.eml" ;;
  mime)
    cp "$fx"/interop/*.eml "$fx"/interop/mimekit-as2-mixed-line-endings.dat "$seeds"/
    printf 'From: "A. Lice" <alice@example.org> (home)\r\nTo: bob@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary*0="b1"; boundary*1="x"\r\n\r\npreamble\r\n--b1x\r\nContent-Type: text/plain; charset*=utf-8\x27\x27%%C3%%BC\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=\r\n=DFe \r\n--b1x\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\nAw==\r\n--b1x--\r\nepilogue\r\n' > "$seeds"/mixed.eml
    printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGr\xc3\xbc\xc3\x9fe\n' > "$seeds"/8bit-lf.eml ;;
  cms_signed)
    for m in "$fx"/interop/thunderbird-alice.*.eml; do cms_of "$m" "$seeds/$(basename "$m" .eml).der"; done
    printf 'Content-Type: text/plain\r\n\r\nhi\r\n' > "$seeds/msg"
    sign() { openssl cms -sign -in "$seeds/msg" -signer "$fx/certs/$1.pem" -inkey "$fx/keys/$1.key" -outform DER -binary -certfile "$fx/ca/chain.pem" "${@:3}" -out "$seeds/$2"; }
    sign alice alice-detached.der
    sign alice alice-opaque.der -nodetach
    sign alice alice-stream-ber.der -nodetach -stream
    sign alice alice-pss-keyid.der -keyopt rsa_padding_mode:pss -keyid -md sha384
    sign carol carol-ecdsa-noattr.der -noattr -nodetach
    rm "$seeds/msg" ;;
  cms_enveloped)
    bin=$(smime_bin)
    msg=$'Content-Type: text/plain\r\n\r\nhi\r\n'
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" > "$seeds/cbc.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/carol.pem" --cipher aes128-gcm > "$seeds/gcm-ec.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" --to "$fx/certs/carol.pem" --oaep > "$seeds/oaep-two.eml"
    for m in "$seeds"/*.eml; do cms_of "$m" "${m%.eml}.der" && rm "$m"; done
    printf '%s' "$msg" > "$seeds/msg"
    enc() { openssl cms -encrypt -in "$seeds/msg" -outform DER -binary -out "$seeds/$1" "${@:2}"; }
    enc openssl-stream-ber.der -aes-256-cbc -stream "$fx/certs/bob.pem"
    enc openssl-keyid-gcm.der -aes-256-gcm -keyid "$fx/certs/bob.pem" "$fx/certs/carol.pem"
    rm "$seeds/msg" ;;
  store_open)
    # fresh.db made by the crate, fixtures/store/v1.db, and both keyed with
    # the target's raw key (see src/bin/store_seeds.rs and store_open.rs).
    "$here/target/release/store_seeds" "$seeds" ;;
  *) echo "unknown target $target (one of: $targets)" >&2; exit 2 ;;
esac
# Every hostile regression input (fixtures/hostile/, issue 15) seeds every
# target; the CMS targets also get the CMS inside each hostile message.
for h in "$fx"/hostile/*; do cp "$h" "$seeds/hostile-$(basename "$h")"; done
case "$target" in
  cms_signed|cms_enveloped)
    for m in "$fx"/hostile/*.eml; do
      der="$seeds/hostile-$(basename "$m" .eml).der"
      # OpenSSL cannot read a truncated one: the base64 body, decoded.
      cms_of "$m" "$der" 2>/dev/null || sed '1,/^\r\?$/d' "$m" | base64 -di > "$der" 2>/dev/null || true
    done ;;
esac
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
cargo afl fuzz -i "$seeds" -o "$here/out/$target" -V "$seconds" -- "$here/target/release/$target" >"$here/out/$target.log" 2>&1 || true
stats="$here/out/$target/default/fuzzer_stats"
grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|run_time) ' "$stats" || tail -20 "$here/out/$target.log"
crashes=$(grep -E '^saved_crashes ' "$stats" | awk '{print $3}')
[ "${crashes:-0}" = "0" ]
