#!/usr/bin/env bash
# Runs one AFL++ fuzz target on the stable toolchain (cargo-afl).
#   fuzz/run.sh TARGET SECONDS      TARGET: pkcs12 certificate verify decrypt sign
# Seeds come from fixtures/ (and ../shared/corpus when present); findings go
# to fuzz/out/TARGET. Exit status 1 when AFL++ saved a crash.
set -euo pipefail
target=${1:?target: pkcs12 certificate verify decrypt sign}
seconds=${2:?seconds}
here=$(cd "$(dirname "$0")" && pwd)
fx="$here/../fixtures"
command -v cargo-afl >/dev/null || cargo install --locked cargo-afl
cd "$here"
cargo afl build --release -q
seeds="$here/out/$target/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"
case "$target" in
  pkcs12) cp "$fx"/p12/alice.p12 "$fx"/p12/alice-legacy.p12 "$fx"/p12/carol-legacy.p12 "$fx"/p12/certs-only.p12 \
             "$fx"/interop/mimekit-rsa.pfx "$fx"/hostile/twokeys.p12 "$seeds"/ ;;
  certificate) cp "$fx"/certs/alice.der "$fx"/certs/carol.pem "$fx"/ca/root.pem "$fx"/hostile/rsa-pss-cert.pem "$seeds"/ ;;
  verify) cp "$fx"/interop/*.eml "$fx"/interop/mimekit-as2-mixed-line-endings.dat "$seeds"/ ;;
  sign) cp "$fx"/interop/thunderbird-alice.dsig.SHA256.multipart.eml "$seeds"/
        printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n' > "$seeds"/8bit.eml ;;
  decrypt)
    cargo build --release -q --manifest-path "$here/../Cargo.toml"
    bin="$here/../target/release/smime"
    msg=$'Content-Type: text/plain\r\n\r\nhi\r\n'
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" > "$seeds/cbc.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/carol.pem" --cipher aes128-gcm > "$seeds/gcm-ec.eml"
    printf '%s' "$msg" | "$bin" encrypt --to "$fx/certs/bob.pem" --oaep > "$seeds/oaep.eml" ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
cargo afl fuzz -i "$seeds" -o "$here/out/$target" -V "$seconds" -- "$here/target/release/$target" >"$here/out/$target.log" 2>&1 || true
stats="$here/out/$target/default/fuzzer_stats"
grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|run_time) ' "$stats" || tail -20 "$here/out/$target.log"
crashes=$(grep -E '^saved_crashes ' "$stats" | awk '{print $3}')
[ "${crashes:-0}" = "0" ]
