// The main journey: the app served from a sub-path, the built-in sample, a hand-checked
// fixture loaded through the file input, a funnel built with every control, the window,
// the URL fragment, the JSON download and a funnel by channel.
//
// Fixture tests/fixtures/e2e/journeys.csv (header = line 1; 25 data rows, 8 customers).
// Times below are UTC on 2024-03-01, each customer's events in time order:
//   c1: site_visit 10:00 (…Z), product_view 10:02 (12:02+02:00), add_to_cart 10:05 ("… UTC"),
//       purchase 10:09 (epoch seconds 1709287740)             channels ads, ads, email, email
//   c2: site_visit 10:00, product_view 10:03 (epoch ms 1709287380000), add_to_cart 10:20,
//       purchase 10:25 (written FIRST in the file: input order is not time order)
//                                                           channels ads, ads, direct, direct
//   c3: site_visit 10:00, product_view 10:01                  channels email, email
//   c4: product_view 10:00, site_visit 10:01, add_to_cart 10:02  channels ads, email, email
//   c5: site_visit 09:00, site_visit 10:00, product_view 10:04, add_to_cart 10:08, purchase 10:11
//                                                           channels ads, email, email, email, direct
//   c6: site_visit 11:00, [line 21: product_view with timestamp "not-a-date" → skipped],
//       add_to_cart 11:02                                   channels direct, direct
//   c7: signup 12:00                                        channel email
//   c8: product_view 13:00 (…Z), site_visit 13:00 (line 25, "2024-03-01 13:00:00", no zone → UTC,
//       the same instant: file order keeps product_view first), add_to_cart 13:30   channels ads ×3
//
// Summary: 25 rows read, 1 skipped (line 21) → 24 events; 8 customers; channels email 10,
// ads 9, direct 5 → 3; exactly 1 timestamp without a zone (line 25).
//
// Funnels (a customer reaches step k when steps 1..k occur in order; counts are customers):
//  F1 site_visit, product_view, add_to_cart, checkout, purchase (the sample's default steps, kept):
//     site_visit: c1 c2 c3 c4 c5 c6 c8 = 7 (c7 never visits)
//     product_view after it: c1 c2 c3 c5 = 4 (c4 and c8 viewed before visiting, c6's view was skipped)
//     add_to_cart after that: c1 c2 c5 = 3;  checkout: not in the data → 0;  purchase after it → 0
//     % of first 100, 4/7 = 57.1, 3/7 = 42.9, 0, 0;  % of previous 100, 57.1, 3/4 = 75.0, 0, 0
//     drop-off 0, 3, 1, 3, 0
//  F2 step 4 switched to purchase: …, purchase, purchase → step 4 = c1 c2 c5 = 3 (3/7 = 42.9%,
//     3/3 = 100.0%, drop 0); step 5 needs a second purchase: nobody → 0 (0.0%, 0.0%, drop 3)
//  F3 step 5 removed: site_visit, product_view, add_to_cart, purchase → 7, 4, 3, 3
//     (100, 57.1, 42.9, 42.9 / 100, 57.1, 75.0, 100.0 / 0, 3, 1, 0)
//  F4 step 2 removed: site_visit, add_to_cart, purchase
//     add_to_cart after a visit: c1 c2 c4 (10:01→10:02) c5 c6 c8 (13:00→13:30) = 6; purchase: c1 c2 c5 = 3
//     % of first 100, 6/7 = 85.7, 3/7 = 42.9;  % of previous 100, 85.7, 3/6 = 50.0;  drop 0, 1, 3
//  F5 product_view added: …, purchase, product_view → nobody views after purchasing → 7, 6, 3, 0
//  F6 step 4 moved up: site_visit, add_to_cart, product_view, purchase → nobody views after the
//     cart (c1 10:02<10:05, c2 10:03<10:20, c4, c5 10:04<10:08, c8 13:00<13:30) → 7, 6, 0, 0
//  F7 step 3 moved up: site_visit, product_view, add_to_cart, purchase → F3 again
//  F8 F7 with window 10m (step k must be ≤ 10 min after the step-1 event that goes furthest):
//     c1 +2, +5, +9 min → 4 steps;  c2 view +3, cart +20 → 2;  c3 → 2;  c4 → 1;
//     c5: from 09:00 the view is +64 min (too late); from 10:00 view +4, cart +8, purchase +11 → 3;
//     c6 → 1; c8 → 1.  Counts 7, 4 (c1 c2 c3 c5), 2 (c1 c5), 1 (c1)
//     % of first 100, 57.1, 2/7 = 28.6, 1/7 = 14.3;  % of previous 100, 57.1, 2/4 = 50.0, 1/2 = 50.0
//     drop-off 0, 3, 2, 1
//  F9 by channel, no window, steps ads, email, direct:
//     ads: c1 c2 c4 c5 c8 = 5; email after ads: c1 (10:02→10:05), c4 (10:00→10:01), c5 (09:00→10:00) = 3;
//     direct after that: c5 (10:11) = 1 (c2 has direct but no email)
//     % of first 100, 60.0, 20.0;  % of previous 100, 60.0, 1/3 = 33.3;  drop-off 0, 2, 2
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, expectSteps, fixture, fragment, fragmentPairs, readFunnel,
  screenshot, setWindow, stepValues, text, useBrowser, waitForData,
} from './helpers.mjs';

