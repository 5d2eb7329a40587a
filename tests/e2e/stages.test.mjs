// The Stages tab (issue #5): customers reaching each lifecycle stage, the furthest stage, stage-to-
// stage conversion by entry channel, time in stage, the model editor, share links and downloads.
//
// Fixture tests/fixtures/e2e/stages.csv (20 events, 6 customers, no stage column; worked out in
// tests/core_stages.rs). Default model, keywords: ad_impression, site_visit → awareness (A);
// product_view, add_to_cart → consideration (C); checkout, purchase → purchase (P);
// repeat_purchase → retention (R); review_posted → advocacy (V); scroll → no stage.
//   k1: A 10:00 display, C 10:10 organic_search, P 10:30 direct, V 12:30 social (skips R)
//   k2: A 09:00, C 09:30, P 11:30, R 15:30 (all email)       k3: A 10:00 paid_search (+ a scroll)
//   k4: C 08:00, A 08:30, C 09:00 (email)                      k5: a scroll only (direct)
//   k6: A 10:00 display, P 10:01 direct (skips C)
// S1 reaching: A 5, C 3, P 3, R 1, V 1; % of first 100, 60, 60, 20, 20; % of previous 100, 60,
//    100, 33.3, 100. Converted from the previous stage (after entering it): C 3 of 5 (60.0%, drop
//    2), P 2 of 3 (66.7%, drop 1: k4), R 1 of 3 (33.3%, drop 2), V 0 of 1 (drop 1).
//    Time in stage (entry → first event of a later stage), nearest rank: A [1, 10, 30, 30] min →
//    10 min / 30 min; C [20 min, 2 h] → 20 min / 2.0 h; P [2 h, 4 h] → 2.0 h / 4.0 h; R, V none.
//    Did not move on: 1 each. Revenue: P 50 + 30 + 10 = 90.00, R 20.00.
//    Furthest: (none) k5, A k3, C k4, P k6, R k2, V k1 — 1 each, 16.7%.
//    By entry channel (converted / entered per A→C, C→P, P→R, R→V): email 2/2, 1/2, 1/1, 0/1;
//    direct —, —, 0/2, —; display 1/2, —, —, —; organic_search —, 1/1, —, —; paid_search 0/1.
// S2 scroll set to awareness in the editor: k5 reaches A → A 6 (100%), C 3 (50.0%, from previous
//    3 · 50.0%, drop 3); furthest (none) 0, awareness 2 (k3, k5).
// S3 + rule channel:email → retention: every email row is retention, so k2 and k4 reach only R:
//    A k1 k3 k5 k6 = 4, C k1 = 1, P k1 k6 = 2, R k2 k4 = 2, V k1 = 1.
// S4 share link stages=visitor,buyer&stage_map=site_visit:visitor,ad_*:visitor,*purchase:buyer:
//    visitor k1 k2 k3 k4 k6 = 5; buyer k1 k2 k6 = 3, all after their visitor entry (3 · 60.0%,
//    drop 2); time as visitor [1 min, 30 min, 2 h 40 min] → 30 min / 2.7 h; 9 of 20 events in no
//    stage (45.0%); furthest (none) 1, visitor 2 (k3, k4), buyer 3.
// S5 funnel by=stage on the stage column the model fills: awareness → consideration → purchase in
//    order: k1 k2 3 steps; k4 2 (its A 08:30 then C 09:00); k3, k6 1; k5 0 → 5, 3, 2.
// S6 paths by stage (repeats collapsed): k1 A C P V, k2 A C P R, k3 A (no stage) A, k4 C A C,
//    k5 (no stage), k6 A P — six variants of one customer each.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, fixture, fragmentPairs, newPage, screenshot, text, useBrowser,
  waitForData,
} from './helpers.mjs';

