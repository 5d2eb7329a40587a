#!/usr/bin/env node
// The in-browser, side-by-side benchmark of issue #8: Touchpath (the release build in dist/,
// driven as a user drives it) against DuckDB-WASM (npm, served from bench/node_modules), in one
// headless Chromium, on the same generated files. See README, "Benchmark".
//
//   node bench/browser.mjs                 1M events, 5 repeats
//   node bench/browser.mjs --events 10M    10M events, 3 repeats
//   node bench/browser.mjs --tiny          100k events, 2 repeats (scripts/test runs this)
//   options: --repeats R, --no-jsonl (skip the JSON-lines load), --events N (100k, 1M, 2500000, ...)
//
// Prints a table and writes target/bench/browser-<events>.json. Exits non-zero when a phase
// fails or the engines' results differ (the correctness gate).
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { COUNTS_SQL, MEMORY_SQL, TIES_SQL, funnelSql, loadSql, sankeySql, topPathsSql } from './queries.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const DIST = process.env.TOUCHPATH_DIST || join(REPO, 'dist');
const OUT = join(REPO, 'target/bench');
const DUCKDB_DIST = join(HERE, 'node_modules/@duckdb/duckdb-wasm/dist');

// ---------------------------------------------------------------------------------------------
/** The pause before each action of a Touchpath run (ms): a person's, between two clicks. */
const THINK_MS = 300;

// What is measured. The funnel and paths definitions are shared by both engines.

const FUNNEL_STEPS = ['product_view', 'add_to_cart', 'purchase'];
const WINDOW = '7d';
const WINDOW_CHANGED = '3d';
const PATHS = { by: 'channel', steps: 6, changedSteps: 8, top: 8, variants: 20 };
const funnelHash = (w) => `view=funnel&by=event&steps=${FUNNEL_STEPS.join(',')}&window=${w}`;
const pathsHash = (steps) => `view=paths&by=${PATHS.by}&steps=${steps}&collapse=1&top=${PATHS.top}`;
const PATHS_HASH = pathsHash(PATHS.steps);

// Page-side readers of what Touchpath shows (ids from src/ui/funnel.rs and src/ui/paths.rs).
function readFunnelPage() {
  const int = (s) => Number(String(s).replace(/[^\d]/g, ''));
  return [...document.querySelectorAll('#funnel-table tr.funnel-row')].map((tr) => ({
    label: tr.querySelector('.step-label')?.textContent.trim(),
    customers: int(tr.querySelector('.step-customers')?.textContent),
  }));
}
function readPathsPage(limit) {
  const int = (s) => Number(String(s).replace(/[^\d]/g, ''));
  const variants = [...document.querySelectorAll('#variants-table tr.variant-row')].slice(0, limit).map((tr) => ({
    path: tr.querySelector('.variant-path').textContent.trim().split(' → ').join(' > '),
    customers: int(tr.querySelector('.variant-customers').textContent),
  }));
  const nodes = [...document.querySelectorAll('#sankey g.node > title')].map((t) => {
    const m = /^Step (\d+): (.*) — ([\d,]+) customers/.exec(t.textContent);
    return m ? `${Number(m[1]) - 1}|${m[2]}|${int(m[3])}` : `unparsed: ${t.textContent}`;
  });
  const links = [...document.querySelectorAll('#sankey path.link > title')].map((t) => {
    const m = /^(.*) → (.*): ([\d,]+) customers/.exec(t.textContent);
    return m ? `${m[1]}|${m[2]}|${int(m[3])}` : `unparsed: ${t.textContent}`;
  });
  return { variants, nodes, links };
}

const funnelCounts = (rows) => rows.map((r) => r.customers);
const duckFunnel = (rows) => FUNNEL_STEPS.map((_, i) => rows[0][`step${i + 1}`]);
const duckPaths = (rows) => rows.map((r) => ({ path: r.path, customers: r.customers }));
function duckSankey(rows) {
  const nodes = rows.filter((r) => r.kind === 'node').map((r) => `${r.step}|${r.src}|${r.n}`);
  const links = rows.filter((r) => r.kind === 'link').map((r) => `${r.src}|${r.tgt}|${r.n}`);
  return { nodes: nodes.sort(), links: links.sort() };
}
const tpSankey = (p) => ({ nodes: [...p.nodes].sort(), links: [...p.links].sort() });

/**
 * The phases, in the order they run in each page. `tp` tells how Touchpath runs a phase:
 * `hash` (set location.hash, wait for the measure `touchpath:<kind>` and the view to settle),
 * `after` (the measure that follows another step: the first funnel follows the load), or
 * `same` (read from another phase's request). `duck` gives DuckDB's SQL. `available` (page
 * side) says whether this build of the app has the phase; without it the phase prints "n/a".
 * `tpValue`/`duckValue` turn what each engine showed into comparable values; `gate` phases
 * must match for any ratio to count.
 * Adding a phase (e.g. attribution) is one entry here.
 */
