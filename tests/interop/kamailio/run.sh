#!/usr/bin/env bash
# Kamailio as the IMS core instead of the `scscf` example (tests/interop/kamailio/kamailio.cfg).
#
# Starts Kamailio in the foreground on 127.0.0.1 (a free port, runtime files in a temporary
# directory, no root needed), trusting only the edge's core-facing address 127.0.0.2, then:
#   1. sipp checks of the configuration itself: a request or an Annex U REGISTER from
#      another address gets 403; a REGISTER from the edge's address without
#      integrity-protected="auth-done" gets 403; one with it gets 200 with Path,
#      Service-Route and P-Associated-URI;
#   2. the `epcscf` example pointed at it: a sipp client with a token registers through the
#      edge and gets Kamailio's 200 (Service-Route of Kamailio's own URI); the `wic` example
#      as alice sends bob (another wic) a MESSAGE and calls him (180, 200, ACK, BYE);
#   3. the browser test (tests/browser/run.sh) with Kamailio as its core: from https pages
#      over wss://, the registration checks, SIP.js with CRLF keep-alives, and two JsSIP
#      user agents exchanging a MESSAGE and a call with media.
# Everything it started is stopped on exit, however it ends; each step is bounded.
#
# Needs kamailio (Debian: apt-get install -y kamailio), sipp (sip-tester), python3, and what
# tests/browser/run.sh needs (node, npm, chromium). KAMAILIO_TEST_VERBOSE=1 prints the logs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
examples="$target/debug/examples"

home=ims.mnc001.mcc001.3gppnetwork.org
issuer=https://waf.example
audience=epcscf.visited.example
core_ip=127.0.0.1
# The edge talks to the core from its own address, so "from the edge" means something.
edge_ip="${KAMAILIO_EDGE_IP:-127.0.0.2}"
other_ip=127.0.0.1
verbose="${KAMAILIO_TEST_VERBOSE:-0}"

fail() { echo "kamailio: $*" >&2; exit 1; }
# A log line appears a moment after the message it reports was sent (the peer may see
# the message first): look again for up to 5 s.
log_has() {
    for ((n = 0; n < 50; n++)); do
        grep -q "$1" "$2" && return 0
        sleep 0.1
    done
    return 1
}

kamailio="${KAMAILIO:-$(command -v kamailio || echo /usr/sbin/kamailio)}"
[[ -x "$kamailio" ]] || fail "kamailio not found (apt-get install -y kamailio, or set KAMAILIO)"
command -v sipp >/dev/null || fail "sipp not found (apt-get install -y sip-tester)"
command -v python3 >/dev/null || fail "python3 not found"

work="$(mktemp -d "${TMPDIR:-/tmp}/sip-oauth-kamailio.XXXXXX")"
pids=()
passed=0
failed=0

