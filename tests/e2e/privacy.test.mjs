// "Your data never leaves this page": during a whole session every request goes to the page's
// own server (or is a blob:/data: URL), nothing is sent (no POST, no WebSocket), and the data
// is read and parsed by the worker, not by the page.
//
// Numbers checked on the way come from tests/fixtures/e2e/journeys.csv, worked out by hand in
// app.test.mjs: 24 events, 8 customers; funnel site_visit → product_view with window 10m:
// 7 visitors (c1 c2 c3 c4 c5 c6 c8), 4 of them view within 10 min of a visit (c1 c2 c3 c5).
// orders.csv (share.test.mjs) adds 17 events of 6 other customers and neither of those events.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, fixture, fixtureBytes, launch, newPage, screenshot, serve,
  setWindow, text, waitForData,
} from './helpers.mjs';

// Runs in the page before the app: records every fetch/XHR the page itself makes and every read
// of a Blob/File on the page's thread (the worker's reads are not seen here).
const INSTRUMENT = () => {
  const log = { fetches: [], reads: [] };
  Object.defineProperty(window, '__privacyLog', { value: log });
  const origFetch = window.fetch;
  window.fetch = function (input, init) {
    log.fetches.push(String(input instanceof Request ? input.url : input));
    return origFetch.call(this, input, init);
  };
  const origOpen = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    log.fetches.push(String(url));
    return origOpen.call(this, method, url, ...rest);
  };
  const wrap = (proto, names) => {
    for (const name of names) {
      const orig = proto[name];
      if (typeof orig !== 'function') continue;
      proto[name] = function (...args) {
        const blob = this instanceof Blob ? this : args[0];
        log.reads.push(`${name}(${blob instanceof File ? blob.name : 'blob'})`);
        return orig.apply(this, args);
      };
    }
  };
  wrap(Blob.prototype, ['arrayBuffer', 'text', 'stream', 'bytes']);
  wrap(FileReader.prototype, ['readAsArrayBuffer', 'readAsText', 'readAsBinaryString', 'readAsDataURL']);
};

describe('Touchpath keeps data on the page', () => {
  let browser, server, context, page, problems, origin;
  const browserRequests = [];
  const serverRequests = [];
  const sockets = [];

  before(async () => {
    browser = await launch();
    server = await serve({
      log: serverRequests,
      extra: { '/data/journeys.csv': ['text/csv; charset=utf-8', await fixtureBytes('journeys.csv')] },
    });
    origin = new URL(server.url).origin;
    ({ context, page, problems } = await newPage(browser));
    // Context-wide: requests of every page and of their workers.
    context.on('request', (r) => browserRequests.push({ url: r.url(), method: r.method(), type: r.resourceType() }));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await context.addInitScript(INSTRUMENT); // every page of the session
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs a whole session using only its own server', async () => {
    // Open: the sample loads by itself; then the "Sample data" button loads it again.
    await page.goto(server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    const samplesBefore = serverRequests.filter((r) => r.path === '/static/sample.csv.gz').length;
    await page.click('#load-sample');
    await eventually(() => serverRequests.filter((r) => r.path === '/static/sample.csv.gz').length, samplesBefore + 1,
      { message: '"Sample data" fetches the sample again' });
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });

    // A file through the input (it replaces the sample), then a second file dropped on the page
    // (it is added: journeys.csv has 24 events of 8 customers c1–c8, orders.csv 17 events of
    // 6 customers v1–v6 → 41 events, 14 customers).
    await page.setInputFiles('#file-input', fixture('journeys.csv'));
    await waitForData(page, { events: '24', name: 'journeys.csv' });
    const orders = (await readFile(fixture('orders.csv'))).toString('utf8');
    await page.evaluate((body) => {
      const dt = new DataTransfer();
      dt.items.add(new File([body], 'orders.csv', { type: 'text/csv' }));
      const target = document.querySelector('.page');
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, orders);
    const BOTH = '2 files: journeys.csv, orders.csv';
    await waitForData(page, { events: '41', name: BOTH });
    assert.equal(await text(page, '#sum-customers'), '14');

    // Build a funnel (orders.csv has neither step, so the numbers are journeys.csv's) and download it.
    await page.evaluate(() => { location.hash = 'view=funnel&by=event&steps=site_visit,product_view'; });
    await setWindow(page, '10m');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
    ], { caption: '14 customers in the data · steps by event · window 10m from step 1', message: 'site_visit → product_view within 10m' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.data, BOTH);
    assert.equal(doc.events, 41);
    assert.deepEqual(doc.steps.map((s) => s.customers), [7, 4]);
    await screenshot(page, 'privacy-session');

    // A share link whose data= is on the same server, opened in a second page.
    const second = await context.newPage();
    second.on('websocket', (ws) => sockets.push(ws.url()));
    await second.goto(`${server.url}#view=funnel&by=event&steps=site_visit,product_view&window=10m&data=${origin}/data/journeys.csv`);
    await waitForData(second, { events: '24', name: `${origin}/data/journeys.csv` });
    await expectFunnel(second, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
    ], { message: 'the share link with data=' });
    assert.ok(serverRequests.some((r) => r.path === '/data/journeys.csv'), 'the data= file came from the test server');

    // Every request stayed on the test server (or was a blob:/data: URL); nothing was sent.
    const foreign = browserRequests.filter((r) => {
      if (r.url.startsWith('blob:') || r.url.startsWith('data:')) return false;
      try { return new URL(r.url).origin !== origin; } catch { return true; }
    });
    assert.deepEqual(foreign, [], `requests to anywhere but ${origin}`);
    assert.deepEqual(browserRequests.filter((r) => r.method !== 'GET'), [], 'requests that send something (not GET)');
    assert.deepEqual(serverRequests.filter((r) => r.method !== 'GET'), [], 'the server received only GETs');
    assert.deepEqual(sockets, [], 'no WebSockets');
    assert.ok(browserRequests.length > 5, `requests were recorded (${browserRequests.length})`);

    // The worker did the work: it was started and fetched the data itself; the page neither
    // fetched the data files nor read a file's bytes.
    for (const path of ['/worker.js', '/worker_bg.wasm', '/static/sample.csv.gz', '/data/journeys.csv']) {
      assert.ok(serverRequests.some((r) => r.path === path && r.status === 200), `${path} was served`);
    }
    assert.ok(page.workers().length >= 1, 'the page runs a web worker');
    for (const p of [page, second]) {
      const log = await p.evaluate(() => window.__privacyLog);
      assert.ok(log, 'the page instrumentation ran');
      assert.ok(log.fetches.some((u) => /_bg\.wasm$/.test(u)), `the instrumentation saw the app's own wasm fetch: ${log.fetches}`);
      assert.deepEqual(log.fetches.filter((u) => /sample\.csv\.gz|journeys\.csv/.test(u)), [],
        'the page itself did not fetch the data (the worker did)');
      assert.deepEqual(log.reads, [], 'the page itself read no file bytes (the worker did)');
    }
    assertNoProblems(problems);
  });
});
