// Funnel options beyond the basics: optional steps and exclusions, in the builder, the table,
// the URL fragment, the JSON download and a share link.
//
// Fixture tests/fixtures/e2e/funnel-more.csv (22 events, 6 customers, all on 2024-05-01 UTC):
//   u1: visit 10:00, signup 10:01, cart 10:02, buy 10:03
//   u2: visit 10:00, cart 10:05, buy 10:10
//   u3: visit 10:00, signup 10:02
//   u4: visit 10:00, support 10:01, cart 10:02, buy 10:03
//   u5: visit 10:00, cart 10:01, support 10:02, visit 10:03, cart 10:04, buy 10:05
//   u6: signup 10:00, visit 10:01, cart 10:02
//
// Steps visit → signup → cart → buy.
//  M1 every step required: visit u1–u6 = 6; signup after a visit u1 u3 = 2 (u6 signed up first);
//     cart after that u1 = 1; buy u1 = 1.
//     % of first 100, 2/6 = 33.3, 1/6 = 16.7, 16.7;  % of previous 100, 33.3, 1/2 = 50.0, 100.0;
//     drop-off 0, 4, 1, 0
//  M2 step 2 optional (optional=2): the required steps are visit → cart → buy: visit 6; cart after
//     a visit u1 u2 u4 u5 u6 = 5; buy after that u1 u2 u4 u5 = 4. signup is reached by visit then
//     signup: u1 u3 = 2. The previous step of signup and of cart is visit (the nearest required
//     step): signup 2/6 = 33.3%, drop 4; cart 5/6 = 83.3%, 83.3%, drop 1; buy 4/6 = 66.7%,
//     4/5 = 80.0%, drop 1.
//  M3 + exclusion "support between steps 1 and 4" (exclude=support:1-4): u4's only chain has
//     support between its visit and its buy → u4 counts up to cart, not at buy; u5's chain from
//     the 10:03 visit is clean → buys. buy = u1 u2 u5 = 3 (3/6 = 50.0%, 3/5 = 60.0%, drop 2);
//     the other steps as M2 (an exclusion only stops its "to" step and later).
//  M4 the exclusion from step 3 instead (support between cart and buy): u4's support is before
//     its cart (not between); u5's cart 10:04 → buy 10:05 is clean → buy = 4 again, as M2.
//  M5 M4 strictly in order (each step the very next event; the optional signup may be skipped;
//     exclusions change nothing — nothing comes between consecutive steps):
//     u1 visit signup cart buy → 4 steps; u2 visit cart buy → visit, cart, buy (not signup);
//     u3 visit signup; u4 visit then support → visit only; u5 visit cart, then visit cart buy
//     → cart, buy; u6 visit cart → cart.
//     visit 6; signup u1 u3 = 2 (33.3%, drop 4); cart u1 u2 u5 u6 = 4 (66.7%, 66.7%, drop 2);
//     buy u1 u2 u5 = 3 (50.0%, 3/4 = 75.0%, drop 1)
//  M6 open funnel (open=1), every step required, in order, no exclusion. An entry at step s is the
//     closed funnel of steps s..; "entered here" = at the step but brought there by no earlier entry.
//     u1: entry at visit reaches all 4 → enters at visit only.
//     u2: visit (no signup after it); entry at cart: cart 10:05 → buy 10:10 → enters at visit, cart.
//     u3: visit → signup → enters at visit.   u4, u5: as u2 (visit; cart → buy).
//     u6: visit; entry at signup 10:00 → cart 10:02 (visit is after the signup) → enters at visit, signup.
//     visit 6 (entered 6); signup u1 u3 u6 = 3 (entered: u6 = 1); cart u1 u2 u4 u5 u6 = 5 (entered:
//     u2 u4 u5 = 3); buy u1 u2 u4 u5 = 4 (entered 0).
//     % of first 100, 50.0, 83.3, 66.7; % of previous 100, 3/6 = 50.0, 5/3 = 166.7, 4/5 = 80.0.
//     Drop-off = at the previous step but not arrived here from it: signup: u2 u4 u5 u6 (u6 entered
//     at signup) = 4; cart: u3 = 1; buy: u6 = 1.
//  M7 alternatives and contains: steps visit → "cart or signup" (cart|signup) → "contains BU"
//     (contains:BU, ignoring case: buy). In order: visit 6; cart or signup after it: u1 (signup),
//     u2, u4, u5, u6 (cart), u3 (signup) = 6; a buy after that: u1 u2 u4 u5 = 4 (66.7%, 66.7%, drop 2).
//     Strictly in order: u1 visit signup, then cart (not a buy) → 2 steps; u2 visit cart buy → 3;
//     u3 → 2; u4 visit support → 1; u5 visit cart buy (from 10:03) → 3; u6 visit cart → 2.
//     → 6, 5 (83.3%, 83.3%, drop 1), 2 (33.3%, 2/5 = 40.0%, drop 3).
//  M8 counting sessions, steps visit → cart → buy. With the default 30-minute gap every customer
//     has one session: 6 sessions; visit 6, cart after it u1 u2 u4 u5 u6 = 5, buy u1 u2 u4 u5 = 4.
//     With a 2-minute gap (a gap over 2 min ends a session; exactly 2 min does not): u2's events
//     are 5 min apart → 3 sessions (visit | cart | buy); everyone else keeps one (u3's signup is
//     exactly 2 min after its visit) → 8 sessions. visit: u1 u2#1 u3 u4 u5 u6 = 6; cart after a
//     visit in the same session: u1 u4 u5 u6 = 4 (66.7%, 66.7%, drop 2); buy: u1 u4 u5 = 3
//     (50.0%, 75.0%, drop 1).
//  M9 time to convert, steps visit → buy (in order, closed): from the step-1 event that goes
//     furthest to the buy: u1 10:00 → 10:03 = 3 min; u2 10:00 → 10:10 = 10 min; u4 3 min;
//     u5 from its 10:03 visit → 10:05 = 2 min. Bins: 1–5 min 3 (75.0%), 5–15 min 1 (25.0%).
//
// Fixture tests/fixtures/e2e/funnel-trend.csv (13 events, 7 customers), steps visit → buy, for
// conversion over time. Entry = a customer's first visit (UTC); converted = reached buy:
//   t1 Mon 2024-04-29 (buys)  t2 04-30 (no)  t3 05-02 (buys 05-05)  t4 05-06 (a buy on 05-03 before
//   any visit does not count; buys 05-07)  t5 05-06 (no)  t6 05-06 23:59:59 (buys 05-20)  t7 05-08 (no)
//  M10 by week (named by Monday): 2024-04-29: 3 entered, 2 converted, 66.7%; 2024-05-06: 4, 2, 50.0%
//      by month: 2024-04: 2, 1, 50.0%; 2024-05: 5, 3, 60.0%
//      by day: 10 days 04-29 … 05-08, empty days listed: 05-01 0, 0, —; 05-06 3, 2, 66.7%
//
// Breakdown, on tests/fixtures/e2e/journeys.csv (worked out in app.test.mjs), steps site_visit →
// product_view → add_to_cart → purchase: depths c1 4, c2 4, c3 2, c4 1, c5 4, c6 1, c7 0, c8 1;
// channels in time order c1 ads…email, c2 ads…direct, c3 email, c4 ads…email, c5 ads…direct,
// c6 direct, c7 email, c8 ads.
//  M11 first-touch: ads c1 c2 c4 c5 c8 → 5, 3, 3, 3 (60.0%); direct c6 → 1, 0, 0, 0 (0.0%);
//      email c3 c7 → 1, 1, 0, 0 (0.0%)  (ordered by step 1, then name)
//      last-touch: direct c2 c5 c6 → 3, 2, 2, 2 (66.7%); email c1 c3 c4 c7 → 3, 2, 1, 1 (33.3%);
//      ads c8 → 1, 0, 0, 0 (0.0%)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, expectSteps, fixture, fragment, fragmentPairs, newPage,
  screenshot, text, useBrowser, waitForData,
} from './helpers.mjs';

