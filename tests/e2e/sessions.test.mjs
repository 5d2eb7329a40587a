// Sessions from a session column (issues #5 and #6): funnels counting sessions and paths by
// session, from the column or by the inactivity gap, in the builder, the captions, the URL and
// the JSON download.
//
// Fixture tests/fixtures/e2e/session_column.csv (15 events, 5 customers, 2024-03-01 UTC;
// minutes after 10:00, `·` an empty session id):
//   a: 0 s1 view, 10 s1 cart, 50 s1 buy
//   b: 0 s1 view, 5 s2 cart, 10 s2 buy, 120 s2 view
//   c: 0 · view, 20 · cart, 60 · buy
//   d: 0 x view, 1 y cart, 2 x buy
//   e: 0 -1 view, 45 -1 cart (Amplitude's -1: no session id)
//
// S1 funnel view → cart → buy, sessions from the session_id column (the default): a {view cart
//    buy}; b s1 {view} and s2 {cart buy view} (a's s1 is another customer's, another session);
//    c without ids, split by the 30-minute gap: {view cart}, {buy}; d: x runs from 0 to 2 and
//    takes in y: {view cart buy}; e: {view}, {cart} (45 min apart) → 8 sessions.
//    view: a b1 b2 c1 d e1 = 6; cart after it: a c1 d = 3 (50.0%, 50.0%, drop 3); buy: a d = 2
//    (33.3%, 66.7%, drop 1).
// S2 the same by the 30-minute gap (sessions=gap): a {view cart} {buy} (40 min); b {view cart buy}
//    {view} (110 min); c, e as S1; d {view cart buy} → 9 sessions. view: a1 b1 b2 c1 d e1 = 6;
//    cart: a1 b1 c1 d = 4 (66.7%, 66.7%, drop 2); buy: b1 d = 2 (33.3%, 50.0%, drop 2).
// S3 paths by event, a path is a session, repeats collapsed. From the column: view → cart → buy
//    (a, d) 2, view (b1, e1) 2, cart → buy → view (b2) 1, view → cart (c1) 1, buy (c2) 1, cart
//    (e2) 1 — 8 sessions. By the gap: view → cart (a1, c1) 2, view → cart → buy (b1, d) 2,
//    buy (a2, c2) 2, view (b2, e1) 2, cart (e2) 1 — 9 sessions.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, fixture, fragmentPairs, newPage, screenshot, text, useBrowser,
  waitForData,
} from './helpers.mjs';

const CAPTION = '5 customers in the data · steps by event';
const S1 = [
  ['view', '6', '100.0%', '100.0%', '0'],
  ['cart', '3', '50.0%', '50.0%', '3'],
  ['buy', '2', '33.3%', '66.7%', '1'],
];
const S2 = [
  ['view', '6', '100.0%', '100.0%', '0'],
  ['cart', '4', '66.7%', '66.7%', '2'],
  ['buy', '2', '33.3%', '50.0%', '2'],
];

async function openWithFixture(page, server, hash) {
  await page.goto(`${server.url}#${hash}`);
  await waitForData(page, { events: '20,000' });
  await page.setInputFiles('#file-input', fixture('session_column.csv'));
  await waitForData(page, { events: '15', name: 'session_column.csv' });
}

/** The variants as "path: sessions", sorted (ties may list in any order). */
const variants = (page) => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
  `${tr.querySelector('.variant-path').textContent}: ${tr.querySelector('.variant-customers').textContent}`).sort());

