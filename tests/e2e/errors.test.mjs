// Files that cannot be loaded are reported (file name, reason, line where there is one) and the
// data loaded before stays; text from a file is shown as text, never as markup.
//
// Fixtures in tests/fixtures/e2e/:
//   empty.csv           0 bytes
//   binary.bin          a PNG signature: 89 50 4E 47 0D 0A 1A 0A, then a zero byte at offset 8
//   no_id.csv           header "timestamp,event,channel": no customer id column (line 1)
//   bad_timestamps.csv  3 rows, none with a usable timestamp: "yesterday" (line 2),
//                       "2024-02-30" (no such day), "03/01/2024 10:00" (not an accepted form)
//   markup_channel.csv  channel "<img src=x onerror=alert(1)>" on 2 of its 3 rows
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, eventually, fixture, screenshot, text, useBrowser, waitForData, waitForLoadError,
} from './helpers.mjs';

const KEPT = 'The data loaded before is still in use.';

describe('Touchpath load errors and untrusted text', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
    await page.goto(server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
  });

  /** Loads `name` through the file input and returns the error shown for it. */
  async function loadFailing(name, message) {
    // Dismiss the previous error first, so that the next one is certainly new.
    if (await page.locator('#load-error').count()) {
      await page.click('#load-error button[aria-label="Dismiss"]');
      await eventually(() => page.locator('#load-error').count(), 0, { message: 'the previous error is dismissed' });
    }
    await page.setInputFiles('#file-input', fixture(name));
    const err = await waitForLoadError(page);
    assert.equal(err.role, 'alert', '#load-error has role=alert');
    if (typeof message === 'string') assert.equal(err.message, message, `${name}: error message`);
    else assert.match(err.message, message, `${name}: error message`);
    assert.equal(err.kept, KEPT, `${name}: says the previous data is still in use`);
    assert.equal(await text(page, '#sum-events'), '20,000', `${name}: the sample's numbers stay`);
    assert.equal(await text(page, '#sum-customers'), '4,364', `${name}: the sample's customers stay`);
    assert.equal((await text(page, '#data-name')).trim(), 'Built-in sample', `${name}: the data name stays`);
    assert.equal(await page.locator('#funnel-table tr.funnel-row').count(), 5, `${name}: the sample's funnel stays`);
    return err;
  }

  it('an empty file', async () => {
    await loadFailing('empty.csv', 'empty.csv: the file is empty');
  });

  it('a binary file', async () => {
    await loadFailing('binary.bin',
      /^binary\.bin: this does not look like a text export: binary data \(a zero byte\) at byte 8\b/);
  });

  it('a CSV without a customer id column', async () => {
    await loadFailing('no_id.csv', /^no_id\.csv: line 1: no customer id column found in the header \("timestamp", "event", "channel"\)/);
  });

  it('a CSV whose timestamps are all unparseable', async () => {
    await loadFailing('bad_timestamps.csv',
      /^bad_timestamps\.csv: (line 2: )?no usable rows: all 3 rows were skipped \(unparseable timestamp, first at line 2: "yesterday"\)$/);
    await screenshot(page, 'errors-bad-timestamps');
  });

  it('shows a channel value with markup as text', async () => {
    await page.click('#load-error button[aria-label="Dismiss"]');
    await page.setInputFiles('#file-input', fixture('markup_channel.csv'));
    await waitForData(page, { events: '3', name: 'markup_channel.csv' });
    const cells = await page.$$eval('#channel-table tbody tr', (trs) => trs.map((tr) => tr.querySelector('td').textContent));
    assert.deepEqual(cells, ['<img src=x onerror=alert(1)>', 'email'], 'the channel is shown literally');
    assert.equal(await page.locator('img').count(), 0, 'no img element was created anywhere');
    assert.equal(await page.locator('#channel-table *:not(table, caption, thead, tbody, tr, th, td)').count(), 0,
      'the channel table holds text only');

    // Also as funnel steps: by channel, the value is an option label and a table label.
    await page.selectOption('#funnel-by', 'channel');
    await page.selectOption('#add-step', '<img src=x onerror=alert(1)>');
    await eventually(() => page.$$eval('#funnel-table tr.funnel-row .step-label', (els) => els.map((e) => e.textContent)),
      ['<img src=x onerror=alert(1)>'], { message: 'the markup channel as a funnel step label' });
    assert.equal(await text(page, '#funnel-table .step-customers'), '2', 'm1 and m2 had that channel');
    assert.equal(await page.locator('img').count(), 0, 'still no img element');
    await screenshot(page, 'errors-markup-channel');
    assert.deepEqual(problems.dialogs, [], 'no dialog opened');
    assertNoProblems(problems);
  });
});
