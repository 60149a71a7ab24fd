// Browser interop: a JsSIP user agent in headless Chromium, on a page loaded over https,
// registers over SIP secure WebSocket (RFC 7118, wss://) through the `epcscf` example to
// the `scscf` example, carrying its access token as `Authorization: Bearer` (RFC 8898).
// A SIP.js user agent registers the same way with the token in its Registerer's
// extraHeaders, sends CRLF keep-alives (RFC 5626 4.4.1) that the edge answers, and
// un-registers. Then two JsSIP user agents, alice and bob, each in its own page with its
// own token and the browser's fake microphone, register; alice sends bob a MESSAGE and
// calls him, bob answers, audio flows both ways (RTP packets received on each side's
// RTCPeerConnection), and alice hangs up with BYE.
//
// Starts the already-built example programs on 127.0.0.1 with ports the system picks,
// makes a self-signed certificate for 127.0.0.1 for the run (`load --make-cert`), which
// both the https server of the pages (and of the JsSIP and SIP.js browser bundles) and
// the edge's wss:// listener use (Chromium is told to accept it), drives Chromium with
// playwright-core, and stops everything by itself (120 s at most).
//
// Environment: CARGO_TARGET_DIR (default <repo>/target), CHROMIUM (default
// /usr/bin/chromium), BROWSER_TEST_VERBOSE=1 to print the programs' logs and SIP traces.
// Another core instead of the `scscf` example (tests/interop/kamailio/run.sh sets these):
// SIP_OAUTH_CORE=HOST:PORT (UDP; the scscf example is then not started),
// SIP_OAUTH_CORE_BIND=ADDR (the edge's core-facing socket, default 127.0.0.1:0),
// SIP_OAUTH_CORE_LOG=FILE (the core's log, checked for its 200 to each REGISTER),
// SIP_OAUTH_CORE_NAME (its name in the output, default "core").

import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const TARGET = resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VERBOSE = process.env.BROWSER_TEST_VERBOSE === '1';
const EXTERNAL_CORE = process.env.SIP_OAUTH_CORE || null;
const CORE_BIND = process.env.SIP_OAUTH_CORE_BIND || '127.0.0.1:0';
const CORE_LOG = process.env.SIP_OAUTH_CORE_LOG || null;
const CORE_NAME = EXTERNAL_CORE ? process.env.SIP_OAUTH_CORE_NAME || 'core' : 'scscf';

const OVERALL_TIMEOUT_MS = 120_000;
const STARTUP_TIMEOUT_MS = 10_000;
const CASE_TIMEOUT_MS = 15_000;

const HOME = 'ims.mnc001.mcc001.3gppnetwork.org';
const ISSUER = 'https://waf.example';
const AUDIENCE = 'epcscf.visited.example';
const SECRET = randomBytes(32).toString('hex');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // The run's self-signed certificate, for the https pages and the wss:// connections.
  '--ignore-certificate-errors',
  // Media for the call: a fake microphone, granted without asking; ICE candidates on the
  // loopback interface too, so the call needs no other network.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  // Two pages run at once: neither may be slowed down as a background tab.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

// ---------------------------------------------------------------------------------------
// Tokens: HS256 JWTs minted here, independently of the Rust code that verifies them.

const b64url = (data) => Buffer.from(data).toString('base64url');

function mintToken({ user = 'bob', secret = SECRET, lifetime = 3600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  // An expired token is issued far enough in the past to be beyond any clock leeway.
  const iat = lifetime >= 0 ? now : now + lifetime - 600;
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: user,
    impi: `${user}@${HOME}`,
    impus: [`sip:${user}@${HOME}`],
    wwsf: 'wwsf.example',
    scope: 'sip',
    iat,
    exp: lifetime >= 0 ? iat + lifetime : now + lifetime,
  };
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'browser-test' }))}.${b64url(JSON.stringify(claims))}`;
  const sig = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${sig}`;
}

// ---------------------------------------------------------------------------------------
// Child programs.

const children = [];
// The browser profile folder and the certificate's folder, removed however the run ends.
let profile = null;
let certDir = null;

