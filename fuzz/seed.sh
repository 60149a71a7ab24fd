#!/usr/bin/env bash
# Seeds every fuzz target's corpus with the stored sample and RFC 4475 messages.
# The corpora are not kept in the repository; run this before fuzzing from scratch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/../tests/data"
for target in "$here"/fuzz_targets/*.rs; do
    name="$(basename "$target" .rs)"
    dir="$here/corpus/$name"
    mkdir -p "$dir"
    for f in "$data"/rfc4475/*.dat "$data"/samples/*.sip; do
        case "$name" in
            # Its first two bytes choose piece sizes and limits.
            stream_framer) { printf '\x5a\x00'; cat "$f"; } > "$dir/$(basename "$f")" ;;
            *) cp "$f" "$dir/" ;;
        esac
    done
done
echo "seeded $(ls "$here"/corpus | wc -l) corpora"