const PHASES = [
  {
    id: 'interactive', label: 'interactive (navigation → page drawn)', special: 'interactive',
    duckNa: 'no page: the database is ready when it is instantiated',
  },
  { id: 'instantiate', label: 'instantiate (navigation → ready)', special: 'instantiate' },
  {
    id: 'load_csv', label: 'file read + parse + index (CSV)', special: 'load', format: 'csv',
    note: 'Touchpath: one worker per core (navigator.hardwareConcurrency), each reading a part of the file',
  },
  {
    id: 'load_csv_1w', label: 'file read + parse + index (CSV, one worker)', special: 'load', format: 'csv', workers: 1,
    note: 'Touchpath: the link\'s workers=1; DuckDB: its CSV load (the row above)', duckCompare: 'load_csv', duckTimes: 'load_csv',
  },
  {
    id: 'funnel_first', label: `first funnel (3 steps, ${WINDOW})`, gate: true,
    tp: { after: 'load', kind: 'funnel', read: readFunnelPage, settled: `window ${WINDOW} from step 1` },
    duck: { sql: (v) => funnelSql(FUNNEL_STEPS, WINDOW, v) }, tpValue: funnelCounts, duckValue: duckFunnel,
  },
  {
    id: 'funnel_change', label: `funnel after a change (window ${WINDOW} → ${WINDOW_CHANGED})`, gate: true,
    tp: { hash: funnelHash(WINDOW_CHANGED), kind: 'funnel', read: readFunnelPage, settled: `window ${WINDOW_CHANGED} from step 1` },
    duck: { sql: (v) => funnelSql(FUNNEL_STEPS, WINDOW_CHANGED, v) }, tpValue: funnelCounts, duckValue: duckFunnel,
  },
  {
    id: 'funnel_warm', label: `warm funnel (${WINDOW} again)`, gate: true,
    tp: { hash: funnelHash(WINDOW), kind: 'funnel', read: readFunnelPage, settled: `window ${WINDOW} from step 1` },
    duck: { sql: (v) => funnelSql(FUNNEL_STEPS, WINDOW, v) }, tpValue: funnelCounts, duckValue: duckFunnel,
  },
  {
    // Issue #5's benchmark funnel: 5 steps, 7-day window, a breakdown by first-touch channel.
    id: 'funnel5_breakdown', label: `5-step funnel (${WINDOW}) by first-touch channel`,
    tp: {
      hash: `view=funnel&by=event&steps=site_visit,product_view,add_to_cart,checkout,purchase&window=${WINDOW}&breakdown=first_channel`,
      kind: 'funnel', settled: '#funnel-table',
    },
    duck: null,
  },
  {
    id: 'paths_top', label: `top-${PATHS.variants} paths (${PATHS.by}, repeats collapsed)`, gate: true,
    note: 'Touchpath: one paths request (Sankey + layout + all variants + transitions)',
    tp: { hash: PATHS_HASH, kind: 'paths', read: readPathsPage, readArg: PATHS.variants, settled: '#variants-table' },
    duck: { sql: () => topPathsSql(PATHS.by, PATHS.variants) }, tpValue: (p) => p.variants, duckValue: duckPaths,
  },
  {
    id: 'sankey', label: `Sankey aggregate (${PATHS.steps} steps, top ${PATHS.top} per step)`,
    note: 'Touchpath: the same paths request as the row above',
    tp: { same: 'paths_top' }, duck: { sql: () => sankeySql(PATHS.by, PATHS.steps, PATHS.top) },
    tpValue: tpSankey, duckValue: duckSankey,
  },
  {
    // A person's next action on the paths view: another number of steps. The worker keeps the
    // paths and variants it built (paths::Prepared), so only the Sankey is built and laid out.
    id: 'paths_steps', label: `paths after a change (${PATHS.steps} → ${PATHS.changedSteps} steps)`,
    note: 'Touchpath: the paths request again with other steps; DuckDB: the Sankey query with those steps',
    tp: { hash: pathsHash(PATHS.changedSteps), kind: 'paths', read: readPathsPage, readArg: PATHS.variants, settled: '#variants-table' },
    duck: { sql: () => sankeySql(PATHS.by, PATHS.changedSteps, PATHS.top) },
    tpValue: tpSankey, duckValue: duckSankey,
  },
  {
    id: 'attribution', label: 'attribution, all models',
    tp: { hash: 'view=attribution', kind: 'attribution', available: () => !!document.querySelector('#tab-attribution') },
    duck: null,
  },
  {
    id: 'load_jsonl', label: 'file read + parse + index (JSON lines)', special: 'load', format: 'jsonl',
    // read_json lives in DuckDB's json extension, which DuckDB-WASM does not bundle: it downloads
    // it at run time from its extension site, which an offline benchmark (and a private page) cannot
    // reach; its own JSON importer (insertJSONFromPath) reads JSON arrays, not JSON lines.
    duckCompare: 'load_csv', // the same events: Touchpath's JSON-lines counts must equal DuckDB's CSV counts
    duckNa: 'DuckDB-WASM fetches its json extension from the network; not bundled in the npm package',
  },
];

// ---------------------------------------------------------------------------------------------
// Arguments, data files, server.

function parseCount(s) {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(String(s).trim());
  if (!m) throw new Error(`--events takes a number such as 100k, 1M or 10M, not ${s}`);
  return Math.round(Number(m[1]) * ({ k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2]] ?? 1));
}
const countLabel = (n) => (n % 1e6 === 0 ? `${n / 1e6}M` : n % 1e3 === 0 ? `${n / 1e3}k` : String(n));

function parseArgs(argv) {
  const o = { events: 1_000_000, tiny: false, repeats: null, jsonl: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--events') o.events = parseCount(val());
    else if (a === '--tiny') o.tiny = true;
    else if (a === '--repeats') o.repeats = Number(val());
    else if (a === '--no-jsonl') o.jsonl = false;
    else if (a === '-h' || a === '--help') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).map((l) => l.replace(/^\/\/ ?/, '')).join('\n')); process.exit(0); }
    else throw new Error(`unknown argument ${a} (see --help)`);
  }
  if (o.tiny) o.events = 100_000;
  o.repeats ??= o.tiny ? 2 : o.events > 2_000_000 ? 3 : 5;
  if (!(o.repeats >= 1)) throw new Error('--repeats takes a whole number ≥ 1');
  return o;
}

/** Generates `target/bench/events-<N>.<ext>` with the engine's seeded generator unless it exists. */
function ensureData(events, format) {
  const file = join(OUT, `events-${countLabel(events)}.${format}`);
  if (existsSync(file)) return file;
  mkdirSync(OUT, { recursive: true });
  const tmp = `${file}.tmp`;
  log(`generating ${file} (touchpath-gen, ${events} events, ${format})`);
  // The bench-native profile is the release profile that scripts/bench's native run just built.
  const r = spawnSync('cargo', ['run', '--quiet', '--locked', '--profile', 'bench-native', '--bin', 'touchpath-gen', '--',
    '--events', String(events), '--format', format, '--out', tmp], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`touchpath-gen failed (exit ${r.status})`);
  renameSync(tmp, file);
  return file;
}