function program(name) {
  const path = join(TARGET, 'debug', 'examples', name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run 'cargo build --examples' first`);
  }
  return path;
}

// Starts `name` and resolves with the first match of `ready` in its log (standard error).
function start(name, args, ready) {
  const child = spawn(program(name), args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { name, child, log: [] };
  children.push(entry);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not report ready within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    let pending = '';
    const onData = (chunk) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        entry.log.push(line);
        if (VERBOSE) console.log(`# ${name}: ${line}`);
        const m = line.match(ready);
        if (m) {
          clearTimeout(timer);
          resolvePromise({ entry, match: m });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      entry.exited = true;
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready`));
    });
  });
}

async function stopAll() {
  await Promise.all(
    children.map(({ child }) => {
      if (child.exitCode !== null || child.signalCode !== null) return null;
      return new Promise((done) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        // The programs shut down cleanly on Ctrl-C.
        child.kill('SIGINT');
      });
    }),
  );
}

// Never leave a program behind, whatever ends this process (playwright-core closes the
// browser on exit by itself).
function killAll() {
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (certDir) rmSync(certDir, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`not ok - interrupted by ${signal}`);
    killAll();
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------
// The pages, JsSIP and SIP.js, served over loopback https.

// A self-signed certificate and key for 127.0.0.1, made for this run: { cert, key } paths.
function makeCert() {
  certDir = mkdtempSync(join(tmpdir(), 'sip-oauth-browser-cert-'));
  const made = spawnSync(program('load'), ['--make-cert', certDir], { encoding: 'utf8', timeout: STARTUP_TIMEOUT_MS });
  const paths = { cert: join(certDir, 'cert.pem'), key: join(certDir, 'key.pem') };
  if (made.status !== 0 || !existsSync(paths.cert) || !existsSync(paths.key)) {
    throw new Error(`load --make-cert failed (${made.status ?? made.error}): ${made.stderr}`);
  }
  return paths;
}

async function browserBundle(entry, globalName) {
  const out = await build({
    entryPoints: [join(HERE, 'node_modules', ...entry)],
    bundle: true,
    format: 'iife',
    globalName,
    platform: 'browser',
    write: false,
    logLevel: 'warning',
  });
  return out.outputFiles[0].text;
}

function serve(files, tls) {
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const path = new URL(req.url, 'https://127.0.0.1').pathname;
    const file = files[path];
    if (!file) {
      // The browser asks for a favicon by itself; answering it keeps the console quiet.
      res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(server));
  });
}

// ---------------------------------------------------------------------------------------
// Checks.

const results = [];
// What the last page exchanged, printed when a check fails.
let lastExchange = [];
// When set, gives the lines to print instead (the call's pages).
let exchangeOf = null;

async function check(name, body) {
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n  ${String(e && e.stack ? e.stack : e).replace(/\n/g, '\n  ')}`);
    const lines = exchangeOf ? await exchangeOf().catch((x) => [`# (no trace: ${x})`]) : lastExchange;
    if (!VERBOSE) for (const line of lines) console.log(line);
  }
}

function assert(cond, what, detail) {
  if (!cond) {
    throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
}

function header(message, name) {
  const re = new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'im');
  const m = message.match(re);
  return m ? m[1].trim() : null;
}

