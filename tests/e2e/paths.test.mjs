// The paths view: Sankey nodes and links, path variants, anchor, collapse, URL state.
//
// orders.csv (no channel column, so steps are events), each visitor's events in time order:
//   v1, v2, v3: catalog → cart → payment_done;  v4: cart → catalog → payment_done;
//   v5: catalog, catalog → cart → payment_done (the repeat collapses);  v6: catalog
// Variants (collapsed): catalog → cart → payment_done 4 (66.7%), cart → catalog → payment_done 1
//   (16.7%), catalog 1 (16.7%) — ties by path, "cart…" before "catalog"; 3 distinct.
// Sankey with 3 steps: step 1 catalog 5, cart 1; step 2 cart 4, catalog 1, (journey ended) 1 (v6);
//   step 3 payment_done 5 → 6 nodes; links catalog→cart 4, catalog→ended 1, cart→catalog 1,
//   cart→payment_done 4, catalog→payment_done 1 → 5 links.
// From "cart": v1–v5 have it (5 of 6): cart → payment_done 4, cart → catalog → payment_done 1.
// Without collapsing, v5's path catalog → catalog → cart → payment_done is its own variant: 4 distinct.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, eventually, fixture, screenshot, text, useBrowser, waitForData,
} from './helpers.mjs';

const variants = (page) => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
  [...tr.querySelectorAll('.variant-path, .variant-customers, .variant-pct')].map((td) => td.textContent)));