const STEPS = ['visit', 'signup', 'cart', 'buy'];
const CAPTION = '6 customers in the data · steps by event';
const M1 = [
  ['visit', '6', '100.0%', '100.0%', '0'],
  ['signup', '2', '33.3%', '33.3%', '4'],
  ['cart', '1', '16.7%', '50.0%', '1'],
  ['buy', '1', '16.7%', '100.0%', '0'],
];
const M2 = [
  ['visit', '6', '100.0%', '100.0%', '0'],
  ['signup', '2', '33.3%', '33.3%', '4'],
  ['cart', '5', '83.3%', '83.3%', '1'],
  ['buy', '4', '66.7%', '80.0%', '1'],
];
const M3 = [...M2.slice(0, 3), ['buy', '3', '50.0%', '60.0%', '2']];

/** The exclusion rows as [value, from step, to step] (what the selects show). */
function exclusions(page) {
  return page.$$eval('#funnel-exclusions .exclusion', (rows) => rows.map((r) => [
    r.querySelector('select.excl-value').value,
    r.querySelector('select.excl-from').selectedOptions[0]?.textContent ?? null,
    r.querySelector('select.excl-to').selectedOptions[0]?.textContent ?? null,
  ]));
}

/** Opens `hash`, then loads the fixture through the file input (a link's steps are kept). */
async function openWithFixture(page, server, hash) {
  await page.goto(`${server.url}#${hash}`);
  await waitForData(page, { events: '20,000' });
  await page.setInputFiles('#file-input', fixture('funnel-more.csv'));
  await waitForData(page, { events: '22', name: 'funnel-more.csv' });
}