function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Polls `test` until it holds or `ms` pass (for log lines written after the answer).
async function eventually(test, ms = 3000) {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function register(context, baseUrl, cfg) {
  lastExchange = [];
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${baseUrl}/`, { timeout: CASE_TIMEOUT_MS });
    const outcome = await withTimeout(
      page.evaluate((c) => window.register(c), cfg),
      CASE_TIMEOUT_MS,
      'no registration outcome',
    );
    const trace = await page.evaluate(() => window.sipTrace);
    const protocol = await page.evaluate(() => window.negotiatedProtocol);
    const origin = await page.evaluate(() => window.location.origin);
    const secure = await page.evaluate(() => window.isSecureContext);
    const status = await page.textContent('#status');
    lastExchange = [
      ...trace.map((t) => `# ${t.dir === 'out' ? '>>' : '<<'}\n# ${t.text.replace(/\r\n/g, '\n# ')}`),
      ...consoleLines.map((l) => `# console ${l}`),
    ];
    if (VERBOSE) for (const line of lastExchange) console.log(line);
    return { outcome, trace, protocol, origin, secure, status, consoleLines };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------

// The core: the scscf example started here (its log kept in memory), or one already running.
async function startCore() {
  if (EXTERNAL_CORE) {
    const readLog = () => (CORE_LOG && existsSync(CORE_LOG) ? readFileSync(CORE_LOG, 'utf8').split('\n') : []);
    console.log(`# core: ${CORE_NAME} at ${EXTERNAL_CORE}${CORE_LOG ? `, log ${CORE_LOG}` : ''}`);
    return { addr: EXTERNAL_CORE, logged: (test) => !CORE_LOG || readLog().some(test) };
  }
  const scscf = await start(
    'scscf',
    ['--listen', '127.0.0.1:0', '--tcp', 'off', '--trusted', CORE_BIND.replace(/:\d+$/, ''), '--home-domain', HOME],
    /scscf: listening on (\S+)/,
  );
  return { addr: scscf.match[1], logged: (test) => scscf.entry.log.some(test) };
}

async function main() {
  const tls = makeCert();
  const core = await startCore();
  const epcscf = await start(
    'epcscf',
    [
      // wss:// only, with the run's certificate: tokens are accepted over it without
      // --allow-insecure-transport (RFC 6750 5.3).
      '--ws-listen', 'off',
      '--wss-listen', '127.0.0.1:0',
      '--tls-cert', tls.cert,
      '--tls-key', tls.key,
      '--udp-listen', 'off',
      '--tcp-listen', 'off',
      '--core', core.addr,
      '--core-bind', CORE_BIND,
      '--core-transport', 'udp',
      '--home-domain', HOME,
      '--issuer', ISSUER,
      '--audience', AUDIENCE,
      '--scope', 'sip',
      '--hmac-secret', SECRET,
      // The Authorization header when present, else the token of the WebSocket handshake.
      '--token-location', 'any',
    ],
    /epcscf: listening .*\bwss=(\S+)/,
  );
  const wsUrl = `wss://${epcscf.match[1]}`;

  const server = await serve({
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(join(HERE, 'page.html')) },
    '/call.html': { type: 'text/html; charset=utf-8', body: readFileSync(join(HERE, 'call.html')) },
    '/trace.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(HERE, 'trace.js')) },
    '/sipjs.html': { type: 'text/html; charset=utf-8', body: readFileSync(join(HERE, 'sipjs.html')) },
    '/jssip.js': {
      type: 'text/javascript; charset=utf-8',
      body: await browserBundle(['jssip', 'lib', 'JsSIP.js'], 'JsSIP'),
    },
    '/sipjs.js': {
      type: 'text/javascript; charset=utf-8',
      body: await browserBundle(['sip.js', 'lib', 'index.js'], 'SIP'),
    },
  }, tls);
  const baseUrl = `https://127.0.0.1:${server.address().port}`;
  profile = mkdtempSync(join(tmpdir(), 'sip-oauth-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      ignoreHTTPSErrors: true,
      timeout: STARTUP_TIMEOUT_MS,
    });
    const uri = `sip:bob@${HOME}`;
    const edgeLog = epcscf.entry.log;

    const good = mintToken();
    await check('a valid token registers the browser UA (200 OK) and it can de-register', async () => {
      const r = await register(context, baseUrl, {
        wsUrl, uri, authorization: `Bearer ${good}`, unregister: true,
      });
      assert(r.outcome.event === 'registered', 'UA did not reach registered', r.outcome);
      assert(r.outcome.status === 200, 'registered without a 200', r.outcome);
      assert(r.status.startsWith('registered'), 'page status', r.status);
      assert(r.protocol === 'sip', 'WebSocket subprotocol not sip', r.protocol);
      assert(r.origin === baseUrl && r.secure, 'the page is not an https secure context', [r.origin, r.secure]);
      const registers = r.trace.filter((t) => t.dir === 'out' && t.text.startsWith('REGISTER '));
      assert(registers.length >= 1, 'no REGISTER on the wire');
      const first = registers[0].text;
      assert(header(first, 'Authorization') === `Bearer ${good}`,
        'first REGISTER lacks Authorization: Bearer <token>', header(first, 'Authorization'));
      assert(/^SIP\/2\.0\/WSS\s/i.test(header(first, 'Via') || ''),
        'Via transport is not WSS', header(first, 'Via'));
      assert((r.outcome.associatedUri || '').includes(uri), 'P-Associated-URI', r.outcome.associatedUri);
      assert(r.outcome.unregistered === 200, 'de-registration not answered 200', r.outcome);
      assert(await eventually(() => edgeLog.some((l) => /outcome=forwarded/.test(l) && l.includes(`impi=bob@${HOME}`))),
        'epcscf did not log a forwarded REGISTER');
      assert(await eventually(() => core.logged((l) => l.includes(`aor=${uri} outcome=200`))),
        `${CORE_NAME} did not log a 200 for the AoR`);
    });

    await check('a token with a wrong signature is refused with 401 and a Bearer challenge', async () => {
      const forged = mintToken({ secret: `${SECRET}-not-the-key` });
      const r = await register(context, baseUrl, { wsUrl, uri, authorization: `Bearer ${forged}` });
      assert(r.outcome.event === 'registrationFailed', 'UA did not fail to register', r.outcome);
      assert(r.outcome.status === 401, 'not a 401', r.outcome);
      assert(/^Bearer\b/i.test(r.outcome.wwwAuthenticate ?? ''),
        'no Bearer challenge', r.outcome.wwwAuthenticate);
      assert(await eventually(() => edgeLog.some((l) => /outcome=rejected reason=401/.test(l))),
        'epcscf did not log a rejection');
    });

    await check('an expired token is refused with 401', async () => {
      const expired = mintToken({ lifetime: -3600 });
      const r = await register(context, baseUrl, { wsUrl, uri, authorization: `Bearer ${expired}` });
      assert(r.outcome.event === 'registrationFailed', 'UA did not fail to register', r.outcome);
      assert(r.outcome.status === 401, 'not a 401', r.outcome);
    });

    await check('a token in the WebSocket URL (access_token) registers a UA that sends no Authorization', async () => {
      const r = await register(context, baseUrl, {
        wsUrl: `${wsUrl}/?access_token=${encodeURIComponent(good)}`, uri,
      });
      assert(r.outcome.event === 'registered', 'UA did not reach registered', r.outcome);
      const first = r.trace.find((t) => t.dir === 'out' && t.text.startsWith('REGISTER '));
      assert(first && header(first.text, 'Authorization') === null,
        'REGISTER carried an Authorization header', first && header(first.text, 'Authorization'));
    });

    await check('a forged token in the WebSocket URL is refused with 401', async () => {
      const forged = mintToken({ secret: `${SECRET}-not-the-key` });
      const r = await register(context, baseUrl, {
        wsUrl: `${wsUrl}/?access_token=${encodeURIComponent(forged)}`, uri,
      });
      assert(r.outcome.event === 'registrationFailed', 'UA did not fail to register', r.outcome);
      assert(r.outcome.status === 401, 'not a 401', r.outcome);
    });

    await check('a browser WebSocket without the sip subprotocol is refused', async () => {
      const page = await context.newPage();
      try {
        await page.goto(`${baseUrl}/`, { timeout: CASE_TIMEOUT_MS });
        const opened = await page.evaluate((url) => new Promise((done) => {
          const ws = new WebSocket(url);
          ws.onopen = () => { ws.close(); done('open'); };
          ws.onerror = () => done('refused');
          setTimeout(() => done('no answer'), 5000);
        }), wsUrl);
        assert(opened === 'refused', 'plain WebSocket was not refused', opened);
      } finally {
        await page.close();
      }
    });

    await check('SIP.js registers with the token in extraHeaders, its CRLF keep-alives are answered, it un-registers (200)', async () => {
      const user = 'carol';
      const token = mintToken({ user });
      const r = await sipJs(context, baseUrl, {
        wsUrl, uri: `sip:${user}@${HOME}`, authorization: `Bearer ${token}`,
        keepAliveInterval: SIPJS_KEEPALIVE_S, holdMs: SIPJS_HOLD_MS,
      });
      const o = r.outcome;
      assert(o.registered && o.registered.status === 200, 'SIP.js REGISTER not answered 200', o);
      const registers = r.trace.filter((t) => t.dir === 'out' && t.text.startsWith('REGISTER ')).map((t) => t.text);
      assert(registers.length >= 2, 'expected a REGISTER and an un-REGISTER on the wire', registers.length);
      for (const m of registers) {
        assert(header(m, 'Authorization') === `Bearer ${token}`, 'a REGISTER lacks the Bearer token', header(m, 'Authorization'));
        assert(/^SIP\/2\.0\/WSS\s/i.test(header(m, 'Via') || ''), 'Via transport is not WSS', header(m, 'Via'));
      }
      // SIP.js sends a keep-alive only once the previous one has been answered (else it
      // waits keepAliveDebounce, 10 s): two or more in the hold mean answers came back.
      const pings = r.trace.filter((t) => t.dir === 'out' && t.text === '\r\n\r\n').length;
      const pongs = r.trace.filter((t) => t.dir === 'in' && t.text === '\r\n').length;
      console.log(`# SIP.js: ${pings} CRLFCRLF keep-alives sent, ${pongs} CRLF answers received in ${SIPJS_HOLD_MS} ms`);
      assert(pings >= 2, 'fewer than 2 CRLFCRLF keep-alives sent', pings);
      assert(pongs >= pings - 1 && pongs >= 1, 'keep-alives not answered with CRLF', { pings, pongs });
      assert(o.connectedAfterHold && o.stateAfterHold === 'Registered', 'not connected and registered after the keep-alives', o);
      assert(r.sockets.length === 1 && r.sockets[0].opened, 'SIP.js did not use exactly one WebSocket', r.sockets);
      assert(o.unregistered && o.unregistered.status === 200, 'un-REGISTER not answered 200', o);
      const last = registers[registers.length - 1];
      assert(/expires=0|^Expires:\s*0\s*$/im.test(last), 'the last REGISTER is not an un-REGISTER', last);
      assert(await eventually(() => core.logged((l) => l.includes(`aor=sip:${user}@${HOME} outcome=200`))),
        `${CORE_NAME} did not log a 200 for carol's AoR`);
    });

    await callChecks(context, baseUrl, wsUrl);
  } finally {
    if (context) await context.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
    profile = null;
  }
}

