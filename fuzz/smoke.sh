#!/usr/bin/env bash
# CI smoke test of the fuzz targets: builds fuzz/ with cargo-afl and runs
# every target of run.sh for SMOKE_SECONDS (default 20) seconds each, one
# after another. Exit status 1 if any target crashed or failed to run.
# Without cargo-afl, and no way to install it (no network...), it prints
# "SKIP: <reason>" and exits 0: fuzzing is an extra, not a build dependency.
#   fuzz/smoke.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${SMOKE_SECONDS:-20}
targets=$(sed -n 's/^targets="\(.*\)"$/\1/p' "$here/run.sh")
[ -n "$targets" ] || { echo "smoke: no target list in run.sh" >&2; exit 1; }
skip() {
  echo "################################################################"
  echo "SKIP: $1"
  echo "################################################################"
  exit 0
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! command -v cargo-afl >/dev/null; then
  echo "smoke: cargo-afl not found, installing (cargo install --locked cargo-afl)"
  cargo install --locked cargo-afl >"$log" 2>&1 ||
    { tail -5 "$log"; skip "cargo-afl is not installed and 'cargo install --locked cargo-afl' failed"; }
fi
# cargo-afl builds AFL++ itself once per Rust toolchain.
if ! cargo afl config --build >"$log" 2>&1 && ! grep -q 'already built' "$log"; then
  tail -5 "$log"
  skip "cargo-afl could not build AFL++ ('cargo afl config --build' failed)"
fi
command -v openssl >/dev/null || { echo "smoke: the openssl command makes seeds; install it" >&2; exit 1; }

started=$(date +%s)
failed=()
for t in $targets; do
  echo "== $t (${seconds}s)"
  "$here/run.sh" "$t" "$seconds" || failed+=("$t")
done
echo "smoke: ${#failed[@]} failing of $(wc -w <<<"$targets") targets in $(( $(date +%s) - started ))s"
if [ "${#failed[@]}" -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "FAILED: $t (crashes in fuzz/out/$t/default/crashes, log fuzz/out/$t.log)"
  done
  exit 1
fi
