#!/usr/bin/env bash
# Connections at scale: how much resident memory the example eP-CSCF spends on each
# idle registered client connection, over ws:// and over wss://.
#
#   tests/scale/connections.sh [N]        (N = 10000 by default; also CONNECTIONS=N)
#
# Starts the stand-in S-CSCF and the edge (ws and wss listeners, a self-signed
# certificate made for the run), then for each transport a fresh edge: `load --hold N`
# opens N connections, registers each and prints the edge's VmRSS growth per
# connection. PROFILE=release builds and runs the release binaries (default: debug).
set -euo pipefail

N="${1:-${CONNECTIONS:-10000}}"
PROFILE="${PROFILE:-debug}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SECRET="scale-secret-of-at-least-32-bytes"
PORT_BASE="${PORT_BASE:-17400}"
CORE="127.0.0.1:$PORT_BASE"
WS="127.0.0.1:$((PORT_BASE + 1))"
WSS="127.0.0.1:$((PORT_BASE + 2))"

build_flags=()
[ "$PROFILE" = release ] && build_flags+=(--release)
cargo build -q "${build_flags[@]}" --example epcscf --example scscf --example load
BIN="$ROOT/target/$PROFILE/examples"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Both sides hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"
"$BIN/load" --make-cert "$WORK" >/dev/null

"$BIN/scscf" --listen "$CORE" --tcp off --trusted 127.0.0.1 2>"$WORK/scscf.log" &
PIDS+=($!)

# One edge per transport, so each figure starts from an edge that has served nothing.
measure() {
    local scheme="$1" listen_flags=("${@:2}")
    "$BIN/epcscf" --udp-listen off --tcp-listen off --core "$CORE" \
        --hmac-secret "$SECRET" --issuer https://waf.example \
        --audience epcscf.visited.example --max-registrations $((N + 1000)) \
        "${listen_flags[@]}" 2>"$WORK/epcscf-$scheme.log" &
    local edge=$!
    PIDS+=("$edge")
    local addr
    addr="$([ "$scheme" = wss ] && echo "$WSS" || echo "$WS")"
    for _ in $(seq 50); do
        grep -q "listening" "$WORK/epcscf-$scheme.log" && break
        sleep 0.2
    done
    grep "open files" "$WORK/epcscf-$scheme.log" | sed 's/^[0-9.]* //' || true
    echo "== $scheme: $N connections"
    "$BIN/load" --hold "$N" --url "$scheme://$addr/" --ca "$WORK/cert.pem" \
        --secret "$SECRET" --edge-pid "$edge"
    kill "$edge" 2>/dev/null || true
    wait "$edge" 2>/dev/null || true
}

measure ws --ws-listen "$WS" --allow-insecure-transport true
measure wss --ws-listen off --wss-listen "$WSS" \
    --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