describe('Funnel: optional steps and exclusions', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  }, { prefix: '/' });

  it('computes the plain funnel (M1)', async () => {
    await openWithFixture(page, server, `view=funnel&by=event&steps=${STEPS.join(',')}`);
    await expectSteps(page, STEPS);
    await expectFunnel(page, M1, { caption: CAPTION, message: 'M1' });
    assert.equal(await page.locator('#funnel-steps input[type=checkbox]').count(), 3, 'no optional box on step 1');
  });

  it('makes step 2 optional (M2)', async () => {
    await page.getByRole('checkbox', { name: 'Step 2 optional', exact: true }).check();
    await expectFunnel(page, M2, { caption: CAPTION, message: 'M2' });
    await eventually(() => fragmentPairs(page), (m) => m.get('optional') === '2', { message: 'optional=2 in the URL' });
    assert.equal(await text(page, '#funnel-table tr.funnel-row:nth-child(2) .opt-tag'), ' opt.', 'step 2 is marked optional');
    assert.equal(await page.locator('#funnel-table tr.funnel-row .opt-tag').count(), 1, 'only step 2 is marked');
  });

  it('adds an exclusion and edits it (M3, M4)', async () => {
    await page.click('#add-exclusion');
    await eventually(() => exclusions(page), [['visit', '1', '4']], { message: 'a new exclusion: step 1 to the last step' });
    await page.locator('#funnel-exclusions select.excl-value').selectOption('support');
    await expectFunnel(page, M3, { caption: `${CAPTION} · excluding support between steps 1 and 4`, message: 'M3' });
    await eventually(() => fragmentPairs(page), (m) => m.get('exclude') === 'support:1-4', { message: 'exclude= in the URL' });

    await page.locator('#funnel-exclusions select.excl-from').selectOption({ label: '3' });
    await eventually(() => exclusions(page), [['support', '3', '4']], { message: 'the exclusion starts at step 3' });
    await expectFunnel(page, M2, { caption: `${CAPTION} · excluding support between steps 3 and 4`, message: 'M4' });
    const pairs = await fragmentPairs(page);
    assert.equal(pairs.get('exclude'), 'support:3-4');
    assert.equal(pairs.get('optional'), '2');
    await screenshot(page, 'funnel-more-exclusion');
  });

  it('downloads the options and numbers as JSON (M4)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.schema, 'touchpath.funnel.v1');
    assert.deepEqual(doc.exclusions, [{ value: 'support', from_step: 3, to_step: 4 }]);
    assert.deepEqual(doc.steps.map((s) => [s.label, s.customers, s.optional, s.dropoff]),
      [['visit', 6, false, 0], ['signup', 2, true, 4], ['cart', 5, false, 1], ['buy', 4, false, 1]]);
    assert.ok(Math.abs(doc.steps[3].pct_of_previous - 80) < 1e-9, `buy of cart: ${doc.steps[3].pct_of_previous}`);
    assert.ok(Math.abs(doc.steps[2].pct_of_previous - (5 * 100) / 6) < 1e-9, 'cart of visit (signup is optional)');
  });

  it('applies optional steps strictly in order, where exclusions change nothing (M5)', async () => {
    await page.selectOption('#funnel-order', 'strict');
    await expectFunnel(page, [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['signup', '2', '33.3%', '33.3%', '4'],
      ['cart', '4', '66.7%', '66.7%', '2'],
      ['buy', '3', '50.0%', '75.0%', '1'],
    ], { caption: `${CAPTION} · strictly in order`, message: 'M5' });
    assert.equal(await text(page, '#funnel-exclusions .exclusion .muted'), '(applies to in-order funnels only)');
  });

  it('moves and removes steps with their options, and removes the exclusion', async () => {
    await page.selectOption('#funnel-order', 'ordered');
    // Moving cart (step 3) up swaps it with the optional signup: signup becomes step 3 and stays
    // optional; the exclusion from cart (now step 2) to buy (step 4) follows.
    await page.getByRole('button', { name: 'Move step 3 up', exact: true }).click();
    await expectSteps(page, ['visit', 'cart', 'signup', 'buy']);
    await eventually(() => fragmentPairs(page), (m) => m.get('optional') === '3' && m.get('exclude') === 'support:2-4',
      { message: 'the options follow their steps' });
    assert.equal(await page.getByRole('checkbox', { name: 'Step 3 optional', exact: true }).isChecked(), true);
    // visit → cart → buy required (5, 4 as M2: support before u4's cart is not between cart and
    // buy); signup after visit and cart: nobody (u1 signed up before the cart) → 0.
    await expectFunnel(page, [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['cart', '5', '83.3%', '83.3%', '1'],
      ['signup', '0', '0.0%', '0.0%', '5'],
      ['buy', '4', '66.7%', '80.0%', '1'],
    ], { message: 'signup moved after cart' });
    await page.getByRole('button', { name: 'Remove exclusion 1', exact: true }).click();
    await eventually(() => exclusions(page), [], { message: 'no exclusion' });
    await page.getByRole('button', { name: 'Remove step 3', exact: true }).click();
    await expectSteps(page, ['visit', 'cart', 'buy']);
    await eventually(() => fragmentPairs(page), (m) => !m.has('optional') && !m.has('exclude'),
      { message: 'no options left in the URL' });
    assertNoProblems(problems);
  });

  it('restores optional steps and exclusions from a share link (M3)', async () => {
    const { page: p2, problems: pr2 } = await newPage(browser);
    await openWithFixture(p2, server, `view=funnel&by=event&steps=${STEPS.join(',')}&optional=2&exclude=support:1-4`);
    await expectFunnel(p2, M3, { caption: `${CAPTION} · excluding support between steps 1 and 4`, message: 'M3 from a link' });
    assert.equal(await p2.getByRole('checkbox', { name: 'Step 2 optional', exact: true }).isChecked(), true);
    assert.deepEqual(await exclusions(p2), [['support', '1', '4']]);
    assertNoProblems(pr2, 'the share-link page');
    await p2.context().close();
  });
});

