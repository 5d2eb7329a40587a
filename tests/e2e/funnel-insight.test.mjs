// Funnel features of issue #5 beyond the options: regular-expression steps, counting every
// conversion (totals), breakdowns by the value at a step, revenue at the last step and the
// drop-off insight, in the page, the URL, the downloads and a share link.
//
// Fixture tests/fixtures/e2e/funnel-insight.csv (20 events, 7 customers, 2024-05-01 UTC):
//   a: visit 10:00:01 (email), search :02 (email), cart :03 (search), buy :04 (search, 30.00)
//   b: visit :01, visit :02 (social), exit_page :03 (direct)
//   c: visit :01, cart :02 (email)          d: visit :01 (direct)
//   e: visit :01, faq :02, faq :03 (email), help :04 (social), cart :05 (email)
//   f: cart :01 (email)
//   g: visit 10:10, buy 10:11 (20.00), visit 10:12, buy 10:13 (5.00), all email
//
// N1 visit → cart → buy: visit a b c d e g = 6; cart after a visit a c e = 3; buy after that a = 1.
//    % of first 100, 50.0, 16.7; % of previous 100, 50.0, 33.3; drop-off 0, 3, 2.
//    Revenue at the last step: a's buy 30.00.
// N2 drop-off insight after step 1 (insight=1): of the 6 at visit, 3 stopped (b, d, g: 50.0%)
//    and 3 went on (a, c, e: 50.0%).
//    What the stopped did next — the first event after their (last) visit that is not a visit:
//    b exit_page, d nothing, g buy → (no later event) 1, buy 1, exit_page 1 (33.3% each; ties
//    by name). Their last channel: b direct, d direct, g email → direct 2 (66.7%), email 1 (33.3%).
//    What the others did between visit and cart: a search; c nothing; e faq (twice, once counted)
//    and help → faq 1, help 1, search 1 (33.3% of 3 each); 1 went straight on (c).
//    The CSV: b, d, g dropped, then a, c, e continued.
// N3 breakdown by the channel at step 2 (breakdown=step2_channel): the cart's channel — a
//    search, c email, e email; the rest did not reach step 2:
//    email (c, e) 2, 2, 0 (0.0%); search (a) 1, 1, 1 (100.0%); (did not reach step 2) 3, 0, 0 (0.0%).
// N4 visit → buy counting every conversion (count=totals): a 1 attempt, converted; b c d e 1 each,
//    not; g 2 attempts (visit buy | visit buy), both converted → visit 7, buy 3 (42.9%, drop 4).
//    Revenue at the last step: 30.00 + 20.00 + 5.00 = 55.00 (by customers: a 30 + g's first 20 = 50.00).
// N5 regular expression: visit → re:^(cart|buy)$ → a c e (cart) and g (buy) = 4 of 6 (66.7%);
//    re:( is not a valid expression: an error names the step.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, expectFunnel, fixture, fragmentPairs, newPage, screenshot, text, useBrowser,
  waitForData,
} from './helpers.mjs';

const CAPTION = '7 customers in the data · steps by event';
const N1 = [
  ['visit', '6', '100.0%', '100.0%', '0'],
  ['cart', '3', '50.0%', '50.0%', '3'],
  ['buy', '1', '16.7%', '33.3%', '2'],
];

/** A list of the insight as [value, count, share] rows. */
function list(page, id) {
  return page.$$eval(`#${id} tr.insight-row`, (rows) => rows.map((r) => [
    r.querySelector('.insight-value').textContent, r.querySelector('.insight-count').textContent,
    r.querySelector('.insight-share').textContent,
  ]));
}

async function open(page, server, hash) {
  await page.goto(`${server.url}#${hash}`);
  await waitForData(page, { events: '20,000' });
  await page.setInputFiles('#file-input', fixture('funnel-insight.csv'));
  await waitForData(page, { events: '20', name: 'funnel-insight.csv' });
}

