#!/usr/bin/env bash
# Builds and runs every fuzz target in fuzz_targets/ for the given number of seconds
# each (default 60). Exits non-zero as soon as a target finds a crash.
#
# The stable toolchain is enough: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags that
# cargo-fuzz passes for the sanitizer and coverage instrumentation.
set -euo pipefail
secs="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
bash "$here/seed.sh"
shopt -s nullglob
targets=(fuzz_targets/*.rs)
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets" >&2
    exit 1
fi
for t in "${targets[@]}"; do
    name="$(basename "$t" .rs)"
    echo "== $name: ${secs}s"
    cargo fuzz run "$name" "corpus/$name" -- -max_total_time="$secs" -max_len=70000
done
echo "all fuzz targets ran ${secs}s each without a crash"