describe('Funnel: open funnel', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const entries = (page) => page.$$eval('#funnel-table tr.funnel-row .step-entries', (tds) => tds.map((td) => td.textContent));

  it('lets customers enter at any step and counts the entries (M6)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, `view=funnel&by=event&steps=${STEPS.join(',')}`);
    await expectFunnel(page, M1, { caption: CAPTION, message: 'M1 (closed)' });
    assert.equal(await page.locator('#funnel-table th', { hasText: 'Entered here' }).count(), 0, 'no entries column when closed');
    await page.check('#funnel-open');
    const M6 = [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['signup', '3', '50.0%', '50.0%', '4'],
      ['cart', '5', '83.3%', '166.7%', '1'],
      ['buy', '4', '66.7%', '80.0%', '1'],
    ];
    await expectFunnel(page, M6, { caption: `${CAPTION} · open: customers may enter at any step`, message: 'M6' });
    assert.deepEqual(await entries(page), ['6', '1', '3', '0']);
    await eventually(() => fragmentPairs(page), (m) => m.get('open') === '1', { message: 'open=1 in the URL' });
    await screenshot(page, 'funnel-more-open');

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.open, true);
    assert.deepEqual(doc.steps.map((s) => [s.customers, s.entries, s.dropoff]), [[6, 6, 0], [3, 1, 4], [5, 3, 1], [4, 0, 1]]);

    // Unticked: closed again, and open= leaves the URL.
    await page.uncheck('#funnel-open');
    await expectFunnel(page, M1, { caption: CAPTION, message: 'M1 again' });
    await eventually(() => fragmentPairs(page), (m) => !m.has('open'), { message: 'no open= in the URL' });
    assertNoProblems(problems);
    await page.context().close();
  });

  it('restores an open funnel from a share link', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, `view=funnel&by=event&steps=${STEPS.join(',')}&open=1`);
    await eventually(() => entries(page), ['6', '1', '3', '0'], { message: 'entries from a link' });
    assert.equal(await page.isChecked('#funnel-open'), true);
    assertNoProblems(problems);
    await page.context().close();
  });
});