describe('paths view', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
  });

  it('opens from a link and draws the Sankey and variants of a dropped file', async () => {
    await page.goto(`${server.url}#view=paths&by=event&steps=3&collapse=1&top=8`);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('orders.csv'));
    await waitForData(page, { events: '17', name: 'orders.csv' });
    await eventually(() => variants(page), [
      ['catalog → cart → payment_done', '4', '66.7%'],
      ['cart → catalog → payment_done', '1', '16.7%'],
      ['catalog', '1', '16.7%'],
    ], { message: 'variants' });
    assert.equal(await text(page, '#variants-table caption'), '3 distinct paths');
    // Conversion = payment_done: every path through it converts, v6 does not. No revenue column.
    // Median duration (first to last touch): main path v1 4 d, v3 7 d, v2 9 d, v5 29 d → 7 d;
    // v4 2 d; v6 a single touch, 0 s.
    await page.selectOption('#paths-conv', 'payment_done');
    await eventually(() => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('.variant-conv, .variant-revenue, .variant-duration')].map((td) => td.textContent))), [
      ['100.0%', '—', '7.0 d'],
      ['100.0%', '—', '2.0 d'],
      ['0.0%', '—', '0 s'],
    ], { message: 'variant conversion and duration' });
    assert.ok((await page.evaluate(() => location.hash)).includes('conv=payment_done'));
    const nodes = await page.$$eval('#sankey .node title', (ts) => ts.map((t) => t.textContent));
    const click = '; click to start paths here';
    assert.deepEqual(nodes, [
      `Step 1: catalog — 5 customers (83.3% of all)${click}`,
      `Step 1: cart — 1 customers (16.7% of all)${click}`,
      `Step 2: cart — 4 customers (66.7% of all)${click}`,
      `Step 2: catalog — 1 customers (16.7% of all)${click}`,
      'Step 2: (journey ended) — 1 customers (16.7% of all)',
      `Step 3: payment_done — 5 customers (83.3% of all)${click}`,
    ]);
    // Step matrix: the same shares by value (rows, in order of first appearance) and step.
    const matrix = await page.$$eval('#step-matrix tbody tr', (trs) => trs.map((tr) =>
      [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(matrix, [
      ['catalog', '83.3%', '16.7%', '·'],
      ['cart', '16.7%', '66.7%', '·'],
      ['(journey ended)', '·', '16.7%', '·'],
      ['payment_done', '·', '·', '83.3%'],
    ]);
    const links = await page.$$eval('#sankey .link title', (ts) => ts.map((t) => t.textContent.replace(/ \([0-9].*$/, '')).sort());
    assert.deepEqual(links, [
      'cart → catalog: 1 customers',
      'cart → payment_done: 4 customers',
      'catalog → (journey ended): 1 customers',
      'catalog → cart: 4 customers',
      'catalog → payment_done: 1 customers',
    ]);
    assert.ok((await page.evaluate(() => location.hash)).startsWith('#view=paths&by=event&steps=3'));
    // Transitions (collapsed): catalog→cart 4 (v1 1 d, v2 2 d, v3 7 d, v5 2 d after its last catalog):
    // nearest-rank median 2 d, p90 7 d; cart→payment_done 4 (3 d, 7 d, 0 s, 8 d): median 3 d, p90 8 d;
    // catalog→payment_done 1 (v4, 1 d) and cart→catalog 1 (v4, 1 d). Out of catalog 4 + 1 → 80% / 20%.
    const edges = await page.$$eval('#transition-edges tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(edges, [
      ['catalog', 'cart', '4', '80.0%', '2.0 d', '7.0 d'],
      ['cart', 'payment_done', '4', '80.0%', '3.0 d', '8.0 d'],
      ['catalog', 'payment_done', '1', '20.0%', '1.0 d', '1.0 d'],
      ['cart', 'catalog', '1', '20.0%', '1.0 d', '1.0 d'],
    ]);
    // Journeys end at payment_done 5 times (v1–v5) and at catalog once (v6).
    const ends = await page.$$eval('#transition-matrix tbody tr', (trs) => trs.map((tr) =>
      [tr.querySelector('th').textContent, tr.lastElementChild.textContent]));
    assert.deepEqual(ends, [['catalog', '1'], ['cart', '0'], ['payment_done', '5']]);
    await screenshot(page, 'paths-orders');
  });

  it('starts at an anchor and can keep repeats', async () => {
    // A click on a node starts the paths there.
    await page.click('#sankey .node:has(title:text-matches("^Step 1: cart"))');
    await eventually(() => variants(page), [
      ['cart → payment_done', '4', '66.7%'],
      ['cart → catalog → payment_done', '1', '16.7%'],
    ], { message: 'from cart' });
    assert.equal(await text(page, '#paths-caption'),
      '5 of 6 customers have a path starting at cart; each column is a step, ribbons are customers.');
    assert.ok((await page.evaluate(() => location.hash)).includes('from=cart'));
    // Ending at catalog, from cart: only v4 (cart → catalog); with catalog hidden nothing ends there.
    await page.selectOption('#paths-to', 'catalog');
    await eventually(() => variants(page), [['cart → catalog', '1', '16.7%']], { message: 'cart to catalog' });
    assert.ok((await page.evaluate(() => location.hash)).includes('to=catalog'));
    await page.selectOption('#paths-to', '');
    // Hiding cart (no anchor): v1, v2, v3, v5 become catalog → payment_done, and so does v4
    // (cart, catalog, payment_done without its cart): 5; v6 stays catalog.
    await page.selectOption('#paths-from', '');
    await page.fill('#paths-hide', 'cart');
    await page.press('#paths-hide', 'Enter');
    await eventually(() => variants(page), [
      ['catalog → payment_done', '5', '83.3%'],
      ['catalog', '1', '16.7%'],
    ], { message: 'cart hidden' });
    await page.fill('#paths-hide', '');
    await page.press('#paths-hide', 'Enter');
    await page.uncheck('#paths-collapse');
    await eventually(() => text(page, '#variants-table caption'), '4 distinct paths', { message: 'no collapse' });
    assert.ok((await page.evaluate(() => location.hash)).includes('collapse=0'));
  });

  // Sessions (30 min gap) of orders.csv: its times are dates, so every touch is its own session except
  // v3's cart and payment_done on the same day: v1 3, v2 3, v3 2, v4 3, v5 4, v6 1 = 16 sessions.
  // Variants: catalog 7 (v1, v2, v3, v4's second, v5's first two, v6), cart 4 (v1, v2, v4, v5),
  // payment_done 4 (v1, v2, v4, v5), cart → payment_done 1 (v3).
  it('counts sessions as journeys', async () => {
    await page.evaluate(() => { location.hash = 'view=paths&by=event&steps=3&collapse=1&top=8&grain=session&session_gap=30m'; });
    await eventually(() => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
      [...tr.querySelectorAll('.variant-path, .variant-customers')].map((td) => td.textContent))), [
      ['catalog', '7'], ['cart', '4'], ['payment_done', '4'], ['cart → payment_done', '1'],
    ], { message: 'session variants' });
    assert.equal(await text(page, '#paths-caption'),
      '16 of 16 sessions have a path; each column is a step, ribbons are sessions.');
    await page.evaluate(() => { location.hash = 'view=paths&by=event&steps=3&collapse=0&top=8'; });
    await eventually(() => text(page, '#variants-table caption'), '4 distinct paths', { message: 'back to customers' });
  });

  it('searches and sorts the variants', async () => {
    // Repeats kept: catalog → cart → payment_done 3, then three variants of 1 (ties by path):
    // cart → catalog → payment_done, catalog, catalog → catalog → cart → payment_done.
    await page.fill('#variants-search', 'pay');
    await eventually(() => text(page, '#variants-table caption'), '4 distinct paths · showing 3 of 3 matching', { message: 'search' });
    await page.click('#variants-table th.path button');
    await eventually(() => page.$$eval('#variants-table .variant-path', (tds) => tds.map((td) => td.textContent)), [
      'catalog → catalog → cart → payment_done', 'catalog → cart → payment_done', 'cart → catalog → payment_done',
    ], { message: 'sorted by length, ties in frequency order' });
    await page.fill('#variants-search', '');
    await page.click('#variants-table th.sortable:nth-child(3) button');
  });

  it('downloads the variants as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-variants')]);
    assert.equal(download.suggestedFilename(), 'touchpath-paths.csv');
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await download.path(), 'utf8');
    assert.equal(csv.split('\n')[0], 'path,customers,pct_of_total,conversion_pct,revenue,median_duration_s');
    assert.ok(csv.includes('"catalog > catalog > cart > payment_done",1,16.6667'), csv);
  });

  it('downloads the paths as JSON: the definition and every computed part', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-paths-json')]);
    assert.equal(download.suggestedFilename(), 'touchpath-paths.json');
    const { readFile } = await import('node:fs/promises');
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.schema, 'touchpath.paths.v1');
    // The same state as the CSV above: repeats kept (collapse off), 6 customers in paths.
    assert.equal(doc.query.collapse, false);
    const cat = doc.result.variants.find((v) => v.path.join(' > ') === 'catalog > catalog > cart > payment_done');
    assert.equal(cat?.customers, 1, JSON.stringify(doc.result.variants).slice(0, 300));
    // Every Sankey ribbon drawn is in the file.
    assert.equal(doc.result.links.length, await page.$$eval('#sankey .link', (ls) => ls.length));
  });

  it('exports the Sankey as SVG and PNG', async () => {
    const { readFile } = await import('node:fs/promises');
    const [svgDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-sankey-svg')]);
    assert.equal(svgDl.suggestedFilename(), 'touchpath-sankey.svg');
    const svg = await readFile(await svgDl.path(), 'utf8');
    assert.ok(svg.startsWith('<?xml') && svg.includes('xmlns="http://www.w3.org/2000/svg"'), svg.slice(0, 200));
    // The file holds exactly the ribbons drawn on the page.
    const onPage = await page.$$eval('#sankey .link', (ls) => ls.length);
    assert.equal((svg.match(/class="link"/g) || []).length, onPage);
    const [pngDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-sankey-png')]);
    assert.equal(pngDl.suggestedFilename(), 'touchpath-sankey.png');
    const png = await readFile(await pngDl.path());
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.ok(png.length > 2000, `a real image (${png.length} bytes)`);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(new URL('./artifacts/paths-export.png', import.meta.url), png);
    assertNoProblems(problems);
  });
});