// ---------------------------------------------------------------------------------------
// SIP.js (sipjs.html): one user agent that registers, holds its connection with CRLF
// keep-alives, and un-registers.

const SIPJS_KEEPALIVE_S = 1;
const SIPJS_HOLD_MS = 3500;

async function sipJs(context, baseUrl, cfg) {
  lastExchange = [];
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${baseUrl}/sipjs.html`, { timeout: CASE_TIMEOUT_MS });
    let outcome;
    try {
      outcome = await withTimeout(page.evaluate((c) => window.runSipJs(c), cfg), CASE_TIMEOUT_MS, 'no SIP.js outcome');
    } finally {
      const trace = await page.evaluate(() => window.sipTrace).catch(() => []);
      lastExchange = [
        ...trace.map((t) => (/^(\r\n)+$/.test(t.text)
          ? `# ${t.dir === 'out' ? '>>' : '<<'} keep-alive ${JSON.stringify(t.text)}`
          : `# ${t.dir === 'out' ? '>>' : '<<'}\n# ${t.text.replace(/\r\n/g, '\n# ')}`)),
        ...consoleLines.map((l) => `# console ${l}`),
      ];
      if (VERBOSE) for (const line of lastExchange) console.log(line);
    }
    const trace = await page.evaluate(() => window.sipTrace);
    const sockets = await page.evaluate(() => window.sipSockets);
    return { outcome, trace, sockets };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------