describe('Funnel: step alternatives and contains', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const M7 = [
    ['visit', '6', '100.0%', '100.0%', '0'],
    ['cart or signup', '6', '100.0%', '100.0%', '0'],
    ['contains BU', '4', '66.7%', '66.7%', '2'],
  ];
  const shown = (page) => page.$$eval('#funnel-steps select.step-select', (ss) => ss.map((s) => s.selectedOptions[0]?.textContent));

  it('adds an alternative to a step and a step by contained text (M7)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,cart');
    await page.locator('#funnel-steps select.step-or').nth(1).selectOption('signup');
    await page.fill('#add-contains', 'BU');
    await page.press('#add-contains', 'Enter');
    await expectFunnel(page, M7, { caption: CAPTION, message: 'M7' });
    await eventually(() => fragmentPairs(page), (m) => m.get('steps') === 'visit,cart|signup,contains:BU',
      { message: 'readable steps in the URL' });
    assert.deepEqual(await shown(page), ['visit', 'cart or signup', 'contains BU']);
    assert.equal(await page.inputValue('#add-contains'), '', 'the text box is emptied');

    await page.selectOption('#funnel-order', 'strict');
    await expectFunnel(page, [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['cart or signup', '5', '83.3%', '83.3%', '1'],
      ['contains BU', '2', '33.3%', '40.0%', '3'],
    ], { caption: `${CAPTION} · strictly in order`, message: 'M7 strict' });

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.deepEqual(doc.steps.map((s) => [s.label, s.customers]), [['visit', 6], ['cart|signup', 5], ['contains:BU', 2]]);
    assertNoProblems(problems);
    await page.context().close();
  });

  it('restores alternatives and contains from a share link (M7)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,cart%7Csignup,contains:BU');
    await expectFunnel(page, M7, { caption: CAPTION, message: 'M7 from a link' });
    assert.deepEqual(await shown(page), ['visit', 'cart or signup', 'contains BU']);
    assertNoProblems(problems);
    await page.context().close();
  });
});

