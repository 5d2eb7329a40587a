// Kept columns as dimensions and funnel steps on another column (issues #5 and #6), in the page,
// the URL and a share link.
//
// Fixture tests/fixtures/e2e/kept-columns.csv (9 events, 4 customers, 2024-05-01 UTC, seconds):
//   a: visit :01 (email, mobile), view :02 (web, mobile), buy :03 (web, desktop)      plan pro
//   b: visit :01 (ads, desktop), view :02 (email, desktop), buy :03 (web, desktop)    plan free
//   c: visit :01 (ads, tablet), view :02 (ads, tablet)                                 plan free
//   d: visit :01 (email, mobile)                                                       no plan
// device and plan are common dimension names, so they are kept; note is not.
//
// K1 channel=email → view → buy (an event funnel with a step on the channel): an email event a
//    (visit), b (its view), d (visit) = 3; a view after it: only a (b's email event is its view)
//    = 1 (33.3%); a buy after that: a = 1 (100.0% of previous).
// K2 visit → buy by first-touch device: mobile (a, d) 2 → 1 (50.0%); desktop (b) 1 → 1
//    (100.0%); tablet (c) 1 → 0 (0.0%); ties by name.
// K3 paths by device (repeats collapsed), one customer each (25.0%), ties by path:
//    desktop (b), mobile (d), mobile → desktop (a), tablet (c). By device · event every touch is a
//    step: desktop · visit → desktop · view → desktop · buy (b), mobile · visit (d), mobile · visit →
//    mobile · view → desktop · buy (a), tablet · visit → tablet · view (c).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, eventually, expectFunnel, fixture, fragmentPairs, screenshot, text, useBrowser,
  waitForData,
} from './helpers.mjs';

async function open(page, server, hash) {
  await page.goto(`${server.url}#${hash}`);
  await waitForData(page, { events: '20,000' });
  await page.setInputFiles('#file-input', fixture('kept-columns.csv'));
  await waitForData(page, { events: '9', name: 'kept-columns.csv' });
}

const segments = (page) => page.$$eval('#funnel-breakdown-table tr.segment-row', (rows) => rows.map((r) => [
  r.querySelector('.segment-name').textContent,
  ...[...r.querySelectorAll('.segment-count')].map((c) => c.textContent),
  r.querySelector('.segment-rate').textContent,
]));

const kept = (page) => page.$$eval('#kept-columns input.kept-column', (inputs) => inputs.map((i) => [i.value, i.checked]));