// Two phones (call.html): MESSAGE and a call with media between alice and bob.

const MEDIA_PACKETS = 10;

async function openPhone(context, baseUrl, name) {
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  await page.goto(`${baseUrl}/call.html`, { timeout: CASE_TIMEOUT_MS });
  const run = (fn, arg, what) => withTimeout(page.evaluate(fn, arg), CASE_TIMEOUT_MS, `${name}: ${what}`);
  const trace = async () => {
    const t = await page.evaluate(() => window.sipTrace).catch(() => []);
    return [
      ...t.map((m) => `# ${name} ${m.dir === 'out' ? '>>' : '<<'}\n# ${m.text.replace(/\r\n/g, '\n# ')}`),
      ...consoleLines.map((l) => `# ${name} console ${l}`),
    ];
  };
  return { name, page, run, trace, uri: `sip:${name}@${HOME}` };
}

// The SIP messages a page sent or received whose first line matches `re`.
async function wire(phone, dir, re) {
  const t = await phone.page.evaluate(() => window.sipTrace);
  return t.filter((m) => m.dir === dir && re.test(m.text.split('\r\n', 1)[0])).map((m) => m.text);
}

async function callChecks(context, baseUrl, wsUrl) {
  const alice = await openPhone(context, baseUrl, 'alice');
  const bob = await openPhone(context, baseUrl, 'bob');
  const tokens = { alice: mintToken({ user: 'alice' }), bob: mintToken({ user: 'bob' }) };
  exchangeOf = async () => [...(await alice.trace()), ...(await bob.trace())];
  // Each check needs the ones before it; a missing step is named, not timed out on.
  const reached = new Set();
  const need = (step) => {
    if (reached.has(step)) return;
    const e = new Error(`not reached: ${step}`);
    e.stack = e.message;
    throw e;
  };
  try {
    await check('alice and bob register from their own pages, each with its own token', async () => {
      const outcomes = await Promise.all([alice, bob].map((p) => p.run(
        (c) => window.phone.start(c),
        {
          wsUrl, uri: p.uri, authorization: `Bearer ${tokens[p.name]}`, autoAnswer: p === bob,
          // The SDPs offer only 127.0.0.1 candidates: the RTP goes to loopback addresses.
          loopback: true,
        },
        'no registration outcome',
      )));
      for (const [i, p] of [alice, bob].entries()) {
        assert(outcomes[i].event === 'registered' && outcomes[i].status === 200,
          `${p.name} did not register`, outcomes[i]);
      }
      reached.add('registered');
    });

    const text = `hello bob, ${randomBytes(4).toString('hex')}`;
    await check('alice sends bob a MESSAGE: 200 to alice, bob receives it from alice', async () => {
      need('registered');
      const sent = await alice.run(([to, body]) => window.phone.sendMessage(to, body), [bob.uri, text], 'no MESSAGE outcome');
      assert(sent.status >= 200 && sent.status < 300, 'MESSAGE not answered 2xx', sent);
      const got = await bob.run(([body, ms]) => window.phone.waitMessage(body, ms), [text, 5000], 'no MESSAGE at bob');
      assert(got.from === alice.uri, 'MESSAGE not from alice', got);
      const [delivered] = await wire(bob, 'in', /^MESSAGE /);
      assert(delivered, 'no MESSAGE on bob\'s WebSocket');
      assert(!/Bearer|eyJ/.test(delivered), 'the MESSAGE bob got carries a token', delivered);
    });

    await check('a MESSAGE to a user who is not registered is refused (404 or 480)', async () => {
      need('registered');
      const sent = await alice.run(([to, body]) => window.phone.sendMessage(to, body),
        [`sip:nobody@${HOME}`, 'anyone there?'], 'no MESSAGE outcome');
      assert(sent.status === 404 || sent.status === 480, 'not 404/480', sent);
    });

    await check('alice calls bob: 180 Ringing, bob answers 200, the call is confirmed on both sides', async () => {
      need('registered');
      const events = await alice.run(([to, ms]) => window.phone.call(to, ms), [bob.uri, 10_000], 'no call outcome');
      assert(events.some((e) => e.event === 'confirmed'), 'the call was not confirmed at alice', events);
      assert(events.some((e) => e.event === 'progress' && e.status === 180), 'no 180 at alice', events);
      const confirmed = await bob.run(
        (ms) => window.phone.waitCall('confirmed', ms).catch(() => null), 5000, 'no confirmed at bob');
      if (!confirmed) {
        const acks = [(await wire(alice, 'out', /^ACK /)).length, (await wire(bob, 'in', /^ACK /)).length];
        assert(false, `the call was not confirmed at bob (ACKs sent by alice: ${acks[0]}, received by bob: ${acks[1]})`);
      }
      const incoming = await bob.page.evaluate(() => window.phone.incoming);
      assert(incoming && incoming.from === alice.uri, 'the INVITE bob got is not from alice', incoming);
      const [invite] = await wire(bob, 'in', /^INVITE /);
      assert(invite && /\r\n\r\nv=0/.test(invite), 'the INVITE bob got has no SDP offer', invite);
      assert(!/Bearer|eyJ/.test(invite), 'the INVITE bob got carries a token', invite);
      reached.add('call');
    });

    await check(`media flows both ways: >= ${MEDIA_PACKETS} RTP packets received at alice and at bob`, async () => {
      need('call');
      const stats = await Promise.all([alice, bob].map((p) => p.run(
        ([min, ms]) => window.phone.waitMedia(min, ms), [MEDIA_PACKETS, 10_000], 'no media statistics',
      )));
      for (const [i, p] of [alice, bob].entries()) {
        assert(!stats[i].timedOut && stats[i].received >= MEDIA_PACKETS,
          `${p.name} received too few RTP packets`, stats[i]);
      }
      console.log(`# media: alice received ${stats[0].received} packets (${stats[0].path}), bob ${stats[1].received} (${stats[1].path})`);
      reached.add('media');
    });

    await check('alice hangs up with BYE: the call ends at alice and at bob (by the remote side)', async () => {
      need('call');
      const ended = await alice.run((ms) => window.phone.hangup(ms), 5000, 'the call did not end at alice');
      assert(ended.originator === 'local', 'the call did not end from alice', ended);
      const byBob = await bob.run((ms) => window.phone.waitCall('ended', ms), 5000, 'the call did not end at bob');
      assert(byBob.originator === 'remote', 'bob did not see the remote end the call', byBob);
      const [bye] = await wire(alice, 'out', /^BYE /);
      assert(bye, 'alice sent no BYE');
      assert((await wire(bob, 'in', /^BYE /)).length >= 1, 'no BYE reached bob');
      // JsSIP ends the call as it sends the BYE; the 200 comes a little later.
      let answered = false;
      for (const until = Date.now() + 3000; !answered && Date.now() < until;) {
        answered = (await wire(alice, 'in', /^SIP\/2\.0 200 /)).some((m) => /^CSeq:\s*\d+\s+BYE\s*$/im.test(m));
        if (!answered) await new Promise((r) => setTimeout(r, 100));
      }
      assert(answered, 'alice got no 200 to her BYE within 3 s');
    });
  } finally {
    exchangeOf = null;
    for (const p of [alice, bob]) {
      await withTimeout(p.page.evaluate((ms) => window.phone.stop(ms), 3000), 5000, 'stop').catch(() => {});
      await p.page.close().catch(() => {});
    }
  }
}

const watchdog = setTimeout(() => {
  console.log(`not ok - the browser interop run did not finish within ${OVERALL_TIMEOUT_MS} ms`);
  results.push({ name: 'overall time limit', ok: false });
  finish(1);
}, OVERALL_TIMEOUT_MS);

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  clearTimeout(watchdog);
  await stopAll();
  // Only now: the edge watches the certificate's files while it runs.
  if (certDir) rmSync(certDir, { recursive: true, force: true });
  certDir = null;
  const failed = results.filter((r) => !r.ok).length;
  if (failed && !VERBOSE) {
    for (const { name, log } of children) {
      for (const line of log) console.log(`# ${name}: ${line}`);
    }
  }
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exit(code || (failed ? 1 : 0));
}

main().then(
  () => finish(results.length === 0 ? 1 : 0),
  (e) => {
    console.log(`not ok - setup\n  ${String(e && e.stack ? e.stack : e).replace(/\n/g, '\n  ')}`);
    results.push({ name: 'setup', ok: false });
    finish(1);
  },
);
