#!/usr/bin/env bash
# Browser interop: builds the example programs, installs the pinned node packages, and
# runs run.mjs (JsSIP in headless Chromium, on an https page, registering over wss://
# through epcscf to scscf; SIP.js registering with CRLF keep-alives; then two JsSIP
# phones exchanging a MESSAGE and an audio call).
# Needs node >= 20, npm and Chromium (Debian: apt-get install -y chromium; or set CHROMIUM).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
    echo "browser: $chromium not found (apt-get install -y chromium, or set CHROMIUM)" >&2
    exit 1
fi

cd "$here"
if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
else
    npm install --no-audit --no-fund --loglevel=error
fi

(cd "$root" && cargo build --examples --quiet)

exec timeout --kill-after=10 150 node "$here/run.mjs"
