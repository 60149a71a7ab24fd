#!/usr/bin/env bash
# The example eP-CSCF's own cost: CPU time of the edge process per REGISTER, next to a
# floor measured the same way, a relay that forwards the same datagrams doing no SIP work.
#
#   tests/scale/cost.sh [RATE] [COUNT]   (RATE = 3000 REGISTER/s, COUNT = 10 s of it;
#                                         also RATE=, COUNT=, USERS=, CACHE=, EPCSCF=,
#                                         ROUNDS=)
#
# sipp plays the S-CSCF (tests/scale/scscf.xml, 200 OK to every REGISTER) and the client
# (tests/scale/register.xml over UDP at a fixed rate, `-r RATE -m COUNT`), its REGISTERs
# carrying HS256 bearer tokens of USERS users (default 100) taken in turn from an
# injection file, so each user refreshes its registration. Between them, one after the
# other:
#   floor  examples/floor_relay: datagrams forwarded unchanged both ways;
#   edge   the release epcscf (UDP clients, UDP core), --log-level info, its log written
#          to a file (CACHE=N adds --cache N, the verified-token cache);
#   edge-warn  the same with --log-level warn (no line per message), for the log's share.
# EPCSCF=PATH measures that epcscf binary instead of the one built here; KEEP=1 keeps
# the logs and sipp's statistics.
# Each gets a warm-up run of one REGISTER per user first (not counted: every counted
# REGISTER is a refresh). The CPU time of the process (the sum over its threads of
# /proc/PID/task/*/schedstat, in ns) is read before and after the counted sipp run and
# divided by COUNT; lost is COUNT minus sipp's successful calls. The three are measured
# in turn ROUNDS times (default 3); the table gives each round, the median and its ratio
# to the floor's median, and the lost calls and sipp's retransmissions of all rounds.
# PROFILE=release by default (a measurement); PROFILE=debug runs the debug binaries.
set -euo pipefail

RATE="${1:-${RATE:-3000}}"
COUNT="${2:-${COUNT:-$((RATE * 10))}}"
USERS="${USERS:-100}"
CACHE="${CACHE:-0}"
ROUNDS="${ROUNDS:-3}"
PROFILE="${PROFILE:-release}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SECRET="cost-secret-of-at-least-32-bytes!"
HOME_DOMAIN="ims.mnc001.mcc001.3gppnetwork.org"
ISSUER="https://waf.example"
AUDIENCE="epcscf.visited.example"
PORT_BASE="${PORT_BASE:-17500}"
CORE_PORT="$PORT_BASE"
RELAY_PORT="$((PORT_BASE + 1))"
CLIENT_PORT="$((PORT_BASE + 2))"

build_flags=()
[ "$PROFILE" = release ] && build_flags+=(--release)
cargo build -q "${build_flags[@]}" --example epcscf --example floor_relay
BIN="$ROOT/target/$PROFILE/examples"
# Another build of the edge to measure (one saved from another commit, say).
EPCSCF="${EPCSCF:-$BIN/epcscf}"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# HS256 tokens (RFC 7519) with the claims the example edge checks, one per user.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
mint() {
    local user="$1" now
    now="$(date +%s)"
    local header payload sig
    header="$(printf '%s' '{"alg":"HS256","typ":"JWT","kid":"cost-1"}' | b64url)"
    payload="$(printf '{"iss":"%s","aud":"%s","sub":"%s","impi":"%s@%s","impus":["sip:%s@%s"],"wwsf":"wwsf.example","scope":"sip","iat":%d,"exp":%d}' \
        "$ISSUER" "$AUDIENCE" "$user" "$user" "$HOME_DOMAIN" "$user" "$HOME_DOMAIN" \
        "$now" "$((now + 3600))" | b64url)"
    sig="$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$SECRET" -binary | b64url)"
    printf '%s.%s.%s' "$header" "$payload" "$sig"
}
{
    echo SEQUENTIAL
    for i in $(seq -w 1 "$USERS"); do
        echo "user$i;$(mint "user$i")"
    done
} >"$WORK/users.csv"

# Waits until UDP port $1 is bound.
wait_udp() {
    for _ in $(seq 100); do
        [ -n "$(ss -Hlun "sport = :$1")" ] && return 0
        sleep 0.05
    done
    echo "nothing bound UDP port $1" >&2
    return 1
}

