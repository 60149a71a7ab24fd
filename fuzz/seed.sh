#!/usr/bin/env bash
# Adds seeds to every fuzz target's corpus: the stored sample, RFC 4475 and golden
# messages, tokens minted here for the JWT target, configuration documents for the spec
# target. The minimised corpora in corpus/<target>/ are committed; the seeds written here
# are named seed-* and not committed (.gitignore), so running this leaves the tree clean.
# run.sh runs it before every campaign, so a new target starts from its seeds.
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
    { printf '\x01'; printf %s "$header"; printf '\x00'; printf %s "$claims"; } > "$dir/seed-signed_by_target"
    for f in "$data"/jwt/rfc7515/*.jws; do
        { printf '\x00'; cat "$f"; } > "$dir/seed-$(basename "$f")"
    done
    { printf '\x01'; printf '{"alg":"HS256"}'; printf '\x00'; printf %s "$claims" | sed 's/bob@home.example/bob@home.example\\r\\nVia: x/'; } > "$dir/seed-crlf_impi"
    { printf '\x01'; printf '{"alg":"HS256"}'; printf '\x00'; printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'; } > "$dir/seed-nested"
    if ! command -v openssl >/dev/null; then
        echo "openssl not found: no minted JWT seeds" >&2
        return 0
    fi
    input="$(printf %s "$header" | b64url).$(printf %s "$claims" | b64url)"
    sig="$(printf %s "$input" | openssl dgst -sha256 -mac HMAC \
        -macopt key:fuzz-secret-0123456789abcdef0123 -binary | b64url)"
    { printf '\x00'; printf %s "$input.$sig"; } > "$dir/seed-hs256_valid"
    local rs_header='{"alg":"RS256","kid":"rsa-1"}'
    input="$(printf %s "$rs_header" | b64url).$(printf %s "$claims" | b64url)"
    sig="$(printf %s "$input" | openssl dgst -sha256 -sign "$data/jwt/rsa_private.pem" -binary | b64url)"
    { printf '\x00'; printf %s "$input.$sig"; } > "$dir/seed-rs256_valid"
}

# Configuration documents (sip_oauth::spec): the full example of the spec module, each
# half on its own, a JWK Set and a PEM key inline, and documents with a bad key or value.
json_text() { sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g'; }
spec_seeds() {
    local dir="$1"
    local edge='{"home_domain": "ims.example", "edge_host": "pcscf.example:5060",
 "flow_key": {"hex": "000102030405060708090a0b0c0d0e0f"}, "realm": "ims.example",
 "visited_network_id": "visited.example", "orig_ioi": "visited.example",
 "core_transport": "tcp", "token_location": "authorization,header:X-Token",
 "expiry_policy": "reject", "auth_entity": "auth-param:auth-entity",
 "challenge_scope": "sip:register", "authz_server": "https://waf.example/token",
 "reply_to_tag": "ep", "require_secure_transport": true,
 "limits": {"max_message_bytes": 65536, "max_headers": 128, "max_line_bytes": 4096}}'
    local jwt='{"key": {"hmac_secret": {"text": "an-hs256-secret-of-at-least-32-bytes"}},
 "algorithms": ["HS256"], "issuer": "https://waf.example", "audience": ["ims.example"],
 "required_scopes": "sip", "leeway_seconds": 30, "require_exp": true,
 "require_at_jwt": false, "max_token_bytes": 8192, "backend": "aws_lc",
 "claims": {"impi": ["impi", "sub"], "impus": "impus", "require_impus": false,
            "wwsf": null, "auth_entity": "issuer"}}'
    printf '{"edge": %s, "jwt": %s}' "$edge" "$jwt" > "$dir/seed-full.json"
    printf %s "$edge" > "$dir/seed-edge.json"
    printf %s "$jwt" > "$dir/seed-jwt.json"
    printf '{"edge": {"home_domain": "ims.example", "edge_host": "pcscf.example",
 "flow_key": {"base64": "MDEyMzQ1Njc4OWFiY2RlZg"}, "token_location": ["transport", "cookie:t"]},
 "jwt": {"key": {"jwks": %s}, "algorithms": ["RS256", "ES256", "EdDSA"]}}' \
        "$(cat "$data"/jwt/jwks_all.json)" > "$dir/seed-jwks.json"
    printf '{"edge": {"home_domain": "ims.example", "edge_host": "pcscf.example",
 "flow_key": {"text": "0123456789abcdef"}, "expiry_policy": "cap", "auth_entity": "header:P-Auth-Entity"},
 "jwt": {"key": {"pem": "%s"}, "issuer": ["a", "b"], "claims": {"impi": "sub", "auth_entity": "fixed:waf.example"}}}' \
        "$(json_text < "$data"/jwt/rsa_public.pem)" > "$dir/seed-pem.json"
    printf '{"edge": {"home_domain": "ims.example", "edge_host": "pcscf.example",
 "flow_key": {"text": "short"}, "realm": "a\\r\\nb", "limits": {"max_headers": 0}},
 "jwt": {"key": {"hmac_secret": {"hex": "0g"}}, "leeway_seconds": 99999, "algorithms": [],
 "claims": {"impi": [], "auth_entity": "claim:waf"}}, "unknown": 1}' > "$dir/seed-bad.json"
}

for target in "$here"/fuzz_targets/*.rs; do
    name="$(basename "$target" .rs)"
    dir="$here/corpus/$name"
    mkdir -p "$dir"
    if [ "$name" = jwt_validate ]; then
        jwt_seeds "$dir"
        continue
    fi
    if [ "$name" = spec_json ]; then
        spec_seeds "$dir"
        continue
    fi
    for f in "$data"/rfc4475/*.dat "$data"/samples/*.sip "$data"/golden/*.sip; do
        out="$dir/seed-$(basename "$f")"
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
            # The same (0x3b: WSS on flow 7, where the target's registration is).
            edge_client_response) { printf '\x3b'; cat "$f"; } > "$out" ;;
            # The same; its bits 5 and 6 also pick the refusal given as the late verdict.
            edge_pending)
                { printf '\x3c'; cat "$f"; } > "$out"
                { printf '\x7c'; cat "$f"; } > "$out.oversized"
                ;;
            *) cp "$f" "$out" ;;
        esac
    done
done
# Inputs that fuzzing found a fault with (each also a regression test in tests/), kept as
# seeds so that minimising a corpus never drops them.
found() {
    local name="$1" file="$2" bytes="$3"
    printf "$bytes" > "$here/corpus/$name/seed-found-$file"
}
# tests/message_framer.rs a_trailing_lone_cr_does_not_hold_back_the_crlfs_before_it
found stream_framer crlf-cr '\x0d\x63\x0d\x0a\x0d'
# tests/spec.rs a_document_that_is_not_an_object_is_refused_naming_the_document
found spec_json array-document '["edge", {"key": {"pem": "x"}}]'
# tests/spec.rs an_unknown_key_ending_in_a_question_mark_is_named_whole
found spec_json question-mark '{"edg?": 1}'

echo "seeded $(ls "$here"/corpus | wc -l) corpora"
