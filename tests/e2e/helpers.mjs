// Shared helpers of the end-to-end tests: browser launch, the test server, waiting for the app
// and reading what it shows. Every wait is bounded (15 s by default) and fails with a message
// that says what was expected and what the page showed last.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '../..');
export const DIST = join(REPO, 'dist');
export const FIXTURES = join(REPO, 'tests/fixtures/e2e');
export const ARTIFACTS = join(here, 'artifacts');
export const TIMEOUT = 15_000;

/** The path of a fixture file in tests/fixtures/e2e/. */
export const fixture = (name) => join(FIXTURES, name);

/** Reads a fixture file (bytes). */
export const fixtureBytes = (name) => readFile(fixture(name));

/** Launches Debian's headless Chromium (never a downloaded browser). */
export async function launch() {
  try {
    await readFile(join(DIST, 'index.html'));
  } catch {
    throw new Error(`${DIST}/index.html is missing: run \`trunk build --release\` in ${REPO} first`);
  }
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Serves dist/ under `prefix`; `extra` adds routes, `log` (an array) records requests. */
export function serve({ prefix = '/', extra = {}, log = null } = {}) {
  return startServer({ root: DIST, prefix, extra, log });
}

/**
 * The browser, test server and page of a `describe` block: launched before its tests and closed
 * after them. `ready(s)` gets `{ browser, server, context, page, problems }` once they are up
 * (and may go on setting up); `options` go to `serve`, but `page: false` opens no page (the tests
 * open their own).
 */
export function useBrowser(ready, { page = true, ...options } = {}) {
  const s = {};
  before(async () => {
    s.browser = await launch();
    s.server = await serve(options);
    if (page) Object.assign(s, await newPage(s.browser));
    await ready(s);
  });
  after(async () => {
    await s.browser?.close();
    await s.server?.close();
  });
}

/**
 * A new page (in its own context, downloads accepted) that records uncaught errors, console
 * errors and dialogs, so that tests can assert none happened.
 */
export async function newPage(browser) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = { pageErrors: [], consoleErrors: [], dialogs: [] };
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.consoleErrors.push(m.text()); });
  page.on('dialog', (d) => { problems.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  return { context, page, problems };
}

/** Fails when the page threw, logged an error or opened a dialog. */
export function assertNoProblems(problems, what = 'the page') {
  assert.deepEqual(problems.pageErrors, [], `${what} threw uncaught errors`);
  assert.deepEqual(problems.consoleErrors, [], `${what} logged console errors`);
  assert.deepEqual(problems.dialogs, [], `${what} opened dialogs`);
}

/**
 * Polls `read()` until `check(value)` holds (or, given `expected`, until the value deep-equals it),
 * for at most `timeout` ms. On timeout fails with the last value read.
 */
export async function eventually(read, expected, { timeout = TIMEOUT, interval = 50, message = '' } = {}) {
  const check = typeof expected === 'function' ? expected : (v) => isDeepEqual(v, expected);
  const end = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (check(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  const prefix = `${message || 'condition'} (not met within ${timeout} ms)`;
  if (lastError) throw new Error(`${prefix}: ${lastError.message}`);
  if (typeof expected === 'function') assert.fail(`${prefix}; last value: ${JSON.stringify(last)}`);
  assert.deepEqual(last, expected, prefix);
  return last;
}

function isDeepEqual(a, b) {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** The text of the first element matching `selector`, or null when there is none. */
export function text(page, selector) {
  return page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
}

/**
 * Waits until data is loaded and shown: `#sum-events` (a path table: `#sum-paths`) reads `events`, no load is in progress
 * and, when given, `#data-name` reads `name`.
 */
export async function waitForData(page, { events, name } = {}) {
  return eventually(
    () => page.evaluate(() => ({
      // Event data counts events; a path table (no events) counts its paths.
      events: (document.querySelector('#sum-events') ?? document.querySelector('#sum-paths'))?.textContent ?? null,
      name: document.querySelector('#data-name')?.textContent?.trim() ?? null,
      loading: !!document.querySelector('#progress'),
      error: document.querySelector('#load-error .message')?.textContent ?? null,
    })),
    (s) => !s.loading && s.events !== null && (events === undefined || s.events === events)
      && (name === undefined || s.name === name),
    { message: `data loaded (events ${events ?? 'any'}, name ${name ?? 'any'})` },
  );
}

/** Waits for `#load-error` and returns its parts. */
export async function waitForLoadError(page, { message } = {}) {
  return eventually(
    () => page.evaluate(() => {
      const el = document.querySelector('#load-error');
      return el && !document.querySelector('#progress') ? {
        role: el.getAttribute('role'),
        message: el.querySelector('.message')?.textContent ?? null,
        kept: el.querySelector('.kept')?.textContent?.trim() ?? null,
        text: el.textContent,
      } : null;
    }),
    (e) => e !== null && (message === undefined || e.message === message),
    { message: `#load-error${message ? ` with message ${JSON.stringify(message)}` : ''}` },
  );
}

/** The funnel table as `{ caption, rows: [[label, customers, % of first, % of previous, drop-off]] }`. */
export function readFunnel(page) {
  return page.evaluate(() => {
    const table = document.querySelector('#funnel-table');
    if (!table) return null;
    const cell = (tr, c) => tr.querySelector(c)?.textContent.trim() ?? null;
    return {
      caption: table.querySelector('caption')?.textContent.trim() ?? null,
      rows: [...table.querySelectorAll('tr.funnel-row')].map((tr) => [
        cell(tr, '.step-label'), cell(tr, '.step-customers'), cell(tr, '.step-pct-first'),
        cell(tr, '.step-pct-prev'), cell(tr, '.step-dropoff'),
      ]),
    };
  });
}

/**
 * Waits until the funnel table shows exactly `rows` (see readFunnel) and, when given, the
 * caption `caption`; the chart must then have one `rect.bar` per row.
 */
export async function expectFunnel(page, rows, { caption, message = 'funnel table' } = {}) {
  const want = caption === undefined ? rows : { caption, rows };
  const got = await eventually(
    async () => {
      const f = await readFunnel(page);
      return caption === undefined ? f?.rows : f;
    },
    want,
    { message },
  );
  const bars = await page.locator('#funnel-chart rect.bar').count();
  assert.equal(bars, rows.length, `${message}: #funnel-chart should draw one rect.bar per step`);
  return got;
}

/** The values of the step selects, in order. */
export function stepValues(page) {
  return page.$$eval('#funnel-steps li.step select.step-select', (ss) => ss.map((s) => s.value));
}

/** Waits until the step selects hold `values`. */
export function expectSteps(page, values, message = 'funnel steps') {
  return eventually(() => stepValues(page), values, { message });
}

/** The page's URL fragment, without `#` (percent-escapes as written). */
export async function fragment(page) {
  const hash = await page.evaluate(() => location.hash);
  return hash.replace(/^#/, '');
}

/** The fragment's `key=value` pairs as a Map (values left percent-encoded, as the app writes them). */
export async function fragmentPairs(page) {
  const f = await fragment(page);
  return new Map(f.split('&').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
  }));
}

/** Sets the conversion window the way a user does: type, then press Enter. */
export async function setWindow(page, value) {
  await page.fill('#funnel-window', value);
  await page.press('#funnel-window', 'Enter');
}

/** Saves a full-page screenshot into tests/e2e/artifacts/. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
