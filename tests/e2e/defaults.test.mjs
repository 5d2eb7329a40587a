// Default funnel steps: picked automatically when nothing names them, re-picked when new data
// arrives, and never overriding steps the user chose.
//
// orders.csv (6 visitors, date-only times) has the events catalog ×7, cart ×5, payment_done ×5.
// None of them is on the built-in commerce path (site_visit, page_view, product_view, add_to_cart,
// checkout, purchase), so the defaults are its three most frequent events, ties by name:
// catalog, cart, payment_done.
//   v1 catalog → cart → payment_done: 3 steps;  v2: 3;  v3 (cart and payment_done the same day,
//   file order kept): 3;  v4 cart, catalog, payment_done: only catalog → 1;  v5: 3;  v6 catalog → 1
//   → 6, 4, 4;  % of first 100.0, 66.7, 66.7;  % of previous 100.0, 66.7, 100.0;  drop-off 0, 2, 0
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, expectFunnel, expectSteps, fixture, screenshot, useBrowser, waitForData,
} from './helpers.mjs';

describe('default funnel steps', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  });

  it('re-picks automatic steps for the data the user opens', async () => {
    await page.goto(server.url);
    await waitForData(page, { events: '20,000' });
    await expectSteps(page, ['site_visit', 'product_view', 'add_to_cart', 'checkout', 'purchase'], 'sample defaults');
    await page.setInputFiles('#file-input', fixture('orders.csv'));
    await waitForData(page, { events: '17', name: 'orders.csv' });
    await expectSteps(page, ['catalog', 'cart', 'payment_done'], 'defaults of orders.csv');
    await expectFunnel(page, [
      ['catalog', '6', '100.0%', '100.0%', '0'],
      ['cart', '4', '66.7%', '66.7%', '2'],
      ['payment_done', '4', '66.7%', '100.0%', '0'],
    ], { caption: '6 customers in the data · steps by event' });
    // Times between steps (in order): v1 catalog→cart 1 d, →payment 3 d; v2 2 d, 7 d; v3 7 d, 0 s;
    // v5 from its latest catalog (03-20): 2 d, 8 d. cart: [1, 2, 2, 7] d → median 2 d, p90 7 d;
    // payment_done: [0, 3, 7, 8] d → 3 d / 8 d; from step 1: [4, 7, 9, 10] d → 7 d / 10 d.
    const times = await page.$$eval('#funnel-table tr.funnel-row', (trs) => trs.map((tr) =>
      [tr.querySelector('.step-time-prev').textContent, tr.querySelector('.step-time-first').textContent]));
    assert.deepEqual(times, [['—', '—'], ['2.0 d / 7.0 d', '2.0 d / 7.0 d'], ['3.0 d / 8.0 d', '7.0 d / 10.0 d']]);
    // In any order, v4 (cart, catalog, payment_done) counts too: 6, 5, 5. Strictly in order is the
    // same as in order here: every converting visitor's steps are consecutive (v5 from its second catalog).
    await page.selectOption('#funnel-order', 'any');
    await expectFunnel(page, [
      ['catalog', '6', '100.0%', '100.0%', '0'],
      ['cart', '5', '83.3%', '83.3%', '1'],
      ['payment_done', '5', '83.3%', '100.0%', '0'],
    ], { caption: '6 customers in the data · steps by event · in any order' });
    assert.ok((await page.evaluate(() => location.hash)).includes('order=any'));
    await page.selectOption('#funnel-order', 'strict');
    await expectFunnel(page, [
      ['catalog', '6', '100.0%', '100.0%', '0'],
      ['cart', '4', '66.7%', '66.7%', '2'],
      ['payment_done', '4', '66.7%', '100.0%', '0'],
    ], { caption: '6 customers in the data · steps by event · strictly in order' });
    await page.selectOption('#funnel-order', 'ordered');
    await screenshot(page, 'defaults-orders');
  });

  it('keeps steps the user chose when more data arrives', async () => {
    await page.click('button[aria-label="Remove step 3"]');
    await expectSteps(page, ['catalog', 'cart'], 'after removing step 3');
    // orders.csv is the user's own data, so journeys.csv joins it (2 files).
    await page.setInputFiles('#file-input', fixture('journeys.csv'));
    await waitForData(page, { events: '41' });
    await expectSteps(page, ['catalog', 'cart'], 'user-chosen steps kept');
    assertNoProblems(problems);
  });
});
