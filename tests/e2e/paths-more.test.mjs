// The paths view, more options: cleaning (rewrite, merge, share threshold), backward paths,
// date and touched filters.
//
// web-paths.csv (by=event), each customer's events in time order (UTC):
//   u1: /product/1 (05-01 10:00), /product/2 (05-01 10:05), cart (05-02), purchase (05-03)
//   u2: /product/7 (05-01), checkout (05-04 08:00), purchase (05-04 12:00)
//   u3: home (05-02 10:00), cart (05-02 11:00)
//   u4: /products (05-05), purchase (05-06)
//   u5: home (05-06), /product/3 (05-07)
// Cleaned with rewrite /product/* => product and merge cart + checkout => basket (repeats collapsed):
//   u1 product → basket → purchase;  u2 product → basket → purchase;  u3 home → basket;
//   u4 /products → purchase ("/products" does not match "/product/*");  u5 home → product.
// Variants: product → basket → purchase 2 (40%), then 1 each (20%), ties by path:
//   /products → purchase, home → basket, home → product.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertNoProblems, eventually, fixture, screenshot, text, useBrowser, waitForData,
} from './helpers.mjs';

const variants = (page) => page.$$eval('#variants-table tbody tr', (trs) => trs.map((tr) =>
  [...tr.querySelectorAll('.variant-path, .variant-customers, .variant-pct')].map((td) => td.textContent)));
const nodes = (page) => page.$$eval('#sankey .node title', (ts) => ts.map((t) => t.textContent.replace(/;.*$/, '')));
const hash = (page) => page.evaluate(() => decodeURIComponent(location.hash));
const CLEAN = 'view=paths&by=event&steps=3&collapse=1&top=8&rewrite=/product/*:product&merge=cart+checkout:basket';