describe('Funnel: counting sessions', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const M8 = [
    ['visit', '6', '100.0%', '100.0%', '0'],
    ['cart', '4', '66.7%', '66.7%', '2'],
    ['buy', '3', '50.0%', '75.0%', '1'],
  ];
  const caption8 = `${CAPTION} · counting 8 sessions (a gap over 2m ends one)`;

  it('counts sessions with the default and a chosen gap (M8)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,cart,buy');
    await page.selectOption('#funnel-count', 'sessions');
    await expectFunnel(page, [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['cart', '5', '83.3%', '83.3%', '1'],
      ['buy', '4', '66.7%', '80.0%', '1'],
    ], { caption: `${CAPTION} · counting 6 sessions (a gap over 30m ends one)`, message: 'M8, 30 min' });
    assert.equal(await page.inputValue('#funnel-session-gap'), '30m');
    await eventually(() => fragmentPairs(page), (m) => m.get('count') === 'sessions' && !m.has('session_gap'),
      { message: 'count=sessions in the URL' });
    await page.fill('#funnel-session-gap', '2m');
    await page.press('#funnel-session-gap', 'Enter');
    await expectFunnel(page, M8, { caption: caption8, message: 'M8, 2 min' });
    assert.equal(await text(page, '#funnel-table thead th:nth-child(3)'), 'Sessions');
    await eventually(() => fragmentPairs(page), (m) => m.get('session_gap') === '2m', { message: 'session_gap=2m in the URL' });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.deepEqual([doc.count, doc.session_gap, doc.sessions, doc.customers], ['sessions', '2m', 8, 6]);
    assert.deepEqual(doc.steps.map((s) => s.customers), [6, 4, 3]);
    await page.selectOption('#funnel-count', 'customers');
    await expectFunnel(page, [
      ['visit', '6', '100.0%', '100.0%', '0'],
      ['cart', '5', '83.3%', '83.3%', '1'],
      ['buy', '4', '66.7%', '80.0%', '1'],
    ], { caption: CAPTION, message: 'back to customers' });
    assert.equal(await page.locator('#funnel-session-gap').count(), 0, 'no gap box when counting customers');
    assertNoProblems(problems);
    await page.context().close();
  });

  it('restores session counting from a share link (M8)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,cart,buy&count=sessions&session_gap=2m');
    await expectFunnel(page, M8, { caption: caption8, message: 'M8 from a link' });
    assert.equal(await page.inputValue('#funnel-session-gap'), '2m');
    await screenshot(page, 'funnel-more-sessions');
    assertNoProblems(problems);
    await page.context().close();
  });
});

describe('Funnel: time to convert', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const rows = (page) => page.$$eval('#funnel-ttc-table tr.ttc-row', (trs) => trs
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))
    .filter((r) => r[1] !== '0'));

  // ttc=2 on visit → cart → buy: the time from the visit to the cart of everyone who reached the
  // cart: u1 2 min, u2 5 min (5–15 min: 300 s starts that bin), u4 2 min, u5 1 min, u6 1 min →
  // 1–5 min 4 (80.0%), 5–15 min 1 (20.0%). Back to the last step (buy) it is M9's 3 and 1.
  it('ends the time to convert at a chosen step (ttc=)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,cart,buy&ttc=2');
    await eventually(() => rows(page), [['1–5 min', '4', '80.0%'], ['5–15 min', '1', '20.0%']], { message: 'to the cart' });
    assert.equal(await text(page, '#funnel-ttc h3'), 'Time to convert: visit → cart');
    await page.selectOption('#funnel-ttc-to', '2');
    await eventually(() => rows(page), [['1–5 min', '3', '75.0%'], ['5–15 min', '1', '25.0%']], { message: 'to the last step' });
    assert.ok(!(await fragment(page)).includes('ttc='), 'the last step is the default: no ttc= in the URL');
    assertNoProblems(problems);
    await page.context().close();
  });

  it('bins the time from step 1 to the last step (M9)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=visit,buy');
    await eventually(() => rows(page), [['1–5 min', '3', '75.0%'], ['5–15 min', '1', '25.0%']], { message: 'M9 table' });
    assert.equal(await page.locator('#funnel-ttc-table tr.ttc-row').count(), 10, 'every bin is listed');
    assert.equal(await text(page, '#funnel-ttc h3'), 'Time to convert: visit → buy');
    assert.equal(await page.locator('#funnel-ttc-chart rect.bar').count(), 10);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.deepEqual(doc.time_to_convert.filter((b) => b.customers > 0).map((b) => [b.label, b.from_s, b.to_s, b.customers]),
      [['1–5 min', 60, 300, 3], ['5–15 min', 300, 900, 1]]);
    await screenshot(page, 'funnel-more-ttc');
    // Any order has no times: no histogram.
    await page.selectOption('#funnel-order', 'any');
    await eventually(() => page.locator('#funnel-ttc').count(), 0, { message: 'no histogram in any order' });
    assertNoProblems(problems);
    await page.context().close();
  });
});

