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
            # Its first two bytes are the message length (big-endian); edits follow.
            message_edit)
                len=$(wc -c < "$f")
                {
                    printf "\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $((len & 255)))"
                    cat "$f"
                    printf '\x00\x00\x03Via\x05x;y=z\x04\x01\x05\x02\x0269'
                } > "$dir/$(basename "$f")"
                ;;
            *) cp "$f" "$dir/" ;;
        esac
    done
done
echo "seeded $(ls "$here"/corpus | wc -l) corpora"
