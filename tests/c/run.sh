#!/bin/sh
# Builds the C library (feature `capi`), compiles tests/c/edge_test.c against it with
# warnings as errors, runs it linked statically and dynamically, and once more under
# valgrind when valgrind is installed (a fresh machine: apt-get install -y valgrind).
#
# The C library is built with `cargo rustc --crate-type`, so ordinary `cargo build` and
# `cargo test` never produce (or pay for) the cdylib and staticlib.
#
# Environment: CARGO_TARGET_DIR (default: target), PROFILE (release or dev; default
# dev, which reuses what `cargo test` built), CC (default: gcc), VALGRIND=0 to skip valgrind.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
profile=${PROFILE:-dev}
case "$profile" in
    release) outdir=$target/release ;;
    dev) outdir=$target/debug ;;
    *) echo "PROFILE must be release or dev" >&2; exit 2 ;;
esac
cc=${CC:-gcc}
build=$target/c-test
mkdir -p "$build"

cd "$root"
# The system libraries the static library needs, as rustc reports them.
cargo rustc --lib --profile "$profile" --features capi --crate-type cdylib,staticlib \
    -- --print native-static-libs 2>"$build/rustc.log" || { cat "$build/rustc.log" >&2; exit 1; }
native=$(sed -n 's/.*native-static-libs: //p' "$build/rustc.log" | tail -n 1)

# The header alone is valid C99 and C++ (host stacks are built with either).
"$cc" -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c include/sip_oauth.h
if command -v g++ >/dev/null 2>&1; then
    g++ -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c++ include/sip_oauth.h
fi

cflags="-std=c11 -Wall -Wextra -Werror -O1 -g -I$root/include"
# shellcheck disable=SC2086
"$cc" $cflags -o "$build/edge_test_static" tests/c/edge_test.c \
    "$outdir/libsip_oauth.a" -lpthread $native
# shellcheck disable=SC2086
"$cc" $cflags -o "$build/edge_test_shared" tests/c/edge_test.c \
    -L"$outdir" -Wl,-rpath,"$outdir" -lsip_oauth -lpthread

"$build/edge_test_static" tests/c
"$build/edge_test_shared" tests/c

if [ "${VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
    for linkage in static shared; do
        valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
            "$build/edge_test_$linkage" tests/c
    done
    echo "valgrind: no errors, no leaks"
else
    echo "valgrind not run (not installed, or VALGRIND=0)"
fi