describe('Kept columns and steps on another column', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  }, { prefix: '/' });

  it('keeps the sample\'s device column', async () => {
    await page.goto(`${server.url}#view=funnel`);
    await waitForData(page, { events: '20,000' });
    assert.deepEqual(await kept(page), [['device', true]]);
    assert.equal(await text(page, '#kept-columns summary'), 'Kept columns (1 of 1)');
    const options = await page.$$eval('#funnel-by option', (os) => os.map((o) => o.value));
    assert.deepEqual(options, ['event', 'channel', 'stage', 'device']);
  });

  it('matches a step on the channel in an event funnel (K1)', async () => {
    await open(page, server, 'view=funnel&by=event&steps=channel%3Demail,view,buy');
    await expectFunnel(page, [
      ['channel=email', '3', '100.0%', '100.0%', '0'],
      ['view', '1', '33.3%', '33.3%', '2'],
      ['buy', '1', '33.3%', '100.0%', '0'],
    ], { message: 'K1' });
    assert.deepEqual(await kept(page), [['device', true], ['plan', true], ['note', false]]);
    // "+ Step on another column…" offers the other columns' values as steps (the stage model
    // fills a stage column on data without one).
    const add = await page.$$eval('#add-step-other optgroup', (gs) => gs.map((g) => g.label));
    assert.deepEqual(add, ['channel', 'stage', 'device', 'plan']);
    await page.selectOption('#add-step-other', 'device=desktop');
    await eventually(() => fragmentPairs(page), (m) => m.get('steps') === 'channel%3Demail,view,buy,device%3Ddesktop',
      { message: 'the added step in the URL' });
    await expectFunnel(page, [
      ['channel=email', '3', '100.0%', '100.0%', '0'],
      ['view', '1', '33.3%', '33.3%', '2'],
      ['buy', '1', '33.3%', '100.0%', '0'],
      ['device=desktop', '0', '0.0%', '0.0%', '1'],
    ], { message: 'K1 with a desktop step after the buy (a\'s buy is its last event)' });
    await screenshot(page, 'columns-mixed-steps');
  });

  it('breaks a funnel down by a kept column (K2)', async () => {
    await page.goto(`${server.url}#view=funnel&by=event&steps=visit,buy&breakdown=first_device`);
    await expectFunnel(page, [['visit', '4', '100.0%', '100.0%', '0'], ['buy', '2', '50.0%', '50.0%', '2']], { message: 'K2 funnel' });
    await eventually(() => segments(page), [
      ['mobile', '2', '1', '50.0%'],
      ['desktop', '1', '1', '100.0%'],
      ['tablet', '1', '0', '0.0%'],
    ], { message: 'K2 segments' });
    const choices = await page.$$eval('#funnel-breakdown option', (os) => os.map((o) => o.value));
    assert.ok(choices.includes('first_plan') && choices.includes('step2_device'), choices.join(' '));
  });

  it('draws paths by a kept column (K3)', async () => {
    await page.goto(`${server.url}#view=paths&by=device`);
    await eventually(() => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('.variant-path, .variant-customers, .variant-pct')].map((td) => td.textContent))), [
      ['desktop', '1', '25.0%'],
      ['mobile', '1', '25.0%'],
      ['mobile → desktop', '1', '25.0%'],
      ['tablet', '1', '25.0%'],
    ], { message: 'K3 variants' });
    await screenshot(page, 'columns-paths-by-device');
    // Combined with the event, chosen in the page: every (device, event) touch is its own step.
    await page.selectOption('#paths-by', '1:device');
    await eventually(() => fragmentPairs(page), (m) => m.get('by') === 'device_event', { message: 'by=device_event' });
    await eventually(() => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('.variant-path, .variant-customers')].map((td) => td.textContent))), [
      ['desktop · visit → desktop · view → desktop · buy', '1'],
      ['mobile · visit', '1'],
      ['mobile · visit → mobile · view → desktop · buy', '1'],
      ['tablet · visit → tablet · view', '1'],
    ], { message: 'K3 by device · event' });
    assert.equal(await page.$eval('#paths-by', (s) => s.value), '1:device');
  });

  it('keeps and drops columns from the Columns panel, into the URL', async () => {
    await page.goto(`${server.url}#view=funnel&by=device&steps=mobile,desktop`);
    await expectFunnel(page, [['mobile', '2', '100.0%', '100.0%', '0'], ['desktop', '1', '50.0%', '50.0%', '1']], { message: 'by device' });
    await page.check('#kept-columns input[value="note"]');
    await eventually(() => fragmentPairs(page), (m) => m.get('keep') === 'device,plan,note', { message: 'keep= in the URL' });
    await eventually(() => kept(page), [['device', true], ['plan', true], ['note', true]], { message: 'note kept' });
    await page.uncheck('#kept-columns input[value="device"]');
    await eventually(() => fragmentPairs(page), (m) => m.get('keep') === 'plan,note', { message: 'device dropped' });
    await eventually(() => text(page, '#funnel-error'),
      'this data keeps no column "device" (kept: plan, note); keep it under Columns (Kept columns) or choose another dimension',
      { message: 'a funnel by a column no longer kept says so' });
    // The loaded data stays; the default choice comes back.
    await page.click('#kept-default');
    await eventually(() => fragmentPairs(page), (m) => !m.has('keep'), { message: 'keep= gone' });
    await expectFunnel(page, [['mobile', '2', '100.0%', '100.0%', '0'], ['desktop', '1', '50.0%', '50.0%', '1']], { message: 'by device again' });
    assertNoProblems(problems);
  });
});