# CPU time of process $1 so far, in ns: its threads' run time (the first field of
# schedstat) summed.
cpu_ns() {
    local sum=0 run _rest f
    for f in /proc/"$1"/task/*/schedstat; do
        read -r run _rest <"$f" || continue
        sum=$((sum + run))
    done
    echo "$sum"
}

# Socket buffers of 4 MiB (sipp sets 64 KiB by default), so that a moment without CPU
# on this shared machine does not drop datagrams at sipp.
sipp_common=(-i 127.0.0.1 -key home "$HOME_DOMAIN" -nostdin -buff_size 4194304)

sipp -sf tests/scale/scscf.xml -p "$CORE_PORT" "${sipp_common[@]}" \
    >"$WORK/scscf.out" 2>&1 &
PIDS+=($!)
wait_udp "$CORE_PORT"

# One sipp client run of $2 REGISTERs against the relay; its statistics in $1.csv.
client() {
    local name="$1" calls="$2"
    sipp "127.0.0.1:$RELAY_PORT" -sf tests/scale/register.xml -inf "$WORK/users.csv" \
        -p "$CLIENT_PORT" -r "$RATE" -m "$calls" "${sipp_common[@]}" \
        -timeout "$((calls / RATE + 30))s" -trace_stat -stf "$WORK/$name.csv" -fd 60 \
        >"$WORK/$name.out" 2>&1 || true
}

# Column $2 of the last line of sipp statistics file $1.
stat_of() {
    awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i }
        END { print (c ? $c : 0) + 0 }' "$1"
}

RESULTS=()
# Runs relay $1 (the command after it), warm-up then the counted run.
measure() {
    local name="$1"
    "${@:2}" 2>"$WORK/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    wait_udp "$RELAY_PORT"
    client "$name-warmup" "$USERS"
    local before after
    before="$(cpu_ns "$pid")"
    client "$name" "$COUNT"
    after="$(cpu_ns "$pid")"
    local ok failed retrans
    ok="$(stat_of "$WORK/$name.csv" 'SuccessfulCall(C)')"
    failed="$(stat_of "$WORK/$name.csv" 'FailedCall(C)')"
    retrans="$(stat_of "$WORK/$name.csv" 'Retransmissions(C)')"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    RESULTS+=("$name $((after - before)) $ok $failed $retrans")
    case "$name" in edge*)
        echo "$name log: $(wc -l <"$WORK/$name.log") lines, $(wc -c <"$WORK/$name.log") bytes"
    esac
}

edge_flags=(--ws-listen off --tcp-listen off --udp-listen "127.0.0.1:$RELAY_PORT"
    --core "127.0.0.1:$CORE_PORT" --core-transport udp --allow-insecure-transport true
    --hmac-secret "$SECRET" --issuer "$ISSUER" --audience "$AUDIENCE" --scope sip
    --home-domain "$HOME_DOMAIN")
[ "$CACHE" != 0 ] && edge_flags+=(--cache "$CACHE")

# The three in turn, ROUNDS times, so that other work on the machine falls on all of them.
for round in $(seq "$ROUNDS"); do
    echo "== round $round of $ROUNDS"
    measure floor "$BIN/floor_relay" --listen "127.0.0.1:$RELAY_PORT" \
        --core "127.0.0.1:$CORE_PORT"
    measure edge "$EPCSCF" "${edge_flags[@]}" --log-level info
    # The same without its info lines (warnings only): what the log itself costs.
    measure edge-warn "$EPCSCF" "${edge_flags[@]}" --log-level warn
done

# us per REGISTER of run $1 (ns).
per() { awk -v n="$1" -v c="$COUNT" 'BEGIN { printf "%.2f", n / c / 1000 }'; }

echo "== $COUNT REGISTERs at $RATE/s over UDP, $USERS users, profile $PROFILE, $ROUNDS rounds"
printf '%-10s %-26s %12s %7s %6s %8s\n' relay 'us/REGISTER each round' median ratio lost retrans
floor_ns=""
for name in floor edge edge-warn; do
    runs=() lost=0 retrans=0
    for r in "${RESULTS[@]}"; do
        read -r n ns ok _failed re <<<"$r"
        [ "$n" = "$name" ] || continue
        runs+=("$ns")
        lost=$((lost + COUNT - ok))
        retrans=$((retrans + re))
    done
    median="$(printf '%s\n' "${runs[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    [ -z "$floor_ns" ] && floor_ns="$median"
    each="$(for ns in "${runs[@]}"; do per "$ns"; printf ' '; done)"
    printf '%-10s %-26s %12s %7s %6s %8s\n' "$name" "$each" "$(per "$median")" \
        "$(awk -v n="$median" -v f="$floor_ns" 'BEGIN { printf "%.2f", n / f }')" \
        "$lost" "$retrans"
done