describe('paths view: cleaning, direction and filters', () => {
  let browser, server, page, problems;

  useBrowser(async (s) => {
    ({ browser, server, page, problems } = s);
    await page.goto(`${server.url}#view=paths&by=event&steps=3&collapse=1&top=8`);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('web-paths.csv'));
    await waitForData(page, { events: '13', name: 'web-paths.csv' });
  });

  it('rewrites and merges values typed in the builder, and writes them into the link', async () => {
    // Raw: every customer has a distinct path; nothing is grouped.
    await eventually(() => text(page, '#variants-table caption'), '5 distinct paths', { message: 'raw variants' });
    assert.equal(await text(page, '#paths-other'), '0 customers (0.0% of the paths) pass through “other” at some step shown.');
    await page.fill('#paths-rewrite', '/product/* => product');
    await page.press('#paths-rewrite', 'Enter');
    await page.fill('#paths-merge', 'cart + checkout => basket');
    await page.press('#paths-merge', 'Enter');
    await eventually(() => variants(page), [
      ['product → basket → purchase', '2', '40.0%'],
      ['/products → purchase', '1', '20.0%'],
      ['home → basket', '1', '20.0%'],
      ['home → product', '1', '20.0%'],
    ], { message: 'cleaned variants' });
    const h = await hash(page);
    assert.ok(h.includes('rewrite=/product/*:product') && h.includes('merge=cart+checkout:basket'), h);
    // The rules' names are offered as anchors.
    await page.selectOption('#paths-from', 'basket');
    await eventually(() => variants(page), [
      ['basket → purchase', '2', '40.0%'],
      ['basket', '1', '20.0%'],
    ], { message: 'from basket' });
    await page.selectOption('#paths-from', '');
  });

  // A regular-expression rule, re:/product/\d+ => /product/:id (every match replaced; /products has
  // no digits after the slash): u1 /product/:id → cart → purchase (its two products collapse),
  // u2 /product/:id → checkout → purchase, u3 home → cart, u4 /products → purchase, u5 home →
  // /product/:id — five paths of one customer each (20.0%), ties by path.
  it('rewrites values with a regular expression, and names an invalid one', async () => {
    await page.evaluate(() => { location.hash = 'view=paths&by=event&steps=3&collapse=1&top=8'; });
    await eventually(() => text(page, '#variants-table caption'), '5 distinct paths', { message: 'rules cleared' });
    await page.fill('#paths-rewrite', 're:/product/\\d+ => /product/:id');
    await page.press('#paths-rewrite', 'Enter');
    await eventually(() => variants(page), [
      ['/product/:id → cart → purchase', '1', '20.0%'],
      ['/product/:id → checkout → purchase', '1', '20.0%'],
      ['/products → purchase', '1', '20.0%'],
      ['home → /product/:id', '1', '20.0%'],
      ['home → cart', '1', '20.0%'],
    ], { message: 'regex-rewritten variants' });
    assert.ok((await hash(page)).includes('rewrite=re:/product/\\d+:/product/:id'), await hash(page));
    await page.fill('#paths-rewrite', 're:( => x');
    await page.press('#paths-rewrite', 'Enter');
    await eventually(() => text(page, '#paths-error'), (t) => t?.startsWith('rewrite rule "re:(" is not a valid regular expression'),
      { message: 'the error names the rule' });
    await page.evaluate((h) => { location.hash = h; }, CLEAN);
    await eventually(() => variants(page), (v) => v.length === 4, { message: 'back to the cleaned paths' });
  });

  // min_share 30 % of 5 paths: step 1 home 2, product 2 stay, /products 1 (20%) → other;
  // step 2 basket 3 stays, u4's purchase and u5's product (1 each) → other 2;
  // step 3 purchase 2, (journey ended) 3 (u3, u4, u5). u4 and u5 pass through other: 2 of 5.
  it('groups values under the share threshold as other and says how many paths went there', async () => {
    await page.fill('#paths-min-share', '30');
    await page.press('#paths-min-share', 'Enter');
    await eventually(() => nodes(page), [
      'Step 1: home — 2 customers (40.0% of all)',
      'Step 1: product — 2 customers (40.0% of all)',
      'Step 1: other — 1 customers (20.0% of all)',
      'Step 2: basket — 3 customers (60.0% of all)',
      'Step 2: other — 2 customers (40.0% of all)',
      'Step 3: purchase — 2 customers (40.0% of all)',
      'Step 3: (journey ended) — 3 customers (60.0% of all)',
    ], { message: 'nodes with a share threshold' });
    assert.equal(await text(page, '#paths-other'), '2 customers (40.0% of the paths) pass through “other” at some step shown.');
    assert.ok((await hash(page)).includes('min_share=30'));
    // Restored from a link: the fields show the rules again.
    await page.evaluate(() => { location.hash = 'view=paths&by=event&steps=3&collapse=1&top=8'; });
    await eventually(() => text(page, '#variants-table caption'), '5 distinct paths', { message: 'rules cleared' });
    await page.evaluate((h) => { location.hash = h; }, `${CLEAN}&min_share=30`);
    await eventually(() => text(page, '#paths-other'),
      '2 customers (40.0% of the paths) pass through “other” at some step shown.', { message: 'from the link' });
    assert.deepEqual(await page.$$eval('#paths-rewrite, #paths-merge, #paths-min-share', (es) => es.map((e) => e.value)),
      ['/product/* => product', 'cart + checkout => basket', '30']);
    await screenshot(page, 'paths-cleaning');
    assertNoProblems(problems);
  });

  // Backward from purchase (cleaned): u1 and u2 product → basket → purchase, u4 /products → purchase;
  // u3 and u5 never purchase. Step 1 from the end purchase 3 (100% of the 3 paths); step 2 basket 2,
  // /products 1; step 3 product 2 and (journey started) 1 (u4's path is shorter).
  it('counts steps backward from the end', async () => {
    await page.evaluate((h) => { location.hash = h; }, `${CLEAN}&to=purchase`);
    await eventually(() => text(page, '#variants-table caption'), '2 distinct paths', { message: 'to purchase' });
    await page.selectOption('#paths-direction', 'backward');
    await eventually(() => nodes(page), [
      'Step 1 from the end: purchase — 3 customers (100.0% of all)',
      'Step 2 from the end: basket — 2 customers (66.7% of all)',
      'Step 2 from the end: /products — 1 customers (33.3% of all)',
      'Step 3 from the end: product — 2 customers (66.7% of all)',
      'Step 3 from the end: (journey started) — 1 customers (33.3% of all)',
    ], { message: 'backward nodes' });
    assert.ok((await hash(page)).includes('&to=purchase&direction=backward'));
    // Ribbons point forward in time, into the end on the right.
    const links = await page.$$eval('#sankey .link title', (ts) => ts.map((t) => t.textContent.replace(/ \(.*$/, '')));
    assert.deepEqual(links, [
      'basket → purchase: 2 customers',
      '/products → purchase: 1 customers',
      'product → basket: 2 customers',
      '(journey started) → /products: 1 customers',
    ]);
    const x = await page.$$eval('#sankey .node rect', (rs) => rs.map((r) => Number(r.getAttribute('x'))));
    assert.ok(x[0] > x[1] && x[1] > x[3] && x[3] === 0, `end on the right: ${x}`);
    // The step matrix reads in time order, the end last.
    const matrix = await page.$$eval('#step-matrix tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(matrix, [
      ['value \\ step', 'end−2', 'end−1', 'end'],
      ['purchase', '·', '·', '100.0%'],
      ['basket', '·', '66.7%', '·'],
      ['/products', '·', '33.3%', '·'],
      ['product', '66.7%', '·', '·'],
      ['(journey started)', '33.3%', '·', '·'],
    ]);
    await screenshot(page, 'paths-backward');
    // A click on a node ends the paths there: ending at basket, u1 u2 product → basket, u3 home → basket.
    await page.click('#sankey .node:has(title:text-matches("^Step 2 from the end: basket"))');
    await eventually(() => variants(page), [
      ['product → basket', '2', '40.0%'],
      ['home → basket', '1', '20.0%'],
    ], { message: 'ending at basket' });
    assert.ok((await hash(page)).includes('to=basket&direction=backward'));
  });

  // Dates 2024-05-02 – 2024-05-04 (cleaned): u1 basket → purchase (05-02, 05-03), u2 basket → purchase
  // (05-04 08:00, 12:00), u3 home → basket; u4 and u5 have no events then and are not counted.
  it('filters by dates and by a value touched', async () => {
    await page.evaluate((h) => { location.hash = h; }, CLEAN);
    await eventually(() => text(page, '#variants-table caption'), '4 distinct paths', { message: 'cleaned' });
    await page.fill('#paths-since', '2024-05-02');
    await page.fill('#paths-until', '2024-05-04');
    await eventually(() => variants(page), [
      ['basket → purchase', '2', '66.7%'],
      ['home → basket', '1', '33.3%'],
    ], { message: 'dated' });
    assert.equal(await text(page, '#paths-caption'), '3 of 3 customers have a path; each column is a step, ribbons are customers.');
    // Who touched home within the dates: u3 only (u5's home is on 05-06).
    await page.selectOption('#paths-touched', 'home');
    await eventually(() => variants(page), [['home → basket', '1', '33.3%']], { message: 'touched home, dated' });
    assert.equal(await text(page, '#paths-caption'), '1 of 3 customers have a path; each column is a step, ribbons are customers.');
    assert.ok((await hash(page)).includes('since=2024-05-02&until=2024-05-04&touched=home'));
    // Without dates: u3 and u5 touched home, of all 5.
    await page.fill('#paths-since', '');
    await page.fill('#paths-until', '');
    await eventually(() => variants(page), [
      ['home → basket', '1', '20.0%'],
      ['home → product', '1', '20.0%'],
    ], { message: 'touched home' });
    assert.equal(await text(page, '#paths-caption'), '2 of 5 customers have a path; each column is a step, ribbons are customers.');
    assertNoProblems(problems);
  });

  // By channel · event, web-paths.csv's touches are all distinct steps: step 1 ads · /product/7 (u2),
  // ads · home (u5), email · /products (u4), seo · /product/1 (u1), seo · home (u3), 1 each (20%), by name.
  it('combines the channel and the event into one step', async () => {
    await page.evaluate(() => { location.hash = 'view=paths&by=channel_event&steps=2&collapse=1&top=8'; });
    await eventually(async () => (await nodes(page)).slice(0, 5), [
      'Step 1: ads · /product/7 — 1 customers (20.0% of all)',
      'Step 1: ads · home — 1 customers (20.0% of all)',
      'Step 1: email · /products — 1 customers (20.0% of all)',
      'Step 1: seo · /product/1 — 1 customers (20.0% of all)',
      'Step 1: seo · home — 1 customers (20.0% of all)',
    ], { message: 'combined nodes' });
    assert.equal(await page.$eval('#paths-by', (s) => s.value), '1:channel');
    // A rewrite rule reaches into combined labels: u1's two seo product pages become one step.
    await page.fill('#paths-rewrite', '* · /product/* => product');
    await page.press('#paths-rewrite', 'Enter');
    await eventually(async () => (await variants(page)).map((v) => v[0]), [
      'ads · home → product',
      'email · /products → email · purchase',
      'product → ads · checkout → ads · purchase',
      'product → email · cart → email · purchase',
      'seo · home → seo · cart',
    ], { message: 'combined and rewritten' });
    assert.ok((await hash(page)).includes('by=channel_event'));
    assertNoProblems(problems);
  });

  // Cleaned, forward, 3 steps. Nodes: step 1 home 2, product 2, /products 1; step 2 basket 3, product 1,
  // purchase 1; step 3 purchase 2, (journey ended) 3. Through home go u3 (home → basket → ended) and
  // u5 (home → product → ended): 4 links lit, the other 4 dimmed; 4 nodes lit.
  it('highlights the paths through a hovered node or link, and anchors from the keyboard', async () => {
    await page.evaluate((h) => { location.hash = h; }, CLEAN);
    await eventually(() => text(page, '#variants-table caption'), '4 distinct paths', { message: 'cleaned' });
    const lit = () => page.$$eval('#sankey .link.lit title', (ts) => ts.map((t) => t.textContent.replace(/:.*$/, '')));
    await page.hover('#sankey .node:has(title:text-matches("^Step 1: home"))');
    await eventually(lit, ['home → basket', 'home → product', 'basket → (journey ended)', 'product → (journey ended)'],
      { message: 'lit through home' });
    // The 8 drawn links are dimmed as a group, with copies of the 4 lit ones above them.
    assert.equal(await page.$$eval('#sankey > .links.dim > .link', (ls) => ls.length), 8);
    assert.equal(await page.$$eval('#sankey > .hl > .link.lit', (ls) => ls.length), 4);
    assert.equal(await page.$$eval('#sankey .node.lit', (ns) => ns.length), 4);
    // Through the link product → basket: u1 and u2, product → basket → purchase.
    // (Dispatched: a ribbon's middle may lie under another ribbon.)
    await page.dispatchEvent('#sankey .link:has(title:text-matches("^product → basket"))', 'mouseenter');
    await eventually(lit, ['product → basket', 'basket → purchase'], { message: 'lit through a link' });
    await page.mouse.move(0, 0);
    await eventually(() => page.$$eval('#sankey .dim, #sankey .lit', (e) => e.length), 0, { message: 'nothing dimmed or lit' });
    // Keyboard: a node takes the focus (and highlights), Enter starts the paths there.
    await page.focus('#sankey .node:has(title:text-matches("^Step 1: product"))');
    // The focused node's lit copy above it carries its outline.
    await eventually(() => page.$$eval('#sankey > .hl > .node.current title', (ts) => ts.map((t) => t.textContent.replace(/ —.*$/, ''))),
      ['Step 1: product'], { message: 'focused node outlined' });
    await page.keyboard.press('Enter');
    await eventually(() => variants(page), [
      ['product → basket → purchase', '2', '40.0%'],
      ['product', '1', '20.0%'],
    ], { message: 'from product by keyboard' });
    assert.ok((await hash(page)).includes('from=product'));
    // The anchor is set on the view as it is now (this page showed other views before), not on
    // the one the Sankey was first drawn with: the cleaning rules and steps are kept.
    for (const kept of ['steps=3', 'rewrite=', 'merge=', 'by=event']) assert.ok((await hash(page)).includes(kept), kept);
    assertNoProblems(problems);
  });

  // The directly-follows graph of the cleaned paths. Values by rows: product 4 (/product/1, /2, /7, /3),
  // basket 3 (cart 2 + checkout 1), purchase 3, home 2, /products 1. Edges (collapsed): product → basket 2
  // (u1, u2), basket → purchase 2, then 1 each by source: home → product (u5), home → basket (u3),
  // /products → purchase (u4).
  it('draws the transition graph', async () => {
    await page.evaluate((h) => { location.hash = h; }, CLEAN);
    await eventually(() => page.$$eval('#transition-graph .dfg-edge title', (ts) => ts.map((t) => t.textContent.replace(/:.*$/, ''))), [
      'product → basket', 'basket → purchase', 'home → product', 'home → basket', '/products → purchase',
    ], { message: 'graph edges' });
    assert.deepEqual(await page.$$eval('#transition-graph .count', (ts) => ts.map((t) => t.textContent)), ['2', '2', '1', '1', '1']);
    const dots = await page.$$eval('#transition-graph .dfg-node', (gs) => gs.map((g) =>
      [g.querySelector('text').textContent, Number(g.querySelector('circle').getAttribute('cy'))]));
    assert.deepEqual(dots.map((d) => d[0]), ['product', 'basket', 'purchase', 'home', '/products']);
    assert.ok(dots.every((d) => d[1] >= dots[0][1]), `the most frequent value is at the top: ${JSON.stringify(dots)}`);
    // The heaviest edges are the widest.
    const widths = await page.$$eval('#transition-graph .edge', (es) => es.map((e) => Number(e.getAttribute('stroke-width'))));
    assert.deepEqual(widths, [6, 6, 3.5, 3.5, 3.5]);
    await screenshot(page, 'paths-graph');
    assertNoProblems(problems);
  });
});
