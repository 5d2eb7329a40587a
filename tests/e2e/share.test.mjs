// Share links: the URL fragment restores the view (with and without `data=`), follows hand
// edits, and a `data=` URL that cannot be fetched is reported.
//
// Fixture tests/fixtures/e2e/orders.csv: header `visitor_id,date,action` (date-only timestamps,
// all without a zone), 17 rows, 6 customers. Each visitor's events (2024-03-dd):
//   v1: catalog 01, cart 02, payment_done 05
//   v2: catalog 01, cart 03, payment_done 10
//   v3: catalog 01, cart 08, payment_done 08 (same day, file order: cart first)
//   v4: cart 01, catalog 02, payment_done 03
//   v5: catalog 01, catalog 20, cart 22, payment_done 30
//   v6: catalog 04
// Funnels (ordered; with a window W, step k must be ≤ W after the step-1 event that goes furthest):
//  S1 catalog, cart, payment_done, window 7d:
//     catalog: all 6.  cart: v1 (+1d), v2 (+2d), v3 (+7d = W counts), v5 (from the 20th: +2d) = 4;
//     v4's cart came before its catalog.  payment_done: v1 (+4d), v3 (+7d) = 2; v2 +9d and v5 +10d
//     are too late.  % of first 100, 4/6 = 66.7, 2/6 = 33.3; % of previous 100, 66.7, 2/4 = 50.0;
//     drop-off 0, 2, 2
//  S2 the same without a window: payment_done also v2 and v5 → 6, 4, 4
//     (100, 66.7, 66.7 / 100, 66.7, 100.0 / 0, 2, 0)
//  S3 catalog, payment_done, window 1d: only v4 (catalog 02 → payment 03, +1d) → 6, 1
//     (100, 1/6 = 16.7 / 100, 16.7 / 0, 5)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, expectFunnel, expectSteps, fixtureBytes, fragmentPairs, launch, newPage, eventually,
  readFunnel, screenshot, serve, text, waitForData, waitForLoadError, fixture,
} from './helpers.mjs';

const PREFIX = '/app/';
const DATA = '../data/orders.csv'; // relative to the page at /app/ → /data/orders.csv
const S1 = [
  ['catalog', '6', '100.0%', '100.0%', '0'],
  ['cart', '4', '66.7%', '66.7%', '2'],
  ['payment_done', '2', '33.3%', '50.0%', '2'],
];
const S2 = [
  ['catalog', '6', '100.0%', '100.0%', '0'],
  ['cart', '4', '66.7%', '66.7%', '2'],
  ['payment_done', '4', '66.7%', '100.0%', '0'],
];
const S3 = [
  ['catalog', '6', '100.0%', '100.0%', '0'],
  ['payment_done', '1', '16.7%', '16.7%', '5'],
];
const CAPTION = '6 customers in the data · steps by event';

