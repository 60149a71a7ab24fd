#!/usr/bin/env bash
# Runs fuzz targets one after the other, each for the given number of seconds (default
# 60), from its committed corpus (corpus/<target>/) plus the seeds of seed.sh:
#
#   fuzz/run.sh [SECONDS [TARGET...]]      e.g. fuzz/run.sh 300 edge_request stream_framer
#
# Without targets it runs every one in fuzz_targets/ (new targets are picked up without
# editing this). Exits non-zero as soon as a target finds a crash; its input is left in
# artifacts/<target>/. New inputs that add coverage are written to corpus/<target>/: minimise
# with `cargo fuzz cmin <target> corpus/<target>` before committing them. At the end it
# prints each target's seconds and runs (libFuzzer's stat::number_of_executed_units).
#
# The stable toolchain is enough: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags that
# cargo-fuzz passes for the sanitizer and coverage instrumentation.
set -euo pipefail
secs="${1:-60}"
[ $# -gt 0 ] && shift
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
bash "$here/seed.sh"
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
    shopt -s nullglob
    for t in fuzz_targets/*.rs; do
        names+=("$(basename "$t" .rs)")
    done
fi
if [ "${#names[@]}" -eq 0 ]; then
    echo "no fuzz targets" >&2
    exit 1
fi
for name in "${names[@]}"; do
    if [ ! -f "fuzz_targets/$name.rs" ]; then
        echo "no fuzz target $name (fuzz_targets/$name.rs)" >&2
        exit 1
    fi
done
logs="$here/target/run-logs"
mkdir -p "$logs"
summary=()
for name in "${names[@]}"; do
    echo "== $name: ${secs}s"
    cargo fuzz run "$name" "corpus/$name" -- -max_total_time="$secs" -max_len=70000 \
        -print_final_stats=1 2>&1 | tee "$logs/$name.log"
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log" | tail -1)"
    summary+=("$(printf '%-16s %6ss %12s runs' "$name" "$secs" "${runs:-?}")")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "${#names[@]} fuzz targets ran ${secs}s each without a crash"