/** The generator's path table of `rows` rows (ChannelAttribution style), made once. */
function ensurePathTable(rows) {
  const file = join(OUT, `paths-${countLabel(rows)}.csv`);
  if (existsSync(file)) return file;
  mkdirSync(OUT, { recursive: true });
  const tmp = `${file}.tmp`;
  log(`generating ${file} (touchpath-gen, ${rows} path-table rows)`);
  const r = spawnSync('cargo', ['run', '--quiet', '--locked', '--profile', 'bench-native', '--bin', 'touchpath-gen', '--',
    '--out', tmp, '--path-table', String(rows)], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`touchpath-gen --path-table failed (exit ${r.status})`);
  renameSync(tmp, file);
  return file;
}

/**
 * Touchpath only (DuckDB has no attribution): a path table opened through the file input opens
 * on the attribution view; times its load (`touchpath:load`) and every model (`touchpath:attribution`).
 */
async function pathTableRun(browser, base, file, timeouts) {
  const { context, page, problems } = await newPage(browser);
  try {
    await page.goto(`${base}app/#view=attribution`);
    await waitUntil(page, () => performance.getEntriesByName('touchpath:attribution').length >= 1 && !document.querySelector('#computing'),
      null, timeouts.small, 'the app opening on its sample');
    const [l0, a0] = [await measureCount(page, 'load'), await measureCount(page, 'attribution')];
    await page.setInputFiles('#file-input', file);
    await waitUntil(page, ([n0, m0]) => document.querySelector('#load-error') || (performance.getEntriesByName('touchpath:load').length > n0
      && performance.getEntriesByName('touchpath:attribution').length > m0 && document.querySelector('#sum-paths')
      && !document.querySelector('#computing') && document.querySelector('#attribution-table')), [l0, a0],
    timeouts.load, `opening the path table ${file}`);
    const err = await page.evaluate(() => document.querySelector('#load-error')?.textContent ?? null);
    if (err) throw new Error(`Touchpath could not load ${file}: ${err}`);
    const [load] = (await measuresFrom(page, 'load', l0)).slice(-1);
    const [attr] = (await measuresFrom(page, 'attribution', a0)).slice(-1);
    const paths = await page.evaluate(() => Number(document.querySelector('#sum-paths').textContent.replace(/[^\d]/g, '')));
    return { load: load.duration, attribution: attr.duration, paths, problems: [...problems] };
  } finally {
    await context.close();
  }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.gz': 'application/gzip', '.png': 'image/png',
};
// Only these packages are served from bench/node_modules (what the DuckDB page imports).
const SERVED_PACKAGES = ['@duckdb/duckdb-wasm/dist/', 'apache-arrow/', 'flatbuffers/', 'tslib/'];

/** A loopback static server: /app/ → dist/, /duckdb/ → bench/page/, /node_modules/ → the DuckDB bundles. */
function startServer() {
  const mounts = [['/app/', DIST], ['/duckdb/', join(HERE, 'page')], ['/node_modules/', join(HERE, 'node_modules')]];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    const rest = mount && path.slice(mount[0].length);
    if (!mount || (mount[0] === '/node_modules/' && !SERVED_PACKAGES.some((p) => rest.startsWith(p)))) {
      res.writeHead(404); return res.end('not found');
    }
    const base = resolve(mount[1]);
    let file = normalize(join(base, rest));
    if (file !== base && !file.startsWith(base + sep)) { res.writeHead(403); return res.end(); }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const size = statSync(file).size;
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'content-length': size, 'cache-control': 'no-store' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
  })));
}

// ---------------------------------------------------------------------------------------------
// Renderer memory: the summed PSS of this run's Chromium renderer processes, sampled.

function children() {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return kids;
}