describe('Sessions from a session column', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { prefix: '/', page: false });

  it('counts funnel sessions from the column, or by the gap (S1, S2)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=view,cart,buy');
    assert.equal(await page.$eval('#col-session', (s) => s.selectedOptions[0].textContent), 'session_id');
    assert.equal(await page.locator('#funnel-sessions').count(), 0, 'no session choice when counting customers');
    await page.selectOption('#funnel-count', 'sessions');
    await expectFunnel(page, S1, { caption: `${CAPTION} · counting 8 sessions from the session_id column`, message: 'S1' });
    assert.equal(await page.inputValue('#funnel-sessions'), 'column');
    assert.equal(await page.$eval('#funnel-sessions', (s) => s.selectedOptions[0].textContent), 'the session_id column');
    await eventually(() => fragmentPairs(page), (m) => m.get('count') === 'sessions' && !m.has('sessions'),
      { message: 'the default source is not written' });
    let [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    let doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.deepEqual([doc.count, doc.session_source, doc.session_column, doc.session_gap, doc.sessions],
      ['sessions', 'column', 'session_id', '30m', 8]);
    assert.deepEqual(doc.steps.map((s) => s.customers), [6, 3, 2]);
    await screenshot(page, 'sessions-funnel-column');

    await page.selectOption('#funnel-sessions', 'gap');
    await expectFunnel(page, S2, { caption: `${CAPTION} · counting 9 sessions (a gap over 30m ends one)`, message: 'S2' });
    await eventually(() => fragmentPairs(page), (m) => m.get('sessions') === 'gap', { message: 'sessions=gap in the URL' });
    [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.deepEqual([doc.session_source, doc.session_column, doc.session_gap, doc.sessions], ['gap', null, '30m', 9]);
    assertNoProblems(problems);
    await page.context().close();
  });

  it('restores the choice from a share link, and a cleared column falls back to the gap (S2)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=funnel&by=event&steps=view,cart,buy&count=sessions&sessions=gap');
    await expectFunnel(page, S2, { caption: `${CAPTION} · counting 9 sessions (a gap over 30m ends one)`, message: 'S2 from a link' });
    assert.equal(await page.inputValue('#funnel-sessions'), 'gap');
    // Back to the column, then the session role cleared under Columns: the gap, and no choice.
    await page.selectOption('#funnel-sessions', 'column');
    await expectFunnel(page, S1, { caption: `${CAPTION} · counting 8 sessions from the session_id column`, message: 'S1 again' });
    await page.selectOption('#col-session', '');
    await expectFunnel(page, S2, { caption: `${CAPTION} · counting 9 sessions (a gap over 30m ends one)`, message: 'no column' });
    assert.equal(await page.locator('#funnel-sessions').count(), 0, 'no session choice without a session column');
    await eventually(() => fragmentPairs(page), (m) => m.get('col.session') === '', { message: 'col.session= in the URL' });
    assertNoProblems(problems);
    await page.context().close();
  });

  it('shows paths by session from the column, or by the gap (S3)', async () => {
    const { page, problems } = await newPage(browser);
    await openWithFixture(page, server, 'view=paths&by=event&steps=3&collapse=1&top=8&grain=session');
    await eventually(() => variants(page), [
      'buy: 1', 'cart: 1', 'cart → buy → view: 1', 'view: 2', 'view → cart: 1', 'view → cart → buy: 2',
    ].sort(), { message: 'column sessions' });
    assert.equal(await text(page, '#paths-caption'),
      '8 of 8 sessions have a path; each column is a step, ribbons are sessions. Sessions from the session_id column.');
    assert.equal(await page.inputValue('#paths-sessions'), 'column');
    await screenshot(page, 'sessions-paths-column');
    await page.selectOption('#paths-sessions', 'gap');
    await eventually(() => variants(page), [
      'buy: 2', 'cart: 1', 'view: 2', 'view → cart: 2', 'view → cart → buy: 2',
    ].sort(), { message: 'gap sessions' });
    assert.equal(await text(page, '#paths-caption'),
      '9 of 9 sessions have a path; each column is a step, ribbons are sessions. A gap over 30m ends a session.');
    await eventually(() => fragmentPairs(page), (m) => m.get('sessions') === 'gap' && m.get('grain') === 'session',
      { message: 'sessions=gap in the paths URL' });
    assertNoProblems(problems);
    await page.context().close();
  });
});