stop_all() {
    local pid i
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "kamailio: process $pid did not stop on SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

cleanup() {
    local rc=$?
    stop_all
    if [[ "$rc" != 0 || "$verbose" == 1 ]]; then
        for log in "$work"/*.log; do
            [[ -s "$log" ]] || continue
            echo "# --- $(basename "$log")"
            grep -v '^[[:space:]]*$' "$log" | sed 's/^/# /' | tail -n 200
        done
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "not ok - interrupted"; exit 130' INT TERM HUP

# ok NAME COMMAND...: one check; the command's output goes to the log when it fails.
ok() {
    local name="$1"
    shift
    if "$@" >"$work/check.out" 2>&1; then
        passed=$((passed + 1))
        echo "ok - $name"
    else
        failed=$((failed + 1))
        echo "not ok - $name"
        sed 's/^/  /' "$work/check.out" | tail -n 60
    fi
}

# A port free for both UDP and TCP on an address.
free_port() {
    python3 - "$1" <<'EOF'
import socket, sys
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind((sys.argv[1], 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind((sys.argv[1], port))
    except OSError:
        t.close()
        continue
    print(port)
    break
else:
    sys.exit("no free port")
EOF
}

# sip_probe FROM_IP TO_IP:PORT: sends an OPTIONS over UDP, prints the status line of the answer.
sip_probe() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys, uuid
src = sys.argv[1]
host, port = sys.argv[2].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(0.5)
lp = s.getsockname()[1]
msg = (
    f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
    f"Via: SIP/2.0/UDP {src}:{lp};branch=z9hG4bK{uuid.uuid4().hex}\r\n"
    "Max-Forwards: 70\r\n"
    f"From: <sip:probe@{src}>;tag=p1\r\nTo: <sip:{host}>\r\n"
    f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)
s.sendto(msg.encode(), (host, int(port)))
try:
    print(s.recv(65535).decode(errors="replace").split("\r\n", 1)[0])
except socket.timeout:
    sys.exit("no answer")
EOF
}

# sipp_run SCENARIO FROM_IP TO_ADDR [-key K V]...: one call of a scenario, bounded.
sipp_run() {
    local scenario="$1" from="$2" to="$3"
    shift 3
    timeout --kill-after=5 20 sipp "$to" -sf "$scenario" -i "$from" -m 1 -timeout 10s \
        -timeout_error -nostdin -trace_err -error_file "$work/sipp-errors.txt" \
        -key home "$home" "$@" </dev/null
}

# ---------------------------------------------------------------------------------------
# Build what runs below.
(cd "$root" && cargo build --examples --quiet)
for program in epcscf waf wic; do
    [[ -x "$examples/$program" ]] || fail "$examples/$program missing after the build"
done

# ---------------------------------------------------------------------------------------
# Kamailio.
core_port="$(free_port "$core_ip")"
core="$core_ip:$core_port"
mkdir -p "$work/run"
"$kamailio" -DD -E -m 64 -M 8 -f "$here/kamailio.cfg" \
    -Y "$work/run" -P "$work/run/kamailio.pid" -w "$work/run" \
    -A "CORE_IP=$core_ip" -A "CORE_PORT=$core_port" -A "EDGE_IP=\"$edge_ip\"" \
    >"$work/kamailio.log" 2>&1 &
pids+=($!)
kamailio_pid=$!

# Ready when it answers; from an address other than the edge's the answer is a 403.
answer=""
for ((i = 0; i < 40; i++)); do
    kill -0 "$kamailio_pid" 2>/dev/null || fail "kamailio exited at start (log above)"
    if answer="$(sip_probe "$other_ip" "$core" 2>/dev/null)"; then
        break
    fi
    sleep 0.25
done
[[ -n "$answer" ]] || fail "kamailio did not answer on $core within 10 s"
echo "# kamailio on udp+tcp $core (pid $kamailio_pid), trusting the edge at $edge_ip"

annex_u="Digest username=\"carol@$home\", realm=\"$home\", uri=\"sip:$home\", nonce=\"\", response=\"\", integrity-protected=\"auth-done\""

check_probe() { [[ "$answer" == "SIP/2.0 403 "* ]] || { echo "answer: $answer"; return 1; }; }
ok "kamailio: an OPTIONS not from the edge gets 403" check_probe

ok "kamailio: an Annex U REGISTER not from the edge's address gets 403" \
    sipp_run "$here/core_register_refused.xml" "$other_ip" "$core" -key user carol -key auth "$annex_u"

ok "kamailio: a REGISTER from the edge's address with a Bearer token gets 403" \
    sipp_run "$here/core_register_refused.xml" "$edge_ip" "$core" -key user carol \
    -key auth "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"

ok "kamailio: a Digest REGISTER from the edge's address without auth-done gets 403" \
    sipp_run "$here/core_register_refused.xml" "$edge_ip" "$core" -key user carol \
    -key auth "${annex_u/auth-done/tls-yes}"

# carol's Path points at a sipp standing for her flow at the edge.
callee_port="$(free_port "$edge_ip")"
ok "kamailio: an Annex U REGISTER from the edge's address gets 200 with Path, Service-Route, P-Associated-URI" \
    sipp_run "$here/core_register.xml" "$edge_ip" "$core" -key user carol -key auth "$annex_u" \
    -key path "$edge_ip:$callee_port"

route_between_users() {
    local callee rc=0
    timeout --kill-after=5 30 sipp -sf "$here/core_callee.xml" -i "$edge_ip" -p "$callee_port" \
        -m 1 -timeout 20s -timeout_error -nostdin </dev/null \
        >"$work/callee.out" 2>&1 &
    callee=$!
    pids+=("$callee")
    sleep 0.3
    sipp_run "$here/core_caller.xml" "$edge_ip" "$core" -key from erin -key to carol -key core "$core" || rc=$?
    wait "$callee" || { echo "the callee's side failed:"; cat "$work/callee.out"; rc=1; }
    return "$rc"
}
ok "kamailio: over its Service-Route, a MESSAGE and a call (INVITE, ACK, BYE) reach the callee along the Path; 404 for an unknown user" \
    route_between_users

# ---------------------------------------------------------------------------------------
# The epcscf example in front of Kamailio, a sipp client registering through it.
secret="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
edge_port="$(free_port 127.0.0.1)"
ws_port="$(free_port 127.0.0.1)"
"$examples/epcscf" --ws-listen "127.0.0.1:$ws_port" --udp-listen "127.0.0.1:$edge_port" --tcp-listen off \
    --core "$core" --core-bind "$edge_ip:0" --core-transport udp --home-domain "$home" \
    --issuer "$issuer" --audience "$audience" --scope sip --hmac-secret "$secret" \
    --allow-insecure-transport true >"$work/epcscf.log" 2>&1 &
pids+=($!)
edge_pid=$!
for ((i = 0; i < 40; i++)); do
    grep -q 'epcscf: listening' "$work/epcscf.log" && break
    kill -0 "$edge_pid" 2>/dev/null || fail "epcscf exited at start (log above)"
    sleep 0.25
done
grep -q 'epcscf: listening' "$work/epcscf.log" || fail "epcscf did not start within 10 s"

token="$("$examples/waf" --secret "$secret" --issuer "$issuer" --audience "$audience" \
    --home-domain "$home" --user dave)"
register_through_edge() {
    sipp_run "$root/tests/interop/register_ok.xml" 127.0.0.1 "127.0.0.1:$edge_port" \
        -key user dave -key token "$token" &&
        log_has "core: REGISTER aor=sip:dave@$home outcome=200" "$work/kamailio.log" &&
        log_has "outcome=relayed reason=core answered 200 service-route=sip:orig@$core;lr" "$work/epcscf.log"
}
ok "edge + kamailio: a client with a token registers through epcscf and gets Kamailio's 200" \
    register_through_edge

# The wic example: bob stays registered answering; alice sends him a MESSAGE and calls him.
wic_message_and_call() {
    local bob_pid rc=0 url="ws://127.0.0.1:$ws_port/" t_alice t_bob i
    t_alice="$("$examples/waf" --secret "$secret" --issuer "$issuer" --audience "$audience" \
        --home-domain "$home" --user alice)"
    t_bob="$("$examples/waf" --secret "$secret" --issuer "$issuer" --audience "$audience" \
        --home-domain "$home" --user bob)"
    timeout --kill-after=5 30 "$examples/wic" --url "$url" --user bob --home-domain "$home" \
        --token "$t_bob" --wait 6 >"$work/wic-bob.out" 2>&1 &
    bob_pid=$!
    pids+=("$bob_pid")
    for ((i = 0; i < 40; i++)); do
        grep -q '^register: SIP/2.0 200' "$work/wic-bob.out" && break
        sleep 0.1
    done
    grep -q '^register: SIP/2.0 200' "$work/wic-bob.out" || { echo "bob did not register:"; cat "$work/wic-bob.out"; return 1; }
    timeout --kill-after=5 20 "$examples/wic" --url "$url" --user alice --home-domain "$home" \
        --token "$t_alice" --message "sip:bob@$home" --text "hello from alice" \
        --call "sip:bob@$home" --talk 300 >"$work/wic-alice.out" 2>&1 || rc=$?
    wait "$bob_pid" || { echo "bob's wic failed"; rc=1; }
    local want
    for want in '^message: SIP/2.0 200' '^call: SIP/2.0 200 .*180' '^hang up: SIP/2.0 200'; do
        grep -Eq "$want" "$work/wic-alice.out" || { echo "alice: no line matching $want"; rc=1; }
    done
    for want in '^received: Message .*hello from alice' '^received: Invite' '^received: Ack' '^received: Bye'; do
        grep -Eq "$want" "$work/wic-bob.out" || { echo "bob: no line matching $want"; rc=1; }
    done
    grep -q "core: INVITE sip:bob@$home from=sip:alice@$home outcome=routed" "$work/kamailio.log" ||
        { echo "kamailio did not log routing the INVITE"; rc=1; }
    if [[ "$rc" != 0 ]]; then
        echo "--- alice"; cat "$work/wic-alice.out"; echo "--- bob"; cat "$work/wic-bob.out"
    fi
    return "$rc"
}
ok "edge + kamailio: wic alice sends wic bob a MESSAGE and calls him (180, 200, ACK, BYE)" \
    wic_message_and_call

# ---------------------------------------------------------------------------------------
# The browser test with Kamailio as its core (it starts its own epcscf).
browser() {
    SIP_OAUTH_CORE="$core" SIP_OAUTH_CORE_BIND="$edge_ip:0" \
        SIP_OAUTH_CORE_LOG="$work/kamailio.log" SIP_OAUTH_CORE_NAME=kamailio \
        bash "$root/tests/browser/run.sh"
}
if browser; then
    passed=$((passed + 1))
    echo "ok - browser (JsSIP and SIP.js in Chromium, https page, wss) through epcscf to kamailio"
else
    failed=$((failed + 1))
    echo "not ok - browser (JsSIP and SIP.js in Chromium, https page, wss) through epcscf to kamailio"
fi

kill -0 "$kamailio_pid" 2>/dev/null || { failed=$((failed + 1)); echo "not ok - kamailio still running at the end"; }

echo "kamailio: $passed passed, $failed failed"
[[ "$failed" == 0 ]]