const PREFIX = '/some/sub/path/';
const SAMPLE_STEPS = ['site_visit', 'product_view', 'add_to_cart', 'checkout', 'purchase'];
const CAPTION = '8 customers in the data · steps by event';

describe('Touchpath: sample, file input, funnel builder, window, URL, JSON, channels', () => {
  let browser, server, page, problems;
  const requests = [];

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  }, { prefix: PREFIX, log: requests });

  it('runs from a sub-path and loads the built-in sample', async () => {
    assert.ok(server.url.endsWith(PREFIX), server.url);
    await page.goto(server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });

    // Every asset came from under the sub-path and was found (relative asset paths work).
    const outside = requests.filter((r) => !r.path.startsWith(PREFIX));
    assert.deepEqual(outside, [], 'requests outside the sub-path');
    const missing = requests.filter((r) => r.status !== 200);
    assert.deepEqual(missing, [], 'requests that were not found');
    for (const asset of ['worker.js', 'worker_bg.wasm', 'static/sample.csv.gz']) {
      assert.ok(requests.some((r) => r.path === PREFIX + asset), `${PREFIX}${asset} should have been fetched`);
    }
    assert.ok(requests.some((r) => /^\/some\/sub\/path\/app-[0-9a-f]+_bg\.wasm$/.test(r.path)), 'the app wasm was fetched');

    await expectSteps(page, SAMPLE_STEPS, 'default steps for the sample');
    const f = await eventually(() => readFunnel(page), (v) => v?.rows.length === 5, { message: 'sample funnel with 5 rows' });
    assert.deepEqual(f.rows.map((r) => r[0]), SAMPLE_STEPS, 'sample funnel labels');
    const counts = f.rows.map((r) => Number(r[1].replaceAll(',', '')));
    assert.ok(counts[0] > 0, `first step has customers: ${counts}`);
    for (let i = 1; i < counts.length; i++) {
      assert.ok(counts[i] <= counts[i - 1], `counts never increase along the funnel: ${counts}`);
    }
    assert.equal(f.rows[0][2], '100.0%');
    assert.equal(await page.locator('#funnel-chart rect.bar').count(), 5);
    assert.match(await fragment(page), /(^|&)steps=site_visit,product_view,add_to_cart,checkout,purchase(&|$)/);
    await screenshot(page, 'app-sample');
  });

  it('loads a file through the file input and summarises it', async () => {
    // Steps named by a link are kept for the file the user then opens (auto-picked ones would be
    // re-picked for the new data: see defaults.test.mjs). Hand the sample's steps over as a link.
    // Open such a link (a reload with the fragment), then the file.
    await page.evaluate((steps) => { location.hash = `view=funnel&by=event&steps=${steps}`; }, SAMPLE_STEPS.join(','));
    await page.reload();
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('journeys.csv'));
    await waitForData(page, { events: '24', name: 'journeys.csv' });
    assert.equal(await text(page, '#sum-customers'), '8');
    assert.equal(await text(page, '#sum-channels'), '3');
    assert.equal(await text(page, '#sum-skipped'), '1');
    const skipped = await page.$$eval('#skipped li', (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(skipped, ['1 × unparseable timestamp — line 21 ("not-a-date")']);
    const utc = await text(page, '#utc-note');
    assert.ok(utc !== null, '#utc-note should be shown: line 25 has no time zone');
    assert.equal(utc, '1 timestamp had no time zone; it is read as UTC.');
    const channels = await page.$$eval('#channel-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    assert.deepEqual(channels, [['email', '10'], ['ads', '9'], ['direct', '5']]);
    assert.equal(await page.locator('#load-error').count(), 0, 'no load error');
  });

  it('offers every skipped row as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-skipped')]);
    assert.equal(download.suggestedFilename(), 'touchpath-skipped-rows.csv');
    const csv = await readFile(await download.path(), 'utf8');
    assert.equal(csv, 'file,line,reason,detail\njourneys.csv,21,unparseable timestamp,not-a-date\n');
  });

  it('keeps the steps and computes F1 (checkout is not in the data)', async () => {
    await expectSteps(page, SAMPLE_STEPS, 'steps kept from the link');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
      ['add_to_cart', '3', '42.9%', '75.0%', '1'],
      ['checkout', '0', '0.0%', '0.0%', '3'],
      ['purchase', '0', '0.0%', '0.0%', '0'],
    ], { caption: CAPTION, message: 'F1' });
    const shown = await page.$eval('#funnel-steps li.step:nth-child(4) select.step-select',
      (sel) => sel.selectedOptions[0]?.textContent);
    assert.equal(shown, 'checkout (not in data)', 'a step missing from the data is marked');
  });

  it('switches, removes, adds and moves steps (F2–F7)', async () => {
    const step = (n) => page.locator('#funnel-steps li.step select.step-select').nth(n - 1);
    // What the step selects show is checked after every change, but a mismatch is reported at
    // the end of this test, so that the funnel numbers of the later changes are still checked.
    const selectMismatches = [];
    const checkSteps = async (values, message) => {
      try {
        await eventually(() => stepValues(page), values, { message, timeout: 3_000 });
      } catch {
        selectMismatches.push(`${message}: the step selects show ${JSON.stringify(await stepValues(page))}, `
          + `expected ${JSON.stringify(values)} (the table and URL say ${JSON.stringify((await readFunnel(page))?.rows.map((r) => r[0]))} / ${await fragment(page)})`);
      }
    };

    await step(4).selectOption('purchase');
    await checkSteps(['site_visit', 'product_view', 'add_to_cart', 'purchase', 'purchase'], 'F2 steps');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
      ['add_to_cart', '3', '42.9%', '75.0%', '1'],
      ['purchase', '3', '42.9%', '100.0%', '0'],
      ['purchase', '0', '0.0%', '0.0%', '3'],
    ], { message: 'F2: step 4 switched to purchase' });

    await page.getByRole('button', { name: 'Remove step 5', exact: true }).click();
    const F3 = [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
      ['add_to_cart', '3', '42.9%', '75.0%', '1'],
      ['purchase', '3', '42.9%', '100.0%', '0'],
    ];
    await expectFunnel(page, F3, { message: 'F3: step 5 removed' });

    await page.getByRole('button', { name: 'Remove step 2', exact: true }).click();
    await checkSteps(['site_visit', 'add_to_cart', 'purchase'], 'F4 steps');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['add_to_cart', '6', '85.7%', '85.7%', '1'],
      ['purchase', '3', '42.9%', '50.0%', '3'],
    ], { message: 'F4: step 2 removed' });

    await page.selectOption('#add-step', 'product_view');
    await checkSteps(['site_visit', 'add_to_cart', 'purchase', 'product_view'], 'F5 steps');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['add_to_cart', '6', '85.7%', '85.7%', '1'],
      ['purchase', '3', '42.9%', '50.0%', '3'],
      ['product_view', '0', '0.0%', '0.0%', '3'],
    ], { message: 'F5: product_view added' });
    const addStepShows = await page.inputValue('#add-step');

    await page.getByRole('button', { name: 'Move step 4 up', exact: true }).click();
    await checkSteps(['site_visit', 'add_to_cart', 'product_view', 'purchase'], 'F6 steps');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['add_to_cart', '6', '85.7%', '85.7%', '1'],
      ['product_view', '0', '0.0%', '0.0%', '6'],
      ['purchase', '0', '0.0%', '0.0%', '0'],
    ], { message: 'F6: step 4 moved up' });
    assert.ok(await page.getByRole('button', { name: 'Move step 1 up', exact: true }).isDisabled(), 'step 1 cannot move up');

    await page.getByRole('button', { name: 'Move step 3 up', exact: true }).click();
    await checkSteps(['site_visit', 'product_view', 'add_to_cart', 'purchase'], 'F7 steps');
    await expectFunnel(page, F3, { caption: CAPTION, message: 'F7: step 3 moved up (= F3)' });
    await eventually(() => fragmentPairs(page), (m) => m.get('steps') === 'site_visit,product_view,add_to_cart,purchase',
      { message: 'F7 steps in the URL' });
    if (addStepShows !== '') {
      selectMismatches.push(`after adding product_view, #add-step still shows ${JSON.stringify(addStepShows)} `
        + 'instead of going back to its "+ Add step…" placeholder (value "")');
    }
    assert.deepEqual(selectMismatches, [], 'each step select shows its step; #add-step resets after adding');
  });

  it('rejects an invalid window and applies a 10m window (F8)', async () => {
    await setWindow(page, '7x');
    const err = await eventually(() => text(page, '#window-error'), (t) => t !== null, { message: '#window-error for "7x"' });
    assert.match(err, /7x/, 'the window error quotes the text');
    assert.equal(await page.getAttribute('#funnel-window', 'aria-invalid'), 'true');
    assert.ok(!(await fragmentPairs(page)).has('window'), 'an invalid window does not reach the URL');
    const unchanged = await readFunnel(page);
    assert.equal(unchanged.caption, CAPTION, 'an invalid window does not change the funnel');
    assert.deepEqual(unchanged.rows.map((r) => r[1]), ['7', '4', '3', '3']);

    await setWindow(page, '10m');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
      ['add_to_cart', '2', '28.6%', '50.0%', '2'],
      ['purchase', '1', '14.3%', '50.0%', '1'],
    ], { caption: `${CAPTION} · window 10m from step 1`, message: 'F8: window 10m' });
    assert.equal(await page.locator('#window-error').count(), 0, 'the window error is gone');
    assert.equal(await page.inputValue('#funnel-window'), '10m');

    const pairs = await eventually(() => fragmentPairs(page), (m) => m.get('window') === '10m', { message: 'window=10m in the URL' });
    assert.equal(pairs.get('view'), 'funnel');
    assert.equal(pairs.get('by'), 'event');
    assert.equal(pairs.get('steps'), 'site_visit,product_view,add_to_cart,purchase');
    assert.ok(!pairs.has('data'), 'a file from the input is not named in the link');
    await screenshot(page, 'app-funnel-window');
  });

  it('downloads the funnel as JSON with the same numbers (F8)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    assert.equal(download.suggestedFilename(), 'touchpath-funnel.json');
    const path = await download.path();
    const doc = JSON.parse(await readFile(path, 'utf8'));
    const pct = (n, d) => (n * 100) / d;
    const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);
    assert.equal(doc.schema, 'touchpath.funnel.v1');
    assert.equal(doc.data, 'journeys.csv');
    assert.equal(doc.events, 24);
    assert.equal(doc.customers, 8);
    assert.equal(doc.by, 'event');
    assert.equal(doc.window, '10m');
    const want = [
      ['site_visit', 7, 100, 100, 0],
      ['product_view', 4, pct(4, 7), pct(4, 7), 3],
      ['add_to_cart', 2, pct(2, 7), 50, 2],
      ['purchase', 1, pct(1, 7), 50, 1],
    ];
    assert.equal(doc.steps.length, want.length, 'JSON steps');
    want.forEach(([label, customers, first, prev, dropoff], i) => {
      const s = doc.steps[i];
      assert.equal(s.label, label, `step ${i + 1} label`);
      assert.equal(s.customers, customers, `step ${i + 1} customers`);
      close(s.pct_of_first, first, `step ${i + 1} pct_of_first`);
      close(s.pct_of_previous, prev, `step ${i + 1} pct_of_previous`);
      assert.equal(s.dropoff, dropoff, `step ${i + 1} dropoff`);
      assert.equal(s.present, true, `step ${i + 1} present`);
    });
  });

  it('downloads the customers of the funnel as CSV, one row per entrant with the furthest step', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-funnel-customers')]);
    assert.equal(download.suggestedFilename(), 'touchpath-funnel-customers.csv');
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'customer_id,unit_start,furthest_step,furthest_step_label,next_step,converted,last_channel,last_event,last_seen');
    // The same funnel as the JSON above (10m window): 7 entered; the furthest steps are the
    // step counts less the next step's: 7 − 4 = 3 stop at site_visit, 4 − 2 = 2 at product_view,
    // 2 − 1 = 1 at add_to_cart, 1 converted.
    const furthest = lines.slice(1).map((l) => l.split(',')[3]);
    assert.deepEqual(furthest, ['site_visit', 'site_visit', 'site_visit', 'product_view', 'product_view', 'add_to_cart', 'purchase']);
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[5]), ['0', '0', '0', '0', '0', '0', '1']);
  });

  it('builds a funnel by channel (F9)', async () => {
    await setWindow(page, '');
    await expectFunnel(page, [
      ['site_visit', '7', '100.0%', '100.0%', '0'],
      ['product_view', '4', '57.1%', '57.1%', '3'],
      ['add_to_cart', '3', '42.9%', '75.0%', '1'],
      ['purchase', '3', '42.9%', '100.0%', '0'],
    ], { caption: CAPTION, message: 'F7 again once the window is cleared' });
    await eventually(() => fragmentPairs(page), (m) => !m.has('window'), { message: 'no window= in the URL' });

    await page.selectOption('#funnel-by', 'channel');
    await expectSteps(page, [], 'switching to channels clears the steps');
    // With no steps there is no funnel: the event funnel must not stay on screen (checked at the
    // end of this test, so that the channel funnel is still checked when this fails).
    let staleFunnel = null;
    try {
      await eventually(() => readFunnel(page), (f) => f === null || f.rows.length === 0, { timeout: 3_000 });
    } catch {
      staleFunnel = await readFunnel(page);
      await screenshot(page, 'app-channel-no-steps');
    }

    const addStepAfterSwitch = await page.inputValue('#add-step');
    for (const ch of ['ads', 'email', 'direct']) await page.selectOption('#add-step', ch);
    await expectSteps(page, ['ads', 'email', 'direct'], 'channel steps');
    await expectFunnel(page, [
      ['ads', '5', '100.0%', '100.0%', '0'],
      ['email', '3', '60.0%', '60.0%', '2'],
      ['direct', '1', '20.0%', '33.3%', '2'],
    ], { caption: '8 customers in the data · steps by channel', message: 'F9: by channel' });
    const pairs = await fragmentPairs(page);
    assert.equal(pairs.get('by'), 'channel');
    assert.equal(pairs.get('steps'), 'ads,email,direct');
    assert.deepEqual(await stepValues(page), ['ads', 'email', 'direct']);
    await screenshot(page, 'app-funnel-channel');
    assertNoProblems(problems);
    const deferred = [];
    if (staleFunnel !== null) {
      deferred.push('after switching to channels (steps cleared) no funnel should be shown, but the event funnel '
        + `stayed on screen: ${JSON.stringify(staleFunnel)}`);
    }
    if (addStepAfterSwitch !== '') {
      deferred.push(`after switching to channels #add-step shows ${JSON.stringify(addStepAfterSwitch)} `
        + 'instead of its "+ Add step…" placeholder (value "")');
    }
    assert.deepEqual(deferred, [], 'the builder right after switching to channels');
  });

  it('re-reads the file when a column is remapped, and puts the choice in the URL', async () => {
    // Channel → (none): no channel column, so the channel funnel cannot be computed.
    await page.selectOption('#col-channel', '');
    await eventually(() => text(page, '#sum-channels'), '—', { message: '#sum-channels without a channel column' });
    await waitForData(page, { events: '24', name: 'journeys.csv' });
    assert.equal(await page.locator('#channel-table').count(), 0, 'no channel table');
    let pairs = await fragmentPairs(page);
    assert.ok(pairs.has('col.channel'), `col.channel in the URL: ${await fragment(page)}`);
    assert.equal(pairs.get('col.channel'), '');
    await eventually(() => text(page, '#funnel-error'), (t) => /no channel column/.test(t ?? ''),
      { message: '#funnel-error says there is no channel column' });

    // Channel → the "channel" column (header index 3) again: F9 is back.
    await page.selectOption('#col-channel', '3');
    await eventually(() => text(page, '#sum-channels'), '3', { message: '#sum-channels with the channel column' });
    pairs = await fragmentPairs(page);
    assert.equal(pairs.get('col.channel'), 'channel', 'col.channel=<header name> in the URL');
    await expectFunnel(page, [
      ['ads', '5', '100.0%', '100.0%', '0'],
      ['email', '3', '60.0%', '60.0%', '2'],
      ['direct', '1', '20.0%', '33.3%', '2'],
    ], { message: 'F9 after mapping the channel column again' });
    assert.equal(await page.locator('#funnel-error').count(), 0, 'the funnel error is gone');
    assertNoProblems(problems);
  });
});