describe('Touchpath share links', () => {
  let browser, server;
  const requests = [];
  const fetched = (path) => requests.filter((r) => r.path === path).length;

  before(async () => {
    browser = await launch();
    server = await serve({
      prefix: PREFIX,
      log: requests,
      extra: { '/data/orders.csv': ['text/csv; charset=utf-8', await fixtureBytes('orders.csv')] },
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('restores a link with data=, steps and window, and follows hand edits of the fragment', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(`${server.url}#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d&data=${DATA}`);
    await waitForData(page, { events: '17', name: DATA });
    assert.equal(fetched('/data/orders.csv'), 1, 'the data= URL was fetched once');
    assert.equal(fetched(`${PREFIX}static/sample.csv.gz`), 0, 'the sample is not loaded when the link names data');
    assert.equal(await text(page, '#sum-customers'), '6');
    assert.equal(await text(page, '#sum-channels'), '—', 'no channel column');
    assert.equal(await text(page, '#sum-skipped'), '0');
    assert.match(await text(page, '#utc-note') ?? '(no #utc-note)', /^17 timestamps had no time zone/);

    await expectSteps(page, ['catalog', 'cart', 'payment_done'], 'steps from the link');
    assert.equal(await page.inputValue('#funnel-window'), '7d', 'window from the link');
    assert.equal(await page.inputValue('#funnel-by'), 'event');
    await expectFunnel(page, S1, { caption: `${CAPTION} · window 7d from step 1`, message: 'S1 from the link' });
    let pairs = await fragmentPairs(page);
    assert.equal(pairs.get('data'), DATA, 'the link keeps data=');
    assert.equal(pairs.get('steps'), 'catalog,cart,payment_done');
    assert.equal(pairs.get('window'), '7d');
    await screenshot(page, 'share-restored');

    // Hand edit 1: the window removed.
    await page.evaluate((d) => { location.hash = `view=funnel&data=${d}&by=event&steps=catalog,cart,payment_done`; }, DATA);
    await expectFunnel(page, S2, { caption: CAPTION, message: 'S2 after removing window= by hand' });
    assert.equal(await page.inputValue('#funnel-window'), '', 'the window input follows the fragment');
    await expectSteps(page, ['catalog', 'cart', 'payment_done'], 'steps after hand edit 1');

    // Hand edit 2: other steps and a 1d window.
    await page.evaluate((d) => { location.hash = `view=funnel&data=${d}&by=event&steps=catalog,payment_done&window=1d`; }, DATA);
    await expectFunnel(page, S3, { caption: `${CAPTION} · window 1d from step 1`, message: 'S3 after editing steps and window by hand' });
    await expectSteps(page, ['catalog', 'payment_done'], 'steps after hand edit 2');
    assert.equal(await page.inputValue('#funnel-window'), '1d', 'the window input follows the fragment');
    assert.equal(fetched('/data/orders.csv'), 1, 'the same data= is not fetched again on a fragment edit');
    assert.equal(await text(page, '#sum-events'), '17');

    assertNoProblems(problems);

    // Hand edit 3: data= now names a file that does not exist; the loaded data stays.
    await page.evaluate(() => { location.hash = 'view=funnel&data=../data/gone.csv&by=event&steps=catalog,payment_done&window=1d'; });
    const err = await waitForLoadError(page);
    assert.equal(err.role, 'alert');
    assert.match(err.message, /^\.\.\/data\/gone\.csv: could not fetch http:\/\/127\.0\.0\.1:\d+\/data\/gone\.csv: HTTP 404/);
    assert.equal(err.kept, 'The data loaded before is still in use.');
    assert.equal(await text(page, '#sum-events'), '17', 'the previous data stays');
    await expectFunnel(page, S3, { message: 'S3 stays after the failed load' });
    assert.deepEqual(problems.pageErrors, [], 'no uncaught errors');
    await context.close();
  });

  it('keeps the steps of a link without data= for the file the user then loads', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(`${server.url}#view=funnel&by=event&steps=catalog,cart,payment_done&window=7d`);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    await expectSteps(page, ['catalog', 'cart', 'payment_done'], 'the link\'s steps, not the sample\'s defaults');
    assert.equal(await page.inputValue('#funnel-window'), '7d');
    // The sample has none of these events: every step counts 0 customers.
    await eventually(() => readFunnel(page), (f) => f?.rows.length === 3 && f.rows.every((r) => r[1] === '0'),
      { message: 'the link\'s steps computed on the sample (0 customers each)' });

    await page.setInputFiles('#file-input', fixture('orders.csv'));
    await waitForData(page, { events: '17', name: 'orders.csv' });
    await expectSteps(page, ['catalog', 'cart', 'payment_done'], 'steps kept for the loaded file');
    assert.equal(await page.inputValue('#funnel-window'), '7d', 'window kept for the loaded file');
    await expectFunnel(page, S1, { caption: `${CAPTION} · window 7d from step 1`, message: 'S1 on the loaded file' });
    const pairs = await fragmentPairs(page);
    assert.equal(pairs.get('steps'), 'catalog,cart,payment_done');
    assert.equal(pairs.get('window'), '7d');
    assert.ok(!pairs.has('data'), 'a file from the input is not named in the link');
    await screenshot(page, 'share-link-then-file');
    assertNoProblems(problems);
    await context.close();
  });

  it('reports a data= URL that cannot be fetched (404), naming it', async () => {
    const { page, problems, context } = await newPage(browser);
    const samplesBefore = fetched(`${PREFIX}static/sample.csv.gz`);
    await page.goto(`${server.url}#view=funnel&steps=a,b&data=missing/nothing.csv`);
    const err = await waitForLoadError(page);
    assert.equal(err.role, 'alert');
    assert.match(err.message,
      /^missing\/nothing\.csv: could not fetch http:\/\/127\.0\.0\.1:\d+\/app\/missing\/nothing\.csv: HTTP 404/);
    assert.equal(err.kept, null, 'nothing was loaded before, so nothing is "still in use"');
    assert.equal(await page.locator('#sum-events').count(), 0, 'no summary without data');
    assert.equal(fetched(`${PREFIX}static/sample.csv.gz`), samplesBefore, 'the sample is not loaded instead');
    assert.deepEqual(problems.pageErrors, [], 'no uncaught errors');
    assert.equal((await text(page, '#data-name')).trim(), 'No data loaded');
    await screenshot(page, 'share-404');
    await context.close();
  });
});