describe('Funnel: insight, breakdown at a step, totals, revenue, regular expressions', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  }, { prefix: '/' });

  it('shows the funnel with the revenue at the last step (N1)', async () => {
    await open(page, server, 'view=funnel&by=event&steps=visit,cart,buy');
    await expectFunnel(page, N1, { caption: CAPTION, message: 'N1' });
    assert.equal(await text(page, '#funnel-revenue'), 'Revenue at the last step: 30.00 from 1 customer');
  });

  it('opens the drop-off insight from the table (N2)', async () => {
    await page.getByRole('button', { name: 'Drop-off insight: step 1 to step 2', exact: true }).click();
    await eventually(() => fragmentPairs(page), (m) => m.get('insight') === '1', { message: 'insight=1 in the URL' });
    await eventually(() => text(page, '#insight-summary'),
      'Of 6 customers at step 1, 3 (50.0%) stopped and 3 (50.0%) went on to step 2.', { message: 'insight summary' });
    assert.deepEqual(await list(page, 'insight-next'),
      [['(no later event)', '1', '33.3%'], ['buy', '1', '33.3%'], ['exit_page', '1', '33.3%']]);
    assert.deepEqual(await list(page, 'insight-last-channel'), [['direct', '2', '66.7%'], ['email', '1', '33.3%']]);
    assert.deepEqual(await list(page, 'insight-between'),
      [['faq', '1', '33.3%'], ['help', '1', '33.3%'], ['search', '1', '33.3%']]);
    assert.equal(await text(page, '#insight-direct'), '1 went straight on, with nothing between.');
    await screenshot(page, 'funnel-insight');
  });

  it('downloads the insight customers as CSV (N2)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-insight-csv')]);
    assert.equal(download.suggestedFilename(), 'touchpath-dropoff-step1.csv');
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'customer_id,unit_start,group,step_time,next_value,next_time,between,last_channel,last_event,last_seen');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(0, 3).concat(l.split(',')[4], l.split(',')[6])), [
      ['b', '2024-05-01T10:00:01Z', 'dropped', 'exit_page', ''],
      ['d', '2024-05-01T10:00:01Z', 'dropped', '', ''],
      ['g', '2024-05-01T10:10:00Z', 'dropped', 'buy', ''],
      ['a', '2024-05-01T10:00:01Z', 'continued', 'cart', 'search'],
      ['c', '2024-05-01T10:00:01Z', 'continued', 'cart', ''],
      ['e', '2024-05-01T10:00:01Z', 'continued', 'cart', 'faq|help'],
    ]);
  });

  it('breaks the funnel down by the channel at step 2 (N3)', async () => {
    await page.selectOption('#funnel-breakdown', 'step2_channel');
    await eventually(() => page.$$eval('#funnel-breakdown-table tr.segment-row', (rows) => rows.map((r) => [
      r.querySelector('.segment-name').textContent,
      ...[...r.querySelectorAll('.segment-count')].map((c) => c.textContent),
      r.querySelector('.segment-rate').textContent,
    ])), [
      ['email', '2', '2', '0', '0.0%'],
      ['search', '1', '1', '1', '100.0%'],
      ['(did not reach step 2)', '3', '0', '0', '0.0%'],
    ], { message: 'segments by the channel at step 2' });
    assert.equal(await text(page, '#funnel-segments h3'), 'By channel at step 2: conversion from step 1 to the last step');
    await eventually(() => fragmentPairs(page), (m) => m.get('breakdown') === 'step2_channel', { message: 'breakdown= in the URL' });
  });

  it('counts every conversion and its revenue (N4)', async () => {
    await page.goto(`${server.url}#view=funnel&by=event&steps=visit,buy`);
    await expectFunnel(page, [['visit', '6', '100.0%', '100.0%', '0'], ['buy', '2', '33.3%', '33.3%', '4']],
      { caption: CAPTION, message: 'N4 by customers' });
    assert.equal(await text(page, '#funnel-revenue'), 'Revenue at the last step: 50.00 from 2 customers');
    await page.selectOption('#funnel-count', 'totals');
    await expectFunnel(page, [['visit', '7', '100.0%', '100.0%', '0'], ['buy', '3', '42.9%', '42.9%', '4']], {
      caption: `${CAPTION} · counting every attempt: after each conversion a customer's next events start a new one`,
      message: 'N4 totals',
    });
    await eventually(() => text(page, '#funnel-revenue'), 'Revenue at the last step: 55.00 from 3 attempts', { message: 'revenue of every conversion' });
    assert.equal(await text(page, '#funnel-table thead th:nth-child(3)'), 'Attempts');
    await eventually(() => fragmentPairs(page), (m) => m.get('count') === 'totals', { message: 'count=totals in the URL' });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#download-json')]);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.count, 'totals');
    assert.equal(doc.revenue_last_step, 55);
    assert.deepEqual(doc.steps.map((s) => s.customers), [7, 3]);
  });

  it('matches steps by regular expression and names a bad one (N5)', async () => {
    await page.goto(`${server.url}#view=funnel&by=event&steps=visit`);
    await page.fill('#add-regex', '^(cart|buy)$');
    await page.press('#add-regex', 'Enter');
    await expectFunnel(page, [['visit', '6', '100.0%', '100.0%', '0'], ['matches /^(cart|buy)$/', '4', '66.7%', '66.7%', '2']],
      { message: 'N5' });
    await eventually(() => fragmentPairs(page), (m) => m.get('steps') === 'visit,re:%5E(cart|buy)$',
      { message: 're: step in the URL (readable, ^ escaped)' });
    await page.fill('#add-regex', '(');
    await page.press('#add-regex', 'Enter');
    await eventually(() => text(page, '#funnel-error'), (t) => t?.startsWith('step "re:(" is not a valid regular expression'),
      { message: 'the error names the step' });
  });

  it('restores the insight and the breakdown from a share link', async () => {
    const { page: p2, problems: pr2 } = await newPage(browser);
    await open(p2, server, 'view=funnel&by=event&steps=visit,cart,buy&breakdown=step2_channel&insight=1');
    await expectFunnel(p2, N1, { message: 'N1 from the link' });
    await eventually(() => list(p2, 'insight-next'),
      [['(no later event)', '1', '33.3%'], ['buy', '1', '33.3%'], ['exit_page', '1', '33.3%']], { message: 'insight from the link' });
    assert.equal(await p2.$eval('#funnel-breakdown', (s) => s.value), 'step2_channel');
    await p2.click('#close-insight');
    await eventually(() => fragmentPairs(p2), (m) => !m.has('insight'), { message: 'closing drops insight=' });
    assert.equal(await p2.locator('#funnel-insight').count(), 0);
    assertNoProblems(pr2);
    await p2.context().close();
  });

  it('had no page errors', () => assertNoProblems(problems));
});