const DEFAULT_CAPTION = '6 customers · 20 events, 2 in no stage (10.0%) · 1 customer with no event in any stage · stages from your rules, keyword defaults';
const S1 = [
  ['awareness', '5', '100.0%', '100.0%', '—', '—', '10 min / 30 min', '1'],
  ['consideration', '3', '60.0%', '60.0%', '60.0%', '2', '20 min / 2.0 h', '1'],
  ['purchase', '3', '60.0%', '100.0%', '66.7%', '1', '2.0 h / 4.0 h', '1'],
  ['retention', '1', '20.0%', '33.3%', '33.3%', '2', '—', '1'],
  ['advocacy', '1', '20.0%', '100.0%', '0.0%', '1', '—', '1'],
];
const S1_FURTHEST = [
  ['(none)', '1', '16.7%'], ['awareness', '1', '16.7%'], ['consideration', '1', '16.7%'],
  ['purchase', '1', '16.7%'], ['retention', '1', '16.7%'], ['advocacy', '1', '16.7%'],
];
const S1_CHANNELS = [
  ['email', '100.0% · 2/2', '50.0% · 1/2', '100.0% · 1/1', '0.0% · 0/1'],
  ['direct', '—', '—', '0.0% · 0/2', '—'],
  ['display', '50.0% · 1/2', '—', '—', '—'],
  ['organic_search', '—', '100.0% · 1/1', '—', '—'],
  ['paid_search', '0.0% · 0/1', '—', '—', '—'],
];

/** What the Stages tab shows: the caption, the stage table, furthest stages, channel table. */
function readStages(page) {
  return page.evaluate(() => {
    const rows = (sel, cells) => [...document.querySelectorAll(sel)].map((tr) => cells.map((c) => tr.querySelector(c)?.textContent.trim() ?? null));
    if (!document.querySelector('#stages-table')) return null;
    return {
      caption: document.querySelector('#stages-caption')?.textContent.trim() ?? null,
      stages: rows('#stages-table tr.stage-row', ['.stage-name', '.stage-customers', '.stage-pct-first', '.stage-pct-prev',
        '.stage-conv', '.stage-dropoff', '.stage-time', '.stage-stayed']),
      revenue: document.querySelector('#stages-revenue')?.textContent ?? null,
      furthest: rows('#stages-furthest-table tr.furthest-row', ['.furthest-stage', '.furthest-count', '.furthest-share']),
      channels: [...document.querySelectorAll('#stages-channels-table tr.channel-row')].map((tr) =>
        [tr.querySelector('.channel-name').textContent.trim(), ...[...tr.querySelectorAll('.channel-rate')].map((td) => td.textContent.trim())]),
    };
  });
}

/** A fresh page on `hash` (the sample loads), then `file` opened through the file input. */
async function openFresh(browser, server, hash, file, events) {
  const opened = await newPage(browser);
  await opened.page.goto(`${server.url}#${hash}`);
  await waitForData(opened.page, { events: '20,000' });
  await opened.page.setInputFiles('#file-input', fixture(file));
  await waitForData(opened.page, { events, name: file });
  return opened;
}

/** Waits until the stage table's first columns (stage and customers) read `want`. */
function expectReach(page, want, message) {
  return eventually(async () => (await readStages(page))?.stages.map((r) => [r[0], r[1]]), want, { message });
}

