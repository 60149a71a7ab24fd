#!/usr/bin/env bash
# Seeds every fuzz target's corpus with the stored sample, RFC 4475 and golden messages,
# and the JWT target with tokens minted here. The corpora are not kept in the
# repository; run this before fuzzing from scratch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="$here/../tests/data"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# JWT seeds: an HS256 token valid for the target's HS256 configuration, an RS256 one
# for its JWK Set (key rsa-1), the RFC 7515 examples, and header/claims pairs that the
# target signs itself (mode byte 1).
jwt_seeds() {
    local dir="$1"
    local header='{"alg":"HS256","typ":"at+jwt"}'
    local claims='{"iss":"https://waf.home.example","aud":"epcscf.home.example","sub":"bob","exp":1900000000,"iat":1799999990,"impi":"bob@home.example","impus":["sip:bob@home.example","tel:+15550100123"],"wwsf":"wwsf.web.example","auth_entity":"waf.example","scope":"sip"}'
    local input sig
    { printf '\x01'; printf %s "$header"; printf '\x00'; printf %s "$claims"; } > "$dir/signed_by_target"
    for f in "$data"/jwt/rfc7515/*.jws; do
        { printf '\x00'; cat "$f"; } > "$dir/$(basename "$f")"
    done
    { printf '\x01'; printf '{"alg":"HS256"}'; printf '\x00'; printf %s "$claims" | sed 's/bob@home.example/bob@home.example\\r\\nVia: x/'; } > "$dir/crlf_impi"
    { printf '\x01'; printf '{"alg":"HS256"}'; printf '\x00'; printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'; } > "$dir/nested"
    if ! command -v openssl >/dev/null; then
        echo "openssl not found: no minted JWT seeds" >&2
        return 0
    fi
    input="$(printf %s "$header" | b64url).$(printf %s "$claims" | b64url)"
    sig="$(printf %s "$input" | openssl dgst -sha256 -mac HMAC \
        -macopt key:fuzz-secret-0123456789abcdef0123 -binary | b64url)"
    { printf '\x00'; printf %s "$input.$sig"; } > "$dir/hs256_valid"
    local rs_header='{"alg":"RS256","kid":"rsa-1"}'
    input="$(printf %s "$rs_header" | b64url).$(printf %s "$claims" | b64url)"
    sig="$(printf %s "$input" | openssl dgst -sha256 -sign "$data/jwt/rsa_private.pem" -binary | b64url)"
    { printf '\x00'; printf %s "$input.$sig"; } > "$dir/rs256_valid"
}

for target in "$here"/fuzz_targets/*.rs; do
    name="$(basename "$target" .rs)"
    dir="$here/corpus/$name"
    mkdir -p "$dir"
    if [ "$name" = jwt_validate ]; then
        jwt_seeds "$dir"
        continue
    fi
    for f in "$data"/rfc4475/*.dat "$data"/samples/*.sip "$data"/golden/*.sip; do
        out="$dir/$(basename "$f")"
        case "$name" in
            # Its first two bytes choose piece sizes and limits.
            stream_framer) { printf '\x5a\x00'; cat "$f"; } > "$out" ;;
            # Its first two bytes are the message length (big-endian); edits follow.
            message_edit)
                len=$(wc -c < "$f")
                {
                    printf "\\x$(printf %02x $(((len >> 8) & 255)))\\x$(printf %02x $((len & 255)))"
                    cat "$f"
                    printf '\x00\x00\x03Via\x05x;y=z\x04\x01\x05\x02\x0269'
                } > "$out"
                ;;
            # Its first byte is the length of a transport token that follows it.
            token_extract)
                { printf '\x00'; cat "$f"; } > "$out"
                { printf '\x0dBearer abc.de'; cat "$f"; } > "$out.transport"
                ;;
            # Its first byte picks the transport and the flow.
            edge_request) { printf '\x3c'; cat "$f"; } > "$out" ;;
            *) cp "$f" "$out" ;;
        esac
    done
done
echo "seeded $(ls "$here"/corpus | wc -l) corpora"