function rendererPssBytes() {
  const kids = children();
  const todo = [process.pid];
  let total = 0;
  while (todo.length) {
    const pid = todo.pop();
    for (const k of kids.get(pid) ?? []) {
      todo.push(k);
      try {
        if (!readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('--type=renderer')) continue;
        const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${k}/smaps_rollup`, 'utf8'));
        if (m) total += Number(m[1]) * 1024;
      } catch { /* gone or unreadable */ }
    }
  }
  return total;
}

class MemorySampler {
  constructor() { this.peaks = {}; this.section = null; this.timer = null; this.ok = existsSync('/proc/self/smaps_rollup'); }
  start() {
    if (!this.ok) return;
    this.timer = setInterval(() => {
      if (!this.section) return;
      const v = rendererPssBytes();
      this.peaks[this.section] = Math.max(this.peaks[this.section] ?? 0, v);
    }, 200);
  }
  stop() { clearInterval(this.timer); }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function log(...a) { console.error('\x1b[1;34m==>\x1b[0m', ...a); }
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };
const stats = (xs) => (xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs } : null);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const int = (n) => Number(n).toLocaleString('en-US');
function fmtMs(v) {
  if (v == null) return '—';
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}
const fmtStats = (s) => (s ? `${fmtMs(s.median)} [${fmtMs(s.min)}–${fmtMs(s.max)}]` : 'n/a');
const fmtBytes = (n) => (n == null ? '—' : n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB`
  : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, no) => { t = setTimeout(() => no(new Error(`${what}: no answer within ${ms / 1000} s`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** Collects the page's long tasks (Long Tasks API) from the start, for "longest main-thread task". */
const LONGTASKS = () => {
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch { window.__longtasks = null; }
};
/** The longest long task starting in [from, to] (page clock); 0 when none (all tasks < 50 ms); null when unsupported. */
const longestTask = (page, from, to) => page.evaluate(([a, b]) => (window.__longtasks === null ? null
  : Math.max(0, ...window.__longtasks.filter(([s]) => s >= a && s <= b).map(([, d]) => d))), [from, to]);

async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(LONGTASKS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  return { context, page, problems };
}

/** Waits (polling every 50 ms) until `fn(arg)` is truthy in the page; fails with what the page showed. */
async function waitUntil(page, fn, arg, timeout, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    const shown = await page.evaluate(() => ({
      loadError: document.querySelector('#load-error')?.textContent ?? null,
      funnelError: document.querySelector('#funnel-error')?.textContent ?? null,
      pathsError: document.querySelector('#paths-error')?.textContent ?? null,
      progress: document.querySelector('#progress')?.textContent ?? null,
      events: document.querySelector('#sum-events')?.textContent ?? null,
      hash: location.hash,
    })).catch(() => null);
    throw new Error(`${what}: not within ${timeout / 1000} s (${e.message.split('\n')[0]}; page: ${JSON.stringify(shown)})`);
  }
}

const measureCount = (page, kind) => page.evaluate((k) => performance.getEntriesByName(`touchpath:${k}`).length, kind);
const measuresFrom = (page, kind, n0) => page.evaluate(([k, n]) => performance.getEntriesByName(`touchpath:${k}`).slice(n)
  .map((e) => ({ start: e.startTime, duration: e.duration })), [kind, n0]);

// ---------------------------------------------------------------------------------------------
// Touchpath: one page per run, driven through the file input and the URL fragment.

/**
 * One page: the sample, then `file` opened as the load phase `loadId` (with at most `workers`
 * reading workers, when given); only the CSV load of the main run (`load_csv`) goes on to the
 * view phases.
 */
async function touchpathRun(browser, base, file, loadId, events, timeouts, phases, workers = null) {
  const { context, page, problems } = await newPage(browser);
  const out = { times: {}, values: {}, notes: [], problems };
  try {
    await page.goto(`${base}app/#${funnelHash(WINDOW)}${workers ? `&workers=${workers}` : ''}`);
    // Instantiate: navigation → the built-in sample loaded in the worker (the app is usable).
    await waitUntil(page, () => performance.getEntriesByName('touchpath:load').length >= 1 && !document.querySelector('#progress')
      && document.querySelector('#sum-events') && document.querySelector('#funnel-table') && !document.querySelector('#computing'),
    null, timeouts.small, 'the app opening with its sample');
    out.times.instantiate = await page.evaluate(() => { const e = performance.getEntriesByName('touchpath:load')[0]; return e.startTime + e.duration; });
    // Interactive: the page's first contentful paint — its shell, with the file input and the
    // sample button, drawn while the worker starts and loads the sample.
    out.times.interactive = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);

    // Load: the file input, as a user opens a file (the sample is replaced).
    const [l0, f0] = [await measureCount(page, 'load'), await measureCount(page, 'funnel')];
    await page.setInputFiles('#file-input', file);
    const want = int(events);
    await waitUntil(page, ([n0, ev]) => document.querySelector('#load-error') || (performance.getEntriesByName('touchpath:load').length > n0
      && !document.querySelector('#progress') && document.querySelector('#sum-events')?.textContent === ev), [l0, want],
    timeouts.load, `loading ${file} (${want} events)`);
    const err = await page.evaluate(() => document.querySelector('#load-error')?.textContent ?? null);
    if (err) throw new Error(`Touchpath could not load ${file}: ${err}`);
    const settledAt = await page.evaluate(() => performance.now());
    const [load] = (await measuresFrom(page, 'load', l0)).slice(-1);
    const id = loadId;
    out.times[id] = load.duration;
    out.values[id] = await page.evaluate(() => ({
      events: Number(document.querySelector('#sum-events').textContent.replace(/[^\d]/g, '')),
      customers: Number(document.querySelector('#sum-customers').textContent.replace(/[^\d]/g, '')),
      skipped: Number(document.querySelector('#sum-skipped').textContent.replace(/[^\d]/g, '')),
      memoryBytes: Number(document.querySelector('#summary').dataset.memoryBytes),
    }));
    out.longestTask = await longestTask(page, load.start, settledAt);
    if (id !== 'load_csv') return out;

    // The view phases, in order.
    const counts = { funnel: f0 };
    for (const ph of phases.filter((p) => p.tp && !p.tp.same)) {
      const t = ph.tp;
      if (t.available && !(await page.evaluate(t.available))) { out.times[ph.id] = 'n/a'; continue; }
      const n0 = t.after ? counts[t.kind] : await measureCount(page, t.kind);
      // A person pauses between two actions; what the worker does once an answer is sent (the
      // funnel index of new steps) is done by then, as it would be for them.
      if (t.hash) await page.waitForTimeout(THINK_MS);
      if (t.hash) await page.evaluate((h) => { location.hash = h; }, t.hash);
      const settled = t.settled ?? null;
      await waitUntil(page, ([k, n, s]) => performance.getEntriesByName(`touchpath:${k}`).length > n && !document.querySelector('#computing')
        && (!s || (s.startsWith('#') ? document.querySelector(s) : document.querySelector('#funnel-table caption')?.textContent.includes(s))),
      [t.kind, n0, settled], timeouts[t.kind] ?? timeouts.small, `${ph.label}`);
      const got = await measuresFrom(page, t.kind, n0);
      if (got.length > 1) out.notes.push(`${ph.id}: ${got.length} ${t.kind} requests answered; timed the last`);
      out.times[ph.id] = got[got.length - 1].duration;
      if (t.read) out.values[ph.id] = await page.evaluate(t.read, t.readArg ?? null);
    }
    for (const ph of phases.filter((p) => p.tp?.same)) {
      out.times[ph.id] = out.times[ph.tp.same];
      out.values[ph.id] = out.values[ph.tp.same];
    }
    for (const ph of phases) if (ph.tpValue && out.values[ph.id] !== undefined) out.values[ph.id] = ph.tpValue(out.values[ph.id]);
    return out;
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// DuckDB-WASM: one page per run, the eh bundle, the same File through a file input.

async function duckOpen(browser, base, timeouts) {
  const { context, page, problems } = await newPage(browser);
  await page.goto(`${base}duckdb/duckdb.html`);
  await waitUntil(page, () => window.duck, null, timeouts.small, 'the DuckDB page module');
  const ready = await withTimeout(page.evaluate(() => window.duck.ready()), timeouts.small, 'DuckDB instantiate');
  const query = async (sql, timeout, what) => {
    try {
      return await withTimeout(page.evaluate((s) => window.duck.query(s), sql), timeout, what);
    } catch (e) {
      throw new Error(`DuckDB, ${what}: ${e.message.split('\n')[0]}\nSQL: ${sql}`);
    }
  };
  const load = async (file, format, sorted) => {
    const name = file.split('/').pop();
    await page.setInputFiles('#file-input', file);
    const reg = await page.evaluate((n) => window.duck.register(n), name);
    const r = await query(loadSql(name, format, 'events', sorted), timeouts.load, `loading ${name}`);
    return { ms: reg + r.ms, start: r.start - reg, end: r.end };
  };
  return { context, page, problems, ready, query, load };
}

/**
 * The check run, before the timed runs, gives DuckDB its best shot: it loads the file both as is
 * and sorted by customer (then time), and on each table runs both funnel queries (they must agree)
 * and the paths and Sankey queries; the timed runs then use the faster funnel query and the table
 * layout with the lower total (load + funnel + paths + Sankey). It also counts ties.
 */
async function duckCheck(browser, base, csv, timeouts) {
  const d = await duckOpen(browser, base, timeouts);
  try {
    const layouts = {};
    const variants = { asof: { results: {}, warm: [] }, range: { results: {}, warm: [] } };
    let counts;
    let ties;
    // A page's first load and first queries are its slowest (code compiled on first use): warm up
    // untimed so that neither layout pays for it.
    await d.load(csv, 'csv', false);
    for (const sql of [funnelSql(FUNNEL_STEPS, WINDOW, 'asof'), funnelSql(FUNNEL_STEPS, WINDOW, 'range'),
      topPathsSql(PATHS.by, PATHS.variants), sankeySql(PATHS.by, PATHS.steps, PATHS.top)]) await d.query(sql, timeouts.paths, 'warm-up');
    for (const layout of ['unsorted', 'sorted']) {
      const load = await d.load(csv, 'csv', layout === 'sorted');
      const t = { load: load.ms, funnel: {}, paths: null, sankey: null };
      for (const v of ['asof', 'range']) {
        for (const w of [WINDOW, WINDOW_CHANGED]) {
          const r = duckFunnel((await d.query(funnelSql(FUNNEL_STEPS, w, v), timeouts.funnel, `funnel ${v} ${w}`)).rows);
          variants[v].results[`${layout} ${w}`] = r;
        }
        t.funnel[v] = [];
      }
      for (let i = 0; i < 3; i++) {
        for (const v of i % 2 ? ['range', 'asof'] : ['asof', 'range']) {
          const ms = (await d.query(funnelSql(FUNNEL_STEPS, WINDOW, v), timeouts.funnel, `funnel ${v}`)).ms;
          t.funnel[v].push(ms);
          variants[v].warm.push(ms);
        }
      }
      t.paths = (await d.query(topPathsSql(PATHS.by, PATHS.variants), timeouts.paths, 'paths')).ms;
      t.sankey = (await d.query(sankeySql(PATHS.by, PATHS.steps, PATHS.top), timeouts.paths, 'sankey')).ms;
      layouts[layout] = t;
      if (layout === 'sorted') {
        counts = (await d.query(COUNTS_SQL, timeouts.small, 'counts')).rows[0];
        ties = (await d.query(TIES_SQL, timeouts.funnel, 'ties')).rows[0].ties;
      }
    }
    const best = median(variants.range.warm) < median(variants.asof.warm) ? 'range' : 'asof';
    const total = (t) => t.load + median(t.funnel[best]) + t.paths + t.sankey;
    for (const t of Object.values(layouts)) t.total = total(t);
    const layout = layouts.sorted.total < layouts.unsorted.total ? 'sorted' : 'unsorted';
    return { counts, ties, variants, best, layouts, layout, version: d.ready.version, problems: d.problems };
  } finally {
    await d.context.close();
  }
}

async function duckRun(browser, base, files, { variant, layout }, timeouts, phases) {
  const d = await duckOpen(browser, base, timeouts);
  const out = { times: { instantiate: d.ready.readyAt }, values: {}, notes: [], problems: d.problems };
  try {
    const load = await d.load(files.csv, 'csv', layout === 'sorted');
    out.times.load_csv = load.ms;
    out.longestTask = await longestTask(d.page, load.start, load.end);
    try {
      out.memoryBytes = (await d.query(MEMORY_SQL, timeouts.small, 'memory')).rows[0].bytes;
    } catch { /* not in this DuckDB */ }
    for (const ph of phases.filter((p) => !p.special)) {
      if (!ph.duck) { out.times[ph.id] = 'n/a'; continue; }
      const r = await d.query(ph.duck.sql(variant), timeouts[ph.tp?.kind] ?? timeouts.paths, ph.label);
      out.times[ph.id] = r.ms;
      out.values[ph.id] = ph.duckValue ? ph.duckValue(r.rows) : r.rows;
    }
    for (const ph of phases.filter((p) => p.duckNa)) out.times[ph.id] = 'n/a';
    // Counted after the timed queries, so that no query before them warms the table.
    out.values.load_csv = (await d.query(COUNTS_SQL, timeouts.small, 'counts')).rows[0];
    return out;
  } finally {
    await d.context.close();
  }
}

// ---------------------------------------------------------------------------------------------

function machine(chromiumVersion, duckdbVersion) {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpu, cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}`,
    chromium: chromiumVersion, node: process.version, duckdb_wasm: '1.32.0', duckdb: duckdbVersion, date: new Date().toISOString(),
  };
}

function bundleSizes() {
  const size = (f) => { const b = readFileSync(f); return { file: f.slice(REPO.length + 1), raw: b.length, gzip: gzipSync(b, { level: 9 }).length }; };
  const tp = readdirSync(DIST).filter((f) => /\.(wasm|js)$/.test(f)).map((f) => size(join(DIST, f)));
  const duck = ['duckdb-eh.wasm', 'duckdb-browser-eh.worker.js', 'duckdb-browser.mjs'].map((f) => size(join(DUCKDB_DIST, f)));
  const sum = (xs) => ({ raw: xs.reduce((a, x) => a + x.raw, 0), gzip: xs.reduce((a, x) => a + x.gzip, 0) });
  // The page's own files (app-<hash>.js and _bg.wasm): what must arrive before it is drawn.
  const page = tp.filter((f) => /(^|\/)app-[^/]*$/.test(f.file));
  return { touchpath: { files: tp, ...sum(tp), page: sum(page) }, duckdb: { files: duck, ...sum(duck), note: 'plus apache-arrow modules' } };
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: build the app first (\`trunk build --release\`; scripts/bench does it)`);
  }
  if (!existsSync(join(DUCKDB_DIST, 'duckdb-eh.wasm'))) {
    throw new Error('bench/node_modules is missing @duckdb/duckdb-wasm: run `npm ci` in bench/ (scripts/bench does it)');
  }
  const { events, repeats } = opt;
  const phases = PHASES.filter((p) => opt.jsonl || p.id !== 'load_jsonl');
  const files = { csv: ensureData(events, 'csv'), jsonl: opt.jsonl ? ensureData(events, 'jsonl') : null };
  const perM = Math.max(1, events / 1e6);
  const timeouts = { small: 60_000, load: 60_000 + 60_000 * perM, funnel: 30_000 + 10_000 * perM, paths: 60_000 + 20_000 * perM };
  timeouts.attribution = timeouts.paths;

  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const memory = new MemorySampler();
  memory.start();
  const errors = [];
  const tpRuns = [];
  const duckRuns = [];
  const ptRuns = [];
  let check = null;
  const t0 = Date.now();
  try {
    log(`browser benchmark: ${int(events)} events, ${repeats} runs per engine, Chromium ${browser.version()}`);
    memory.section = 'check'; // not reported: it holds two tables at a time
    try {
      check = await duckCheck(browser, server.url, files.csv, timeouts);
      log(`DuckDB check: ${int(check.counts.events)} events; funnel ASOF ${fmtMs(median(check.variants.asof.warm))}, range join ${fmtMs(median(check.variants.range.warm))} → ${check.best}; `
        + `table as is ${fmtMs(check.layouts.unsorted.total)}, sorted by customer ${fmtMs(check.layouts.sorted.total)} (load + queries) → ${check.layout}`);
    } catch (e) {
      errors.push(`DuckDB check run: ${e.message}`);
    }
    const choice = { variant: check?.best ?? 'range', layout: check?.layout ?? 'sorted' };
    // Runs alternate engines so that the machine's drift affects both alike; a pause after each
    // lets the closed page's renderer exit and free its memory first.
    const settle = () => new Promise((ok) => setTimeout(ok, Math.min(5000, 1000 + 300 * perM)));
    for (let r = 0; r < repeats; r++) {
      await settle();
      memory.section = 'touchpath';
      try {
        const run = await touchpathRun(browser, server.url, files.csv, 'load_csv', events, timeouts, phases);
        // The other loads, each on a page of its own: CSV with one worker, JSON lines.
        const more = [['load_csv_1w', files.csv, 1], ['load_jsonl', files.jsonl, null]];
        for (const [id, file, workers] of more.filter(([id, file]) => file && phases.some((p) => p.id === id))) {
          await settle();
          const j = await touchpathRun(browser, server.url, file, id, events, timeouts, phases, workers);
          Object.assign(run.times, { [id]: j.times[id] });
          Object.assign(run.values, { [id]: j.values[id] });
          run.problems.push(...j.problems);
        }
        tpRuns.push(run);
        log(`Touchpath run ${r + 1}/${repeats}: ${Object.entries(run.times).map(([k, v]) => `${k} ${typeof v === 'number' ? fmtMs(v) : v}`).join(', ')}`);
      } catch (e) {
        errors.push(`Touchpath run ${r + 1}: ${e.message}`);
        log(`Touchpath run ${r + 1} failed: ${e.message}`);
      }
      await settle();
      memory.section = 'duckdb';
      try {
        const run = await duckRun(browser, server.url, files, choice, timeouts, phases);
        duckRuns.push(run);
        log(`DuckDB run ${r + 1}/${repeats}: ${Object.entries(run.times).map(([k, v]) => `${k} ${typeof v === 'number' ? fmtMs(v) : v}`).join(', ')}`);
      } catch (e) {
        errors.push(`DuckDB run ${r + 1}: ${e.message}`);
        log(`DuckDB run ${r + 1} failed: ${e.message}`);
      }
    }
    // A path table (ChannelAttribution style): 100k rows at 1M events and above, 10k below.
    const ptRows = events >= 1e6 ? 100_000 : 10_000;
    try {
      const ptFile = ensurePathTable(ptRows);
      for (let r = 0; r < repeats; r++) {
        await settle();
        const run = await pathTableRun(browser, server.url, ptFile, timeouts);
        ptRuns.push(run);
        for (const p of run.problems) errors.push(`Touchpath (path table): ${p}`);
        log(`Touchpath path table run ${r + 1}/${repeats}: load ${fmtMs(run.load)}, attribution ${fmtMs(run.attribution)} (${int(run.paths)} paths)`);
      }
    } catch (e) {
      errors.push(`Touchpath path-table run: ${e.message}`);
    }
  } finally {
    memory.stop();
    await browser.close().catch(() => {});
    await server.close();
  }
  for (const [name, runs] of [['Touchpath', tpRuns], ['DuckDB', duckRuns]]) {
    for (const run of runs) for (const p of run.problems) errors.push(`${name}: ${p}`);
  }
  // DuckDB's check: both funnel variants agree, and time order is file order within each customer.
  if (check) {
    for (const k of Object.keys(check.variants.asof.results)) {
      const [a, r] = [check.variants.asof.results[k], check.variants.range.results[k]];
      if (!same(a, r) || !same(a, check.variants.asof.results[k.replace(/^\S+/, 'sorted')])) {
        errors.push(`DuckDB's funnel queries disagree (${k}): ASOF ${a} vs range join ${r}`);
      }
    }
    if (check.ties !== 0) errors.push(`${check.ties} customers have events at equal times: file order vs time order is not checked by the SQL`);
  }

  // Per phase: times, results across runs, and the comparison.
  // A load's wasm memory varies from run to run when several workers read the file (the order
  // in which the parts arrive shapes the heap); it is reported as a median below, not compared.
  const result = (v) => (v && typeof v === 'object' && 'memoryBytes' in v ? { ...v, memoryBytes: undefined } : v);
  const consistent = (runs, id) => runs.every((r) => same(result(r.values[id]), result(runs[0].values[id])));
  const rows = phases.map((ph) => {
    const times = (runs, id = ph.id) => runs.map((r) => r.times[id]).filter((v) => typeof v === 'number');
    const na = (runs) => runs.length > 0 && runs.every((r) => r.times[ph.id] === 'n/a');
    const tp = stats(times(tpRuns));
    const duck = stats(times(duckRuns, ph.duckTimes ?? ph.id));
    let match = null; // null: no results to compare
    let why = '';
    if (ph.id === 'instantiate' || ph.id === 'interactive') {
      match = null;
    } else if (tpRuns.length && duckRuns.length && tpRuns[0].values[ph.id] !== undefined && duckRuns[0].values[ph.duckCompare ?? ph.id] !== undefined) {
      const a = tpRuns[0].values[ph.id];
      const b = duckRuns[0].values[ph.duckCompare ?? ph.id];
      const pick = ph.special === 'load' ? (v) => ({ events: v.events, customers: v.customers }) : (v) => v;
      match = same(pick(a), pick(b)) && consistent(tpRuns, ph.id) && consistent(duckRuns, ph.duckCompare ?? ph.id);
      if (!match) why = !consistent(tpRuns, ph.id) ? 'Touchpath differs between runs' : !consistent(duckRuns, ph.duckCompare ?? ph.id) ? 'DuckDB differs between runs'
        : `Touchpath ${JSON.stringify(pick(a)).slice(0, 300)} vs DuckDB ${JSON.stringify(pick(b)).slice(0, 300)}`;
    }
    const notHere = na(tpRuns) ? 'the app has no such view yet' : ph.duckNa ? ph.duckNa : !ph.duck && !ph.special ? 'no DuckDB query for it yet' : '';
    return { id: ph.id, label: ph.label, note: ph.note ?? null, gate: !!ph.gate, touchpath: na(tpRuns) ? 'n/a' : tp,
      duckdb: ph.duck === null || ph.duckNa || na(duckRuns) ? 'n/a' : duck, match, mismatch: why || null, na: notHere || null,
      comparedWith: ph.duckCompare ? `${ph.duckCompare.replace('load_', '').toUpperCase()} load` : null };
  });
  const gateOk = rows.filter((r) => r.gate).every((r) => r.match === true);
  for (const r of rows) {
    const both = r.touchpath && r.touchpath !== 'n/a' && r.duckdb && r.duckdb !== 'n/a';
    r.ratio = both && gateOk && r.match !== false ? r.duckdb.median / r.touchpath.median : null;
    if (r.match === false) errors.push(`results differ: ${r.label}: ${r.mismatch}`);
  }
  if (!gateOk && !rows.some((r) => r.match === false)) errors.push('correctness gate: funnel or paths results missing for an engine');

  // Other measures.
  const extras = {
    touchpath_bytes_per_event: tpRuns.length ? median(tpRuns.map((r) => r.values.load_csv.memoryBytes)) / events : null,
    touchpath_bytes_per_event_one_worker: tpRuns.some((r) => r.values.load_csv_1w?.memoryBytes)
      ? median(tpRuns.map((r) => r.values.load_csv_1w?.memoryBytes).filter(Boolean)) / events
      : null,
    touchpath_bytes_per_event_range: tpRuns.length
      ? [Math.min(...tpRuns.map((r) => r.values.load_csv.memoryBytes)) / events, Math.max(...tpRuns.map((r) => r.values.load_csv.memoryBytes)) / events]
      : null,
    duckdb_bytes_per_event: duckRuns.some((r) => r.memoryBytes) ? median(duckRuns.map((r) => r.memoryBytes).filter(Boolean)) / events : null,
    touchpath_longest_task_ms: tpRuns.length ? Math.max(...tpRuns.map((r) => r.longestTask ?? 0)) : null,
    duckdb_longest_task_ms: duckRuns.length ? Math.max(...duckRuns.map((r) => r.longestTask ?? 0)) : null,
    renderer_peak_pss: memory.ok ? memory.peaks : null,
    bundles: bundleSizes(),
    duckdb_layouts: check?.layouts ?? null,
    duckdb_layout: check?.layout ?? null,
    duckdb_funnel_variant: check?.best ?? null,
    duckdb_funnel_variants_warm_ms: check ? { asof: stats(check.variants.asof.warm), range: stats(check.variants.range.warm) } : null,
    touchpath_notes: [...new Set(tpRuns.flatMap((r) => r.notes))],
  };
  const facts = machine(browser.version(), check?.version ?? null);
  const csvBytes = statSync(files.csv).size;

  // The table.
  const lines = [];
  lines.push(`Touchpath vs DuckDB-WASM ${facts.duckdb_wasm} (${facts.duckdb ?? '?'}, eh bundle, 1 thread), headless Chromium ${facts.chromium}`);
  lines.push(`${int(events)} events, ${(csvBytes / 1e6).toFixed(0)} MB CSV${files.jsonl ? `, ${(statSync(files.jsonl).size / 1e6).toFixed(0)} MB JSON lines` : ''}; ${repeats} runs per engine (a fresh page each); ${facts.cpu}, ${facts.cores} cores; ${facts.date.slice(0, 10)}`);
  lines.push('');
  lines.push('| phase | Touchpath median [min–max] | DuckDB-WASM median [min–max] | DuckDB / Touchpath | results match |');
  lines.push('|---|---|---|---|---|');
  for (const r of rows) {
    const cell = (s) => (s === 'n/a' ? 'n/a' : fmtStats(s));
    const ratio = r.ratio != null ? `${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(1)}×` : r.na ? 'n/a' : '—';
    const match = r.match === true ? (r.comparedWith ? `yes (vs DuckDB's ${r.comparedWith})` : 'yes') : r.match === false ? 'NO' : r.na ? 'n/a' : '—';
    lines.push(`| ${r.label}${r.note ? ` ¹` : ''} | ${cell(r.touchpath)} | ${cell(r.duckdb)} | ${ratio} | ${match} |`);
  }
  lines.push('');
  for (const r of rows) if (r.na) lines.push(`n/a, ${r.label}: ${r.na}.`);
  lines.push('¹ Touchpath computes the whole paths view in one worker request (Sankey with layout, every variant, transitions): the top-paths and Sankey rows show that request against each DuckDB query. After a change of steps it keeps the paths and variants it built and lays out the Sankey anew; DuckDB runs its Sankey query again.');
  if (check) {
    const l = (t) => `load ${fmtMs(t.load)}, funnel ${fmtMs(median(t.funnel[check.best]))}, paths ${fmtMs(t.paths)}, Sankey ${fmtMs(t.sankey)}`;
    lines.push(`DuckDB's best shot, chosen by a check run before the timed runs: the ${check.best === 'range' ? 'range-join' : 'ASOF-join'} funnel query `
      + `(warm medians: ASOF ${fmtMs(median(check.variants.asof.warm))}, range join ${fmtMs(median(check.variants.range.warm))}; both give the same counts), `
      + `on the table ${check.layout === 'sorted' ? 'sorted by customer' : 'as loaded (file order)'} `
      + `(as loaded: ${l(check.layouts.unsorted)}; sorted by customer: ${l(check.layouts.sorted)}).`);
  }
  const peaks = extras.renderer_peak_pss;
  const b = extras.bundles;
  lines.push('');
  lines.push('| measure | Touchpath | DuckDB-WASM |');
  lines.push('|---|---|---|');
  lines.push(`| memory after load ÷ events | ${extras.touchpath_bytes_per_event?.toFixed(1) ?? '—'} B/event${extras.touchpath_bytes_per_event_range ? ` [${extras.touchpath_bytes_per_event_range.map((v) => v.toFixed(1)).join('–')}]` : ''} (worker wasm memory)${extras.touchpath_bytes_per_event_one_worker ? `; ${extras.touchpath_bytes_per_event_one_worker.toFixed(1)} B/event read by one worker` : ''} | ${extras.duckdb_bytes_per_event?.toFixed(1) ?? '—'} B/event (duckdb_memory()) |`);
  lines.push(`| renderer peak PSS (timed runs) | ${fmtBytes(peaks?.touchpath)} | ${fmtBytes(peaks?.duckdb)} |`);
  lines.push(`| longest main-thread task during a load | ${extras.touchpath_longest_task_ms === 0 ? '< 50 ms' : fmtMs(extras.touchpath_longest_task_ms)} | ${extras.duckdb_longest_task_ms === 0 ? '< 50 ms' : fmtMs(extras.duckdb_longest_task_ms)} |`);
  lines.push(`| shipped wasm + JS, raw / gzip -9 | ${fmtBytes(b.touchpath.raw)} / ${fmtBytes(b.touchpath.gzip)} | ${fmtBytes(b.duckdb.raw)} / ${fmtBytes(b.duckdb.gzip)} (+ Arrow JS) |`);
  lines.push(`| of which the page's (before it is drawn; the worker's load after) | ${fmtBytes(b.touchpath.page.raw)} / ${fmtBytes(b.touchpath.page.gzip)} | — |`);
  lines.push('');
  if (tpRuns[0]) {
    const f = tpRuns[0].values;
    lines.push(`results: funnel ${WINDOW} ${f.funnel_first?.map(int).join(' / ')}, ${WINDOW_CHANGED} ${f.funnel_change?.map(int).join(' / ')}; top path ${f.paths_top?.[0]?.path} (${int(f.paths_top?.[0]?.customers ?? 0)} customers); ${f.sankey?.nodes.length ?? 0} Sankey nodes, ${f.sankey?.links.length ?? 0} links`);
  }
  if (ptRuns.length) {
    const pt = { rows: events >= 1e6 ? 100_000 : 10_000, paths: ptRuns[0].paths, load: stats(ptRuns.map((r) => r.load)), attribution: stats(ptRuns.map((r) => r.attribution)) };
    extras.path_table = pt;
    lines.push(`path table (${int(pt.rows)} rows, ${int(pt.paths)} distinct paths), Touchpath only: load ${fmtStats(pt.load)}; attribution, all models ${fmtStats(pt.attribution)}`);
  }
  for (const n of extras.touchpath_notes) lines.push(`note: ${n}`);
  for (const r of rows) if (r.match === false) lines.push(`MISMATCH ${r.label}: ${r.mismatch}`);
  console.log(lines.join('\n'));

  mkdirSync(OUT, { recursive: true });
  const jsonPath = join(OUT, `browser-${events}.json`);
  writeFileSync(jsonPath, JSON.stringify({
    schema: 'touchpath.bench.browser.v1', events, repeats, machine: facts, seconds: (Date.now() - t0) / 1000,
    files: { csv: { path: files.csv.slice(REPO.length + 1), bytes: csvBytes }, ...(files.jsonl ? { jsonl: { path: files.jsonl.slice(REPO.length + 1), bytes: statSync(files.jsonl).size } } : {}) },
    definitions: { funnel: { by: 'event', steps: FUNNEL_STEPS, window: WINDOW, changed_window: WINDOW_CHANGED, order: 'ordered' }, paths: PATHS },
    gate_ok: gateOk, phases: rows, extras, duckdb_check: check && { counts: check.counts, ties: check.ties, best: check.best, layout: check.layout, layouts: check.layouts, variants: check.variants },
    touchpath_results: tpRuns[0]?.values ?? null, duckdb_results: duckRuns[0]?.values ?? null, errors,
  }, null, 2));
  console.log(`wrote ${jsonPath.slice(REPO.length + 1)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (errors.length) {
    console.error(`\nbrowser benchmark FAILED:\n- ${errors.join('\n- ')}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`browser benchmark FAILED: ${e.stack || e.message}`);
  process.exit(1);
});