describe('Funnel: conversion over time', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const rows = (page) => page.$$eval('#funnel-trend-table tr.trend-row', (trs) => trs
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));

  it('shows the conversion rate per week, month and day of entry (M10)', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.url}#view=funnel&by=event&steps=visit,buy`);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('funnel-trend.csv'));
    await waitForData(page, { events: '13', name: 'funnel-trend.csv' });
    assert.equal(await page.locator('#funnel-trend').count(), 0, 'off by default');
    await page.selectOption('#funnel-over-time', 'week');
    await eventually(() => rows(page), [['2024-04-29', '3', '2', '66.7%'], ['2024-05-06', '4', '2', '50.0%']], { message: 'M10 weeks' });
    assert.equal(await page.locator('#funnel-trend-chart rect.bar').count(), 2);
    assert.equal(await text(page, '#funnel-trend h3'), 'Conversion over time, by week (from Monday) of entry');
    await eventually(() => fragmentPairs(page), (m) => m.get('trend') === 'week', { message: 'trend=week in the URL' });
    await page.selectOption('#funnel-over-time', 'month');
    await eventually(() => rows(page), [['2024-04', '2', '1', '50.0%'], ['2024-05', '5', '3', '60.0%']], { message: 'M10 months' });
    await page.selectOption('#funnel-over-time', 'day');
    const days = await eventually(() => rows(page), (r) => r.length === 10, { message: 'M10: 10 days' });
    assert.deepEqual(days[0], ['2024-04-29', '1', '1', '100.0%']);
    assert.deepEqual(days[2], ['2024-05-01', '0', '0', '—']);
    assert.deepEqual(days[7], ['2024-05-06', '3', '2', '66.7%']);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.trend, 'day');
    assert.deepEqual(doc.over_time[2], { period: '2024-05-01', entered: 0, converted: 0, rate_pct: null });
    assert.equal(doc.over_time.length, 10);
    await screenshot(page, 'funnel-more-trend');
    await page.selectOption('#funnel-over-time', '');
    await eventually(() => page.locator('#funnel-trend').count(), 0, { message: 'off again' });
    await eventually(() => fragmentPairs(page), (m) => !m.has('trend'), { message: 'no trend= in the URL' });
    assertNoProblems(problems);
    await page.context().close();
  });
});

describe('Funnel: breakdown by channel', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  const rows = (page) => page.$$eval('#funnel-breakdown-table tr.segment-row', (trs) => trs
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));

  it('breaks the funnel down by first- and last-touch channel (M11)', async () => {
    const { page, problems } = await newPage(browser);
    await page.goto(`${server.url}#view=funnel&by=event&steps=site_visit,product_view,add_to_cart,purchase`);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('journeys.csv'));
    await waitForData(page, { events: '24', name: 'journeys.csv' });
    await page.selectOption('#funnel-breakdown', 'first_channel');
    await eventually(() => rows(page), [
      ['ads', '5', '3', '3', '3', '60.0%'],
      ['direct', '1', '0', '0', '0', '0.0%'],
      ['email', '1', '1', '0', '0', '0.0%'],
    ], { message: 'M11 first touch' });
    assert.equal(await page.locator('#funnel-breakdown-chart rect.bar').count(), 3);
    await eventually(() => fragmentPairs(page), (m) => m.get('breakdown') === 'first_channel', { message: 'breakdown= in the URL' });
    await page.selectOption('#funnel-breakdown', 'last_channel');
    await eventually(() => rows(page), [
      ['direct', '3', '2', '2', '2', '66.7%'],
      ['email', '3', '2', '1', '1', '33.3%'],
      ['ads', '1', '0', '0', '0', '0.0%'],
    ], { message: 'M11 last touch' });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.breakdown, 'last_channel');
    assert.deepEqual(doc.segments.map((s) => [s.segment, s.steps]), [['direct', [3, 2, 2, 2]], ['email', [3, 2, 1, 1]], ['ads', [1, 0, 0, 0]]]);
    await screenshot(page, 'funnel-more-breakdown');
    assertNoProblems(problems);
    await page.context().close();
  });
});