describe('Stages', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  }, { prefix: '/app/' });

  it('shows reaching, conversion, time in stage, furthest stage and channels (S1)', async () => {
    await page.goto(`${server.url}#view=funnel`);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('stages.csv'));
    await waitForData(page, { events: '20', name: 'stages.csv' });
    await page.click('#tab-stages');
    const got = await eventually(() => readStages(page), (s) => s?.caption === DEFAULT_CAPTION, { message: 'S1 caption' });
    assert.deepEqual(got.stages, S1);
    assert.deepEqual(got.furthest, S1_FURTHEST);
    assert.equal(got.revenue, 'Revenue of the events in each stage: purchase 90 · retention 20.');
    assert.deepEqual(got.channels, S1_CHANNELS);
    const heads = await page.$$eval('#stages-channels-table thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(heads, ['Entry channel', 'awareness → consideration', 'consideration → purchase', 'purchase → retention', 'retention → advocacy']);
    // The chart: one bar per stage; conversion and drop-off between stages.
    assert.equal(await page.locator('#stages-chart rect.bar').count(), 5);
    assert.deepEqual(await page.$$eval('#stages-chart text.conv', (ts) => ts.map((t) => t.textContent)), ['↓ 60.0%', '↓ 66.7%', '↓ 33.3%', '↓ 0.0%']);
    assert.deepEqual(await page.$$eval('#stages-chart text.drop', (ts) => ts.map((t) => t.textContent)), ['−2', '−1', '−2', '−1']);
    assert.deepEqual(await page.$$eval('#stages-chart text.value', (ts) => ts.map((t) => t.textContent)), ['5', '3', '3', '1', '1']);
    // The editor lists every event with its stage and where it came from.
    const values = await page.$$eval('#stages-values tr.value-row', (trs) => trs.map((tr) => [
      tr.querySelector('.value-name').textContent, tr.querySelector('.value-events').textContent,
      tr.querySelector('select.value-stage').value, tr.querySelector('.value-source').textContent.trim()]));
    assert.deepEqual(values, [
      ['site_visit', '6', 'awareness', 'keyword'], ['product_view', '3', 'consideration', 'keyword'],
      ['purchase', '3', 'purchase', 'keyword'], ['add_to_cart', '2', 'consideration', 'keyword'], ['scroll', '2', '', '—'],
      ['ad_impression', '1', 'awareness', 'keyword'], ['checkout', '1', 'purchase', 'keyword'],
      ['repeat_purchase', '1', 'retention', 'keyword'], ['review_posted', '1', 'advocacy', 'keyword'],
    ]);
    assert.equal((await fragmentPairs(page)).get('view'), 'stages');
    const measures = await page.evaluate(() => performance.getEntriesByName('touchpath:stages').length);
    assert.ok(measures >= 1, 'the stages round trip is measured as touchpath:stages');
    assert.equal(await text(page, '#computing'), null, 'nothing pending');
    await screenshot(page, 'stages-s1');
  });

  it('downloads the model and numbers as JSON, and the customers as CSV (S1)', async () => {
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-stages-json')]);
    assert.equal(json.suggestedFilename(), 'touchpath-stages.json');
    const doc = JSON.parse(await readFile(await json.path(), 'utf8'));
    assert.equal(doc.schema, 'touchpath.stages.v1');
    assert.equal(doc.data, 'stages.csv');
    assert.deepEqual(doc.model, { stages: ['awareness', 'consideration', 'purchase', 'retention', 'advocacy'], rules: [] });
    const r = doc.result;
    assert.deepEqual([r.customers, r.events, r.customers_none, r.unmapped_events, r.uses_stage_column, r.has_channel], [6, 20, 1, 2, false, true]);
    assert.deepEqual(r.stages.map((s) => s.customers), [5, 3, 3, 1, 1]);
    assert.deepEqual(r.stages.map((s) => s.from_previous), [null, 3, 2, 1, 0]);
    assert.deepEqual(r.stages.map((s) => s.dropoff), [null, 2, 1, 2, 1]);
    assert.deepEqual(r.stages.map((s) => s.furthest), [1, 1, 1, 1, 1]);
    assert.deepEqual(r.stages.map((s) => [s.median_time_s, s.p90_time_s]), [[600, 1800], [1200, 7200], [7200, 14400], [null, null], [null, null]]);
    assert.deepEqual(r.stages.map((s) => [s.moved_on, s.stayed, s.events, s.revenue]),
      [[4, 1, 7, 0], [2, 1, 5, 0], [2, 1, 4, 90], [0, 1, 1, 20], [0, 1, 1, 0]]);
    assert.deepEqual(r.by_channel.map((c) => [c.channel, c.entered, c.converted]), [
      ['email', [2, 2, 1, 1], [2, 1, 1, 0]], ['direct', [0, 0, 2, 0], [0, 0, 0, 0]], ['display', [2, 0, 0, 0], [1, 0, 0, 0]],
      ['organic_search', [0, 1, 0, 0], [0, 1, 0, 0]], ['paid_search', [1, 0, 0, 0], [0, 0, 0, 0]],
    ]);
    assert.deepEqual(r.by_channel[0].rate_pct, [100, 50, 100, 0]);
    assert.equal(r.values.find((v) => v.value === 'scroll').stage, null);

    const [svg] = await Promise.all([page.waitForEvent('download'), page.click('#export-stages-chart-svg')]);
    assert.equal(svg.suggestedFilename(), 'touchpath-stages.svg');
    const svgText = await readFile(await svg.path(), 'utf8');
    assert.match(svgText, /<svg[^>]*id="stages-chart"/);
    assert.equal((svgText.match(/class="bar"/g) ?? []).length, 5, 'the exported chart has the five bars');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-stages-customers')]);
    assert.equal(csv.suggestedFilename(), 'touchpath-stages-customers.csv');
    const t = (hm) => `2024-05-01T${hm}:00Z`;
    assert.deepEqual((await readFile(await csv.path(), 'utf8')).trimEnd().split('\n'), [
      'customer_id,furthest_stage,furthest_stage_number,awareness_first_at,awareness_channel,consideration_first_at,consideration_channel,purchase_first_at,purchase_channel,retention_first_at,retention_channel,advocacy_first_at,advocacy_channel',
      'k5,(none),0,,,,,,,,,,',
      `k3,awareness,1,${t('10:00')},paid_search,,,,,,,,`,
      `k4,consideration,2,${t('08:30')},email,${t('08:00')},email,,,,,,`,
      `k6,purchase,3,${t('10:00')},display,,,${t('10:01')},direct,,,,`,
      `k2,retention,4,${t('09:00')},email,${t('09:30')},email,${t('11:30')},email,${t('15:30')},email,,`,
      `k1,advocacy,5,${t('10:00')},display,${t('10:10')},organic_search,${t('10:30')},direct,,,${t('12:30')},social`,
    ]);
  });

  it('edits the model: an event select, a channel rule, removing rules (S2, S3)', async () => {
    const row = page.locator('#stages-values tr.value-row', { has: page.locator('.value-name', { hasText: /^scroll$/ }) });
    await row.locator('select.value-stage').selectOption('awareness');
    await eventually(async () => (await fragmentPairs(page)).get('stage_map'), 'scroll:awareness', { message: 'S2 link' });
    const s2 = await eventually(() => readStages(page), (s) => s?.stages[0][1] === '6', { message: 'S2 table' });
    assert.deepEqual(s2.stages.slice(0, 2).map((r) => r.slice(0, 6)), [
      ['awareness', '6', '100.0%', '100.0%', '—', '—'], ['consideration', '3', '50.0%', '50.0%', '50.0%', '3'],
    ]);
    assert.deepEqual(s2.furthest.slice(0, 2), [['(none)', '0', '0.0%'], ['awareness', '2', '33.3%']]);
    assert.equal(await row.locator('.value-source').textContent(), 'your rule');

    await page.fill('#stages-rule-pattern', 'channel:email');
    await page.selectOption('#stages-rule-stage', 'retention');
    await page.click('#stages-rule-add');
    await eventually(async () => (await fragmentPairs(page)).get('stage_map'), 'scroll:awareness,channel:email:retention', { message: 'S3 link' });
    await expectReach(page, [['awareness', '4'], ['consideration', '1'], ['purchase', '2'], ['retention', '2'], ['advocacy', '1']], 'S3');
    assert.deepEqual(await page.$$eval('#stages-rules .rule-text', (ss) => ss.map((s) => s.textContent)),
      ['scroll → awareness', 'channel:email → retention']);
    // site_visit rows are partly email now: mixed.
    assert.match(await page.locator('#stages-values tr.value-row').first().locator('.value-source').textContent(), /mixed/);

    await page.click('#stages-rules .remove-rule >> nth=1');
    await eventually(() => page.locator('#stages-rules .remove-rule').count(), 1, { message: 'one rule left' });
    await page.click('#stages-rules .remove-rule');
    await eventually(async () => (await fragmentPairs(page)).has('stage_map'), false, { message: 'no rules left in the link' });
    await expectReach(page, S1.map((r) => [r[0], r[1]]), 'back to S1');

    // A custom stage list typed in the editor: no rule or keyword names these stages.
    await page.fill('#stages-list', 'visitor, Visitor, buyer');
    await page.press('#stages-list', 'Enter');
    await eventually(async () => (await fragmentPairs(page)).get('stages'), 'visitor,buyer', { message: 'typed stages in the link' });
    await expectReach(page, [['visitor', '0'], ['buyer', '0']], 'nothing maps to visitor or buyer');
    await page.click('#stages-reset');
    await expectReach(page, S1.map((r) => [r[0], r[1]]), 'S1 after the reset');
  });

  it('restores a custom stage list and rules from a share link (S4)', async () => {
    assertNoProblems(problems, 'the first page');
    const { page, problems: p2, context } = await openFresh(browser, server,
      'view=stages&stages=visitor,buyer&stage_map=site_visit:visitor,ad_*:visitor,*purchase:buyer', 'stages.csv', '20');
    const s = await eventually(() => readStages(page), (x) => x?.stages.length === 2 && x.stages[0][1] === '5', { message: 'S4' });
    assert.deepEqual(s.stages, [
      ['visitor', '5', '100.0%', '100.0%', '—', '—', '30 min / 2.7 h', '2'],
      ['buyer', '3', '60.0%', '60.0%', '60.0%', '2', '—', '3'],
    ]);
    assert.equal(s.revenue, 'Revenue of the events in each stage: buyer 110.');
    assert.equal(s.caption, '6 customers · 20 events, 9 in no stage (45.0%) · 1 customer with no event in any stage · stages from your rules, keyword defaults');
    assert.deepEqual(s.furthest, [['(none)', '1', '16.7%'], ['visitor', '2', '33.3%'], ['buyer', '3', '50.0%']]);
    assert.equal(await page.inputValue('#stages-list'), 'visitor, buyer');
    assert.deepEqual(await page.$$eval('#stages-rules .rule-text', (ss) => ss.map((x) => x.textContent)),
      ['site_visit → visitor', 'ad_* → visitor', '*purchase → buyer']);
    // Back to the default stages from the editor.
    await page.click('#stages-reset');
    await eventually(async () => (await fragmentPairs(page)).has('stages'), false, { message: 'default stages leave the link' });
    // The rules now name no stage of the list: they are ignored (and said so), the keywords apply.
    await expectReach(page, S1.map((r) => [r[0], r[1]]), 'S1 again');
    assert.equal(await page.locator('.stages-note').count(), 3);
    assert.equal(await page.locator('.stages-note').first().textContent(),
      'The rule site_visit → visitor is ignored: visitor is not one of the stages.');
    assertNoProblems(p2, 'the share-link page');
    await context.close();
  });

  it('gives funnels by stage on data without a stage column (S5)', async () => {
    const { page, problems: p3, context } = await openFresh(browser, server,
      'view=funnel&by=stage&steps=awareness,consideration,purchase', 'stages.csv', '20');
    await expectFunnel(page, [
      ['awareness', '5', '100.0%', '100.0%', '0'],
      ['consideration', '3', '60.0%', '60.0%', '2'],
      ['purchase', '2', '40.0%', '66.7%', '1'],
    ], { caption: '6 customers in the data · steps by stage', message: 'S5' });
    // Paths by stage too; the unmapped scrolls are the value "(no stage)".
    await page.click('#tab-paths');
    await page.selectOption('#paths-by', '0:stage');
    const paths = await eventually(() => page.$$eval('.variant-path', (es) => es.map((e) => e.textContent).sort()),
      (v) => v.length === 6, { message: 'S6 path variants by stage' });
    assert.deepEqual(paths, [
      '(no stage)', 'awareness → (no stage) → awareness', 'awareness → consideration → purchase → advocacy',
      'awareness → consideration → purchase → retention', 'awareness → purchase', 'consideration → awareness → consideration',
    ]);
    assertNoProblems(p3, 'the funnel by stage');
    await context.close();
  });

  it('shows values from files as text', async () => {
    const { page, problems: p4, context } = await openFresh(browser, server, 'view=stages', 'markup_channel.csv', '3');
    const names = await eventually(() => page.$$eval('#stages-channels-table .channel-name', (tds) => tds.map((t) => t.textContent)),
      (n) => n.length > 0, { message: 'channel rows' });
    assert.ok(names.includes('<img src=x onerror=alert(1)>'), JSON.stringify(names));
    assert.equal(await page.locator('img').count(), 0, 'no img element was created');
    assertNoProblems(p4, 'the stages view');
    await context.close();
  });
});
