// The attribution view: every model side by side on an aggregated path table and on event-level
// data, worked out by hand; its controls and URL keys, share links, exports and error messages.
//
// The table shows each credit rounded to 2 decimals (".00" left out, thousands separated) and its
// share of the total to 1 decimal; the total row is the sum of each model's column.
//
// ── P: tests/fixtures/e2e/attribution-paths.csv (a ChannelAttribution path table) ──────────────
//   line 2  email > social > search   1 conv, value 60, 1 null
//   line 3  email>email>social        1 conv, value 30          (no spaces; a repeated channel)
//   line 4  search                    3 conv, value 0           (single touch, zero value)
//   line 5  social > search           0 conv,            5 null (no conversion)
//   line 6  email>social>search       1 conv, value 40          (line 2's path again: summed)
// Journeys (A = email, B = social, C = search):
//   J1 A > B > C  2 conv, value 100, 1 null;  J2 A > A > B  1 conv, 30;  J3 C  3 conv, 0;
//   J4 B > C  5 null.  Totals: 6 conversions worth 130 over 3 converting paths, 6 nulls.
// Rule models, conversions (value):
//   first     J1 → A, J2 → A, J3 → C:            A 3 (130), B 0 (0), C 3 (0)
//   last      J1 → C, J2 → B, J3 → C:            A 0 (0), B 1 (30), C 5 (100)
//   linear    J1 thirds: 2/3 each (100/3); J2 thirds, A twice: A 2/3 (20), B 1/3 (10); J3 C 3:
//             A 4/3 (160/3), B 1 (130/3), C 11/3 (100/3)
//   position 40/40  J1 .4/.2/.4 → .8/.4/.8 (40/20/40); J2 A .4 + .2, B .4 → .6/.4 (18/12); J3 C 3:
//             A 1.4 (58), B .8 (32), C 3.8 (40)
//   position 30/50  J1 .3/.2/.5 → .6/.4/1 (30/20/50); J2 A .3 + .2, B .5 → .5/.5 (15/15); J3 C 3:
//             A 1.1 (45), B .9 (35), C 4 (50)
//   time decay (no times: by position) weights 1/4, 1/2, 1 → 1/7, 2/7, 4/7:
//             J1 A 2/7, B 4/7, C 8/7 (100/7, 200/7, 400/7); J2 A 3/7, B 4/7 (90/7, 120/7); J3 C 3:
//             A 5/7 (190/7), B 8/7 (320/7), C 29/7 (400/7)
// Channels by linear credit: search (11/3), email (4/3), social (1).
// Markov order 1 (J2 collapses to A > B). Edge weights = conversions + nulls:
//   start→A 4, start→B 5, start→C 3 (of 12); A→B 4 (of 4); B→C 8, B→conv 1 (of 9);
//   C→conv 5, C→null 6 (of 11).  x_C = 5/11, x_B = 8/9·5/11 + 1/9 = 17/33 = x_A,
//   x_start = 4/12·17/33 + 5/12·17/33 + 3/12·5/11 = 1/2.
//   Without A: 5/12·17/33 + 3/12·5/11 = 65/198 → RE 34/99; without B: 3/12·5/11 → RE 17/22;
//   without C: x_B = 1/9 → 9/12·1/9 = 1/12 → RE 5/6.  ΣRE = (68 + 153 + 165)/198;
//   credits 6·(68, 153, 165)/386 = 1.0570, 2.3782, 2.5648.
//   Value chain (r_B = 30/9, r_C = 100/11): y_start = 65/6; without A 8350/1188 → VRE 452/1287;
//   without B 25/11 → 113/143 = 1017/1287; without C 5/2 → 10/13 = 990/1287. Σ 2459/1287;
//   value credits 130·(452, 1017, 990)/2459 = 23.8959, 53.7658, 52.3383.
//   Transitions (rows start, search, email, social; cols search, email, social, conv, null):
//   start 3/12 4/12 5/12 · ·; search · · · 5/11 6/11; email · · 1 · ·; social 8/9 · · 1/9 ·
// Markov order 2: states (A), (A B), (B C), (C), (B) = 5. start→(A) 4, →(C) 3, →(B) 5 (of 12);
//   (A)→(A B) 4; (A B)→(B C) 3, →conv 1 (of 4); (B C)→conv 2, →null 6 (of 8); (C)→conv 3;
//   (B)→(B C) 5.  x_(B C) = 1/4, x_(A B) = 3/4·1/4 + 1/4 = 7/16 = x_(A), x_(B) = 1/4, x_(C) = 1;
//   x_start = 4/12·7/16 + 3/12 + 5/12·1/4 = 1/2.
//   Without A: 3/12 + 5/12·1/4 = 17/48 → RE 7/24; without B: 3/12 → RE 1/2;
//   without C: x_(A B) = 1/4 → 4/12·1/4 = 1/12 → RE 5/6.  Σ = 39/24:
//   credits 6·(7, 12, 20)/39 = A 14/13 = 1.0769, B 24/13 = 1.8462, C 40/13 = 3.0769.
//   Value: r_(A B) = 30/4, r_(B C) = 100/8: y_(B C) = 12.5, y_(A B) = y_(A) = 16.875, y_(B) = 12.5,
//   y_(C) = 0 → y_start = 4/12·16.875 + 5/12·12.5 = 65/6. Without A: 5/12·12.5 → VRE 27/52;
//   without B: 0 → 1 = 52/52; without C: y_(A) = 7.5 → 2.5 → VRE 10/13 = 40/52. Σ 119/52:
//   value credits 130·(27, 52, 40)/119 = A 29.4958, B 56.8067, C 43.6975.
// Shapley (observed sets): v(ABC) = 2/3, v(AB) = 1, v(C) = 1, v(BC) = 0, others 0.
//   S = ABC: φ_A = 1/6·(v(AB) − v(B)) + 1/6·(v(AC) − v(C)) + 1/3·(v(ABC) − v(BC)) = 2/9 = φ_B = φ_C
//   → thirds of 2 conv (100); S = AB: halves of 1 (30); S = C: all of 3 (0).
//   A 7/6 (48.33), B 7/6 (48.33), C 11/3 (33.33).
//
// ── E: tests/fixtures/e2e/attribution-events.csv (13 events, 4 customers, UTC) ────────────────
//   c1: 05-01 visit email, 05-03 visit search, 05-04 purchase direct 100,
//       05-10 visit social, 05-12 purchase direct 50                     → two purchases, two journeys
//   c2: 05-02 visit search, 05-03 visit search, 05-05 visit email        → no purchase
//   c3: 04-01 visit display, 05-20 purchase (empty channel: no touch) 80
//   c4: 05-06 visit social, 05-07 subscribe email (revenue 20), 05-08 visit search
//   (written customer by customer, so 3 rows go back in time: c2's, c3's and c4's first)
// Journeys with conversion = purchase (the default: the data has `purchase`), repeats collapsed:
//   E1 email > search > direct  conv, 100 (ages 3 d, 1 d, 0)
//   E2 social > direct          conv, 50  (ages 2 d, 0)
//   E3 search > email           no conversion (c2; search twice → once)
//   E4 display                  conv, 80  (age 49 d)
//   E5 social > email > search  no conversion (c4: subscribe is not a purchase)
//   Totals: 3 conversions worth 230 over 3 converting journeys, 2 journeys without a conversion.
// Rule models, conversions (value):
//   first   email 1 (100), social 1 (50), display 1 (80)
//   last    direct 2 (150), display 1 (80)
//   linear  email 1/3 (33.33), search 1/3 (33.33), direct 1/3 + 1/2 = 5/6 (33.33 + 25 = 58.33),
//           social 1/2 (25), display 1 (80)
//   position 40/40 (E2 has two touches: 40:40 → halves): email .4 (40), search .2 (20),
//           direct .4 + .5 = .9 (40 + 25 = 65), social .5 (25), display 1 (80)
//   time decay, half-life 7 d: weight 2^(−age/7d). E1: 2^(−3/7) = .742997, 2^(−1/7) = .905724, 1
//           (sum 2.648721) → email .280512, search .341948, direct .377541; E2: 2^(−2/7) = .820335, 1
//           (sum 1.820335) → social .450651, direct .549349; E4: display 1.
//           email .2805 (28.05), search .3419 (34.19), direct .9269 (37.754 + 27.467 = 65.22),
//           social .4507 (22.53), display 1 (80)
//   half-life 1 d: E1 1/8, 1/2, 1 → 1/13, 4/13, 8/13; E2 1/4, 1 → 1/5, 4/5:
//           email 1/13 = .0769, search 4/13 = .3077, direct 8/13 + 4/5 = 1.4154, social .2, display 1
// Channels by linear credit: display 1, direct 5/6, social 1/2, then email and search (1/3 each,
//   3 journeys touch each: by name).
// Markov order 1 (e email, s search, d direct, o social, y display). Weights:
//   start→e 1, →o 2, →s 1, →y 1 (of 5); e→s 2, e→null 1 (of 3); s→d 1, s→e 1, s→null 1 (of 3);
//   d→conv 2; o→d 1, o→e 1 (of 2); y→conv 1.
//   x_d = x_y = 1; x_e = 2/3·x_s, x_s = 1/3 + 1/3·x_e → x_s = 3/7, x_e = 2/7; x_o = 1/2 + 1/7 = 9/14;
//   x_start = (2/7 + 2·9/14 + 3/7 + 1)/5 = 3/5.
//   Without e: x_s = 1/3, x_o = 1/2 → (1 + 1/3 + 1)/5 = 7/15 → RE 2/9;  without s: x_e = 0 →
//   (1 + 1)/5 → RE 1/3;  without d: x_s = x_e = x_o = 0 → 1/5 → RE 2/3;  without o:
//   (2/7 + 3/7 + 1)/5 = 12/35 → RE 3/7;  without y: 2/5 → RE 1/3.
//   ΣRE = (14 + 21 + 42 + 27 + 21)/63 = 125/63 → credits 3·63·RE/125: e 42/125 = .336,
//   s 63/125 = .504, d 126/125 = 1.008, o 81/125 = .648, y 63/125 = .504.
//   Value chain (r_d = 150/2 = 75, r_y = 80): y_s = 225/7, y_e = 150/7, y_o = 675/14, y_start = 46.
//   Without e: (75 + 25 + 80)/5 = 36 → VRE 5/23;  without s: (75 + 80)/5 = 31 → 15/46;
//   without d: 80/5 = 16 → 15/23;  without o: (150/7 + 225/7 + 80)/5 = 187/7 → 135/322;
//   without y: 30 → 8/23.  In 322nds: 70, 105, 210, 135, 112 (Σ 632) → value credits 230·x/632:
//   e 25.4747, s 38.2120, d 76.4241, o 49.1297, y 40.7595.
// Shapley: v({e,s,d}) = v({o,d}) = v({y}) = 1, v({s,e}) = v({o,e,s}) = 0, other sets 0: in each
//   converting set only the whole set converts, so its members share equally — here = linear.
// Lookback 7d: E4's only touch is 49 days old → 1 conversion (worth 80) unattributed; the rest
//   keep their touches (E1 spans 3 d, E2 2 d, E3 3 d, E5 2 d): 2 conversions worth 150.
// exclude_conv=1: the purchase's own touch (direct) leaves: E1 email > search, E2 social;
//   first email 1, social 1, display 1; last search 1, social 1, display 1;
//   linear email .5, search .5, social 1, display 1; direct is gone.
// conv_by=revenue (revenue > 0): c4's subscribe (20) converts too: social > email converts (20)
//   and search after it is a journey without a conversion. 4 conversions worth 250 over 4
//   converting journeys, 2 without (c2, c4's search). first email 1, social 2, display 1;
//   last direct 2, display 1, email 1; linear email 1/3 + 1/2, search 1/3, direct 5/6,
//   social 1/2 + 1/2, display 1.
// Journeys CSV (conversion = purchase): every path once, weight 1 each → sorted by path.
//
// ── Other fixtures ───────────────────────────────────────────────────────────────────────────
//   attribution-21-channels.csv  ch01 … ch21, one row each: 1 conv, value 10, 1 null → 21 channels,
//                                more than Shapley's 20: a note, and six models.
//   attribution-badrow.csv       line 3 "search,lots,…" and line 5 "social > email,1,-5,0" are not
//                                numbers ≥ 0 → skipped; left: email > search 2 conv (50) 1 null,
//                                email 1 conv (10) → 3 conversions worth 60 over 2 paths, 1 null.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  assertNoProblems, eventually, fixture, fixtureBytes, fragment, launch, newPage, screenshot, serve, text,
  TIMEOUT, waitForData, waitForLoadError,
} from './helpers.mjs';

const PREFIX = '/app/';
const DATA = '../data/attribution-paths.csv'; // relative to /app/ → /data/attribution-paths.csv
const MODELS = ['first', 'last', 'linear', 'position', 'time_decay', 'markov', 'shapley'];
const PT_CAPTION = '6 conversions worth 130 over 3 converting paths, and 6 journeys without a conversion.'
  + ' No touch times: time decay halves per touch before the conversion.';
const EV_CAPTION = '3 conversions worth 230 over 3 converting journeys, and 2 journeys without a conversion.';
const KEPT = 'The data loaded before is still in use.';
const MIXED = 'a path table (aggregated journeys) cannot be merged with event-level files: open it on its own,'
  + ' or remove the other files first';

// Path table P, conversions (of 6). Columns: first, last, linear, position, time decay, Markov, Shapley.
const P_CONV = [
  ['search', '3 50.0%', '5 83.3%', '3.67 61.1%', '3.80 63.3%', '4.14 69.0%', '2.56 42.7%', '3.67 61.1%'],
  ['email', '3 50.0%', '0 0.0%', '1.33 22.2%', '1.40 23.3%', '0.71 11.9%', '1.06 17.6%', '1.17 19.4%'],
  ['social', '0 0.0%', '1 16.7%', '1 16.7%', '0.80 13.3%', '1.14 19.0%', '2.38 39.6%', '1.17 19.4%'],
];
// P, value (of 130): linear 160/3 = 41.0%, 130/3 = 33.3%, 100/3 = 25.6%; position 58, 32, 40 =
// 44.6%, 24.6%, 30.8%; time decay 400/7 = 44.0%, 190/7 = 20.9%, 320/7 = 35.2%; Markov 990/2459 =
// 40.3%, 452/2459 = 18.4%, 1017/2459 = 41.4%; Shapley 100/3 = 25.6%, 145/3 = 37.2% twice.
const P_VALUE = [
  ['search', '0 0.0%', '100 76.9%', '33.33 25.6%', '40 30.8%', '57.14 44.0%', '52.34 40.3%', '33.33 25.6%'],
  ['email', '130 100.0%', '0 0.0%', '53.33 41.0%', '58 44.6%', '27.14 20.9%', '23.90 18.4%', '48.33 37.2%'],
  ['social', '0 0.0%', '30 23.1%', '43.33 33.3%', '32 24.6%', '45.71 35.2%', '53.77 41.4%', '48.33 37.2%'],
];
// P with position 30/50 and Markov order 2, value: position 50, 45, 35 = 38.5%, 34.6%, 26.9%;
// Markov 5200/119 = 33.6%, 3510/119 = 22.7%, 6760/119 = 43.7%.
const P_VALUE_30_50_M2 = P_VALUE.map((row, i) => {
  const r = [...row];
  r[4] = ['50 38.5%', '45 34.6%', '35 26.9%'][i];
  r[6] = ['43.70 33.6%', '29.50 22.7%', '56.81 43.7%'][i];
  return r;
});
// ... and conversions: position 4, 1.1, .9 = 66.7%, 18.3%, 15.0%; Markov 40/13, 14/13, 24/13 =
// 51.3%, 17.9%, 30.8%.
const P_CONV_30_50_M2 = P_CONV.map((row, i) => {
  const r = [...row];
  r[4] = ['4 66.7%', '1.10 18.3%', '0.90 15.0%'][i];
  r[6] = ['3.08 51.3%', '1.08 17.9%', '1.85 30.8%'][i];
  return r;
});

// Event data E, conversions (of 3).
const E_CONV = [
  ['display', '1 33.3%', '1 33.3%', '1 33.3%', '1 33.3%', '1 33.3%', '0.50 16.8%', '1 33.3%'],
  ['direct', '0 0.0%', '2 66.7%', '0.83 27.8%', '0.90 30.0%', '0.93 30.9%', '1.01 33.6%', '0.83 27.8%'],
  ['social', '1 33.3%', '0 0.0%', '0.50 16.7%', '0.50 16.7%', '0.45 15.0%', '0.65 21.6%', '0.50 16.7%'],
  ['email', '1 33.3%', '0 0.0%', '0.33 11.1%', '0.40 13.3%', '0.28 9.4%', '0.34 11.2%', '0.33 11.1%'],
  ['search', '0 0.0%', '0 0.0%', '0.33 11.1%', '0.20 6.7%', '0.34 11.4%', '0.50 16.8%', '0.33 11.1%'],
];
// E, value (of 230): 80 = 34.8%, 150 = 65.2%, 175/3 = 25.4%, 65 = 28.3%, 65.22 = 28.4%, 50 = 21.7%,
// 25 = 10.9%, 22.53 = 9.8%, 100 = 43.5%, 100/3 = 14.5%, 40 = 17.4%, 28.05 = 12.2%, 20 = 8.7%,
// 34.19 = 14.9%; Markov 112/632 = 17.7%, 210/632 = 33.2%, 135/632 = 21.4%, 70/632 = 11.1%,
// 105/632 = 16.6%.
const E_VALUE = [
  ['display', '80 34.8%', '80 34.8%', '80 34.8%', '80 34.8%', '80 34.8%', '40.76 17.7%', '80 34.8%'],
  ['direct', '0 0.0%', '150 65.2%', '58.33 25.4%', '65 28.3%', '65.22 28.4%', '76.42 33.2%', '58.33 25.4%'],
  ['social', '50 21.7%', '0 0.0%', '25 10.9%', '25 10.9%', '22.53 9.8%', '49.13 21.4%', '25 10.9%'],
  ['email', '100 43.5%', '0 0.0%', '33.33 14.5%', '40 17.4%', '28.05 12.2%', '25.47 11.1%', '33.33 14.5%'],
  ['search', '0 0.0%', '0 0.0%', '33.33 14.5%', '20 8.7%', '34.19 14.9%', '38.21 16.6%', '33.33 14.5%'],
];

/** The credit table: model keys and labels, rows [channel, ...cells in MODELS order], totals. */
function readTable(page) {
  return page.evaluate((models) => {
    const t = document.querySelector('#attribution-table');
    if (!t) return null;
    const heads = [...t.querySelectorAll('thead th[data-model]')];
    return {
      models: heads.map((th) => th.dataset.model),
      labels: heads.map((th) => th.textContent),
      rows: [...t.querySelectorAll('tbody tr')].map((tr) => [
        tr.querySelector('td').textContent,
        ...models.map((m) => tr.querySelector(`td[data-model="${m}"]`)?.textContent ?? null),
      ]),
      totals: [...t.querySelectorAll('tfoot th.num')].map((th) => th.textContent),
    };
  }, MODELS);
}

/** Waits until the credit table's rows are `rows` (and the caption, when given). */
async function expectCredits(page, rows, { caption, message = 'attribution table' } = {}) {
  await eventually(async () => (await readTable(page))?.rows, rows, { message });
  if (caption !== undefined) assert.equal(await text(page, '#attribution-caption'), caption, `${message}: caption`);
  return readTable(page);
}

/** Rows keyed by channel, only the given models' amounts (the share left out). */
async function amounts(page, models) {
  const t = await readTable(page);
  if (!t) return null;
  return Object.fromEntries(t.rows.map(([ch, ...cells]) => [ch,
    models.map((m) => cells[MODELS.indexOf(m)]?.split(' ')[0] ?? null)]));
}

/** Clicks `selector` and returns the download's file name and text. */
async function download(page, selector) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.click(selector)]);
  return { name: dl.suggestedFilename(), path: await dl.path(), text: await readFile(await dl.path(), 'utf8') };
}

/** Types into an input and commits it with Enter (the app listens to `change`). */
async function commit(page, selector, value) {
  // Type only once the previous change is computed: a result arriving mid-typing re-renders the
  // controls (on a busy machine the fill could otherwise land on the old input).
  await page.waitForSelector('#computing', { state: 'detached', timeout: 15_000 });
  await page.fill(selector, value);
  await page.press(selector, 'Enter');
}

describe('attribution view', () => {
  let browser, server;
  let p; // the page holding the path table P (tests 1–4 and the mixed-load test)
  let e; // the page holding the event data E

  before(async () => {
    browser = await launch();
    server = await serve({
      prefix: PREFIX,
      extra: { '/data/attribution-paths.csv': ['text/csv; charset=utf-8', await fixtureBytes('attribution-paths.csv')] },
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens a path table straight on the Attribution view with every model worked by hand', async () => {
    p = await newPage(browser);
    const { page } = p;
    await page.goto(server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    await page.setInputFiles('#file-input', fixture('attribution-paths.csv'));
    await waitForData(page, { name: 'attribution-paths.csv' });
    await eventually(() => page.evaluate(() => ['funnel', 'paths', 'attribution'].map((k) => {
      const b = document.querySelector(`#tab-${k}`);
      return b && [k, b.disabled, b.getAttribute('aria-pressed')];
    })), [['funnel', true, 'false'], ['paths', true, 'false'], ['attribution', false, 'true']],
    { message: 'Funnel and Paths disabled, Attribution shown' });
    assert.ok(await page.locator('#attribution-builder').isVisible());
    // A path table has no events: no conversion, lookback, half-life, exclusion or collapse to set.
    for (const id of ['#attr-by', '#attr-conv', '#attr-lookback', '#attr-half-life', '#attr-exclude', '#attr-collapse']) {
      assert.equal(await page.locator(id).count(), 0, `${id} is not offered for a path table`);
    }
    assert.equal(await page.inputValue('#attr-first'), '40');
    assert.equal(await page.inputValue('#attr-last'), '40');
    assert.equal(await page.inputValue('#attr-order'), '1');
    assert.equal(await page.inputValue('#attr-metric'), 'conversions');

    const t = await expectCredits(page, P_CONV, { caption: PT_CAPTION, message: 'P conversions' });
    assert.deepEqual(t.models, MODELS);
    assert.deepEqual(t.labels, ['First touch', 'Last touch', 'Linear', 'Position-based 40/40',
      'Time decay (by position)', 'Markov order 1', 'Shapley']);
    assert.deepEqual(t.totals, Array(7).fill('6'), 'every model credits the 6 conversions');
    assert.equal(await page.locator('#attribution-note').count(), 0, 'no model is left out');
    assert.equal(await fragment(page), 'view=attribution&by=channel');

    // Grouped bars: one group per channel, one bar per model.
    const groups = await page.$$eval('#attribution-chart g.group', (gs) => gs.map((g) => [
      g.querySelector('text').textContent, g.querySelectorAll('rect').length]));
    assert.deepEqual(groups, [['search', 7], ['email', 7], ['social', 7]]);
    const bar = await page.$$eval('#attribution-chart g.group rect title', (ts) => ts.map((x) => x.textContent));
    assert.equal(bar[0], 'search — First touch: 3');
    assert.equal(bar[7 + 5], 'email — Markov order 1: 1.06');

    // The Markov chain behind it.
    assert.equal((await text(page, '#markov-details summary')).trim(),
      'Markov chain (order 1): 3 states, P(conversion) = 0.5000');
    const re = await page.$$eval('#removal-effects tbody tr', (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent)));
    // RE 5/6, 34/99, 17/22; value RE 10/13, 452/1287, 113/143.
    assert.deepEqual(re, [['search', '0.8333', '0.7692'], ['email', '0.3434', '0.3512'], ['social', '0.7727', '0.7902']]);
    const tm = await page.$$eval('#markov-transitions tr', (trs) => trs.map((tr) =>
      [...tr.children].map((c) => c.textContent)));
    assert.deepEqual(tm, [
      ['From \\ to', 'search', 'email', 'social', '(conversion)', '(null)'],
      ['(start)', '0.250', '0.333', '0.417', '', ''],
      ['search', '', '', '', '0.455', '0.545'],
      ['email', '', '', '1.000', '', ''],
      ['social', '0.889', '', '', '0.111', ''],
    ]);

    // Credit = conversion value: the same models in value.
    await page.selectOption('#attr-metric', 'value');
    const v = await expectCredits(page, P_VALUE, { caption: PT_CAPTION, message: 'P value' });
    assert.deepEqual(v.totals, Array(7).fill('130'), 'every model credits the value of 130');
    assert.equal(await fragment(page), 'view=attribution&by=channel&metric=value');
    await page.selectOption('#attr-metric', 'conversions');
    await expectCredits(page, P_CONV, { message: 'back to conversions' });
    assert.equal(await fragment(page), 'view=attribution&by=channel');
    await screenshot(page, 'attribution-paths');
    assertNoProblems(p.problems, 'the path-table page');
  });

  it('exports the credits as CSV and JSON and the chart as SVG and PNG', async () => {
    const { page } = p;
    const csv = await download(page, '#download-attribution-csv');
    assert.equal(csv.name, 'touchpath-attribution.csv');
    const lines = csv.text.split('\n');
    assert.equal(lines[0], 'channel,model,conversions,conversion_share,value,value_share');
    assert.equal(lines.length, 1 + 7 * 3 + 1, 'one row per model and channel, and a final newline');
    assert.equal(lines.at(-1), '');
    // Models in order, channels in the table's order within each.
    assert.deepEqual(lines.slice(1, -1).map((l) => l.split(',').slice(0, 2).join(' ')),
      MODELS.flatMap((m) => ['search', 'email', 'social'].map((c) => `${c} ${m}`)));
    for (const row of [
      'search,first,3.000000,0.500000,0.000000,0.000000',
      'email,first,3.000000,0.500000,130.000000,1.000000',
      'social,first,0.000000,0.000000,0.000000,0.000000',
      // 11/3, 11/18; 100/3, 100/390
      'search,linear,3.666667,0.611111,33.333333,0.256410',
      // 1.4 of 6; 58 of 130
      'email,position,1.400000,0.233333,58.000000,0.446154',
      // 8/7, 8/42; 320/7, 320/910
      'social,time_decay,1.142857,0.190476,45.714286,0.351648',
      // 6·68/386 = 204/193, 34/193; 130·452/2459 = 58760/2459, 452/2459
      'email,markov,1.056995,0.176166,23.895893,0.183815',
      // 7/6, 7/36; 145/3, 145/390
      'social,shapley,1.166667,0.194444,48.333333,0.371795',
    ]) assert.ok(lines.includes(row), `CSV has ${row}\n${csv.text}`);

    const json = await download(page, '#download-attribution-json');
    assert.equal(json.name, 'touchpath-attribution.json');
    const doc = JSON.parse(json.text);
    assert.equal(doc.schema, 'touchpath.attribution.v1');
    assert.ok(doc.query && typeof doc.query === 'object', 'query present');
    assert.deepEqual(doc.query.position, [40, 40]);
    assert.equal(doc.query.markov_order, 1);
    const r = doc.result;
    assert.ok(r && typeof r === 'object', 'result present');
    assert.equal(r.conversions, 6);
    assert.equal(r.value, 130);
    assert.equal(r.nulls, 6);
    assert.equal(r.converting_journeys, 3);
    assert.equal(r.journeys, 4);
    assert.equal(r.has_times, false);
    assert.deepEqual(r.channels, ['search', 'email', 'social']);
    assert.deepEqual(r.models.map((m) => m.key), MODELS);
    for (const m of r.models) {
      const sum = (xs) => xs.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum(m.conversions) - 6) < 1e-9, `${m.key}: conversions sum to 6`);
      assert.ok(Math.abs(sum(m.value) - 130) < 1e-9, `${m.key}: value sums to 130`);
    }
    const markov = r.models.find((m) => m.key === 'markov');
    [990 / 386, 408 / 386, 918 / 386].forEach((want, i) =>
      assert.ok(Math.abs(markov.conversions[i] - want) < 1e-9, `Markov credit of ${r.channels[i]}`));
    assert.equal(r.markov.order, 1);
    assert.equal(r.markov.states, 3);
    assert.ok(Math.abs(r.markov.conversion_probability - 0.5) < 1e-12);

    const svg = await download(page, '#export-attribution-chart-svg');
    assert.equal(svg.name, 'touchpath-attribution.svg');
    assert.ok(/^(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg.text), svg.text.slice(0, 200));
    assert.ok(svg.text.includes('xmlns="http://www.w3.org/2000/svg"'));
    assert.equal((svg.text.match(/<rect /g) || []).length, 3 * 7 + 7, 'the 21 bars and 7 legend keys');
    const png = await download(page, '#export-attribution-chart-png');
    assert.equal(png.name, 'touchpath-attribution.png');
    const bytes = await readFile(png.path);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assertNoProblems(p.problems, 'the path-table page');
  });

  it('follows its controls in the URL and the numbers', async () => {
    const { page } = p;
    await commit(page, '#attr-first', '30');
    await eventually(() => fragment(page), 'view=attribution&by=channel&position=30,40', { message: 'first 30' });
    await commit(page, '#attr-last', '50');
    await eventually(() => fragment(page), 'view=attribution&by=channel&position=30,50', { message: 'last 50' });
    await page.selectOption('#attr-order', '2');
    await eventually(() => fragment(page), 'view=attribution&by=channel&position=30,50&markov=2', { message: 'order 2' });
    const t = await expectCredits(page, P_CONV_30_50_M2, { caption: PT_CAPTION, message: 'P 30/50, order 2' });
    assert.equal(t.labels[3], 'Position-based 30/50');
    assert.equal(t.labels[5], 'Markov order 2');
    assert.deepEqual(t.totals, Array(7).fill('6'));
    assert.equal((await text(page, '#markov-details summary')).trim(),
      'Markov chain (order 2): 5 states, P(conversion) = 0.5000');
    // RE 5/6, 7/24, 1/2; value RE 10/13, 27/52, 1.
    assert.deepEqual(await page.$$eval('#removal-effects tbody tr', (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent))),
    [['search', '0.8333', '0.7692'], ['email', '0.2917', '0.5192'], ['social', '0.5000', '1.0000']]);
    assert.equal(await page.locator('#markov-transitions').count(), 0, 'no transition matrix above order 1');
    await page.selectOption('#attr-metric', 'value');
    await eventually(() => fragment(page), 'view=attribution&by=channel&position=30,50&markov=2&metric=value',
      { message: 'metric value' });
    const v = await expectCredits(page, P_VALUE_30_50_M2, { message: 'P value 30/50, order 2' });
    assert.deepEqual(v.totals, Array(7).fill('130'));
    assertNoProblems(p.problems, 'the path-table page');
  });

  it('restores the same view and numbers from a share link with data=', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(`${server.url}#view=attribution&data=${DATA}&by=channel&position=30,50&markov=2&metric=value`);
    await waitForData(page, { name: DATA });
    const t = await expectCredits(page, P_VALUE_30_50_M2, { caption: PT_CAPTION, message: 'restored from the link' });
    assert.deepEqual(t.labels, ['First touch', 'Last touch', 'Linear', 'Position-based 30/50',
      'Time decay (by position)', 'Markov order 2', 'Shapley']);
    assert.deepEqual(t, await readTable(p.page), 'the same table as on the page the link was made on');
    assert.equal(await page.inputValue('#attr-first'), '30');
    assert.equal(await page.inputValue('#attr-last'), '50');
    assert.equal(await page.inputValue('#attr-order'), '2');
    assert.equal(await page.inputValue('#attr-metric'), 'value');
    assert.equal(await page.getAttribute('#tab-attribution', 'aria-pressed'), 'true');
    assert.equal(await fragment(page), `view=attribution&data=${DATA}&by=channel&position=30,50&markov=2&metric=value`);
    // A hand edit back to the defaults.
    await page.evaluate((d) => { location.hash = `view=attribution&data=${d}&by=channel`; }, DATA);
    await expectCredits(page, P_CONV, { caption: PT_CAPTION, message: 'after a hand edit to the defaults' });
    assert.equal(await page.inputValue('#attr-first'), '40');
    assertNoProblems(problems, 'the share-link page');
    await context.close();
  });

  it('cuts event-level data into journeys: conversions, value, lookback, exclusion, revenue', async () => {
    e = await newPage(browser);
    const { page } = e;
    await page.goto(server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    await page.setInputFiles('#file-input', fixture('attribution-events.csv'));
    await waitForData(page, { events: '13', name: 'attribution-events.csv' });
    assert.equal(await text(page, '#sum-customers'), '4');
    // Rows are grouped by customer: c2's first row, c3's first and c4's first go back in time.
    assert.equal(await text(page, '#out-of-order'), '3 rows were earlier than the row before; rows are put in time order.');
    assert.equal(await page.getAttribute('#tab-funnel', 'aria-pressed'), 'true', 'event data opens on the funnel');
    assert.equal(await page.isDisabled('#tab-paths'), false);
    await page.click('#tab-attribution');
    const t = await expectCredits(page, E_CONV, { message: 'E conversions' });
    assert.equal(await text(page, '#attribution-caption'), EV_CAPTION);
    assert.equal(t.labels[4], 'Time decay (7d half-life)');
    assert.deepEqual(t.totals, Array(7).fill('3'));
    assert.equal(await page.inputValue('#attr-by'), 'channel');
    assert.equal(await page.inputValue('#attr-conv'), 'purchase', 'purchase is chosen by default');
    assert.equal(await page.inputValue('#attr-lookback'), '');
    assert.equal(await page.inputValue('#attr-half-life'), '7d');
    assert.equal(await page.isChecked('#attr-exclude'), false);
    assert.equal(await page.isChecked('#attr-collapse'), true);
    assert.equal(await fragment(page), 'view=attribution&by=channel');
    // Markov order 1: P(conversion) 3/5; RE e 2/9, s 1/3, d 2/3, o 3/7, y 1/3.
    assert.equal((await text(page, '#markov-details summary')).trim(),
      'Markov chain (order 1): 5 states, P(conversion) = 0.6000');
    assert.deepEqual(await page.$$eval('#removal-effects tbody tr', (trs) => trs.map((tr) =>
      [tr.children[0].textContent, tr.children[1].textContent])),
    [['display', '0.3333'], ['direct', '0.6667'], ['social', '0.4286'], ['email', '0.2222'], ['search', '0.3333']]);

    // Value.
    await page.selectOption('#attr-metric', 'value');
    const v = await expectCredits(page, E_VALUE, { caption: EV_CAPTION, message: 'E value' });
    assert.deepEqual(v.totals, Array(7).fill('230'));
    assert.equal(await fragment(page), 'view=attribution&by=channel&metric=value');
    await page.selectOption('#attr-metric', 'conversions');

    // Lookback 7d: display's purchase has no touch left; it is named in the caption.
    await commit(page, '#attr-lookback', '7d');
    await eventually(() => fragment(page), 'view=attribution&by=channel&lookback=7d', { message: 'lookback in the URL' });
    await eventually(() => text(page, '#attribution-caption'),
      '2 conversions worth 150 over 2 converting journeys, and 2 journeys without a conversion.'
      + ' 1 conversions (worth 80) had no touch to credit within the lookback and are left out.',
      { message: 'lookback caption' });
    assert.deepEqual(await amounts(page, ['first', 'last', 'linear']), {
      direct: ['0', '2', '0.83'], social: ['1', '0', '0.50'], email: ['1', '0', '0.33'], search: ['0', '0', '0.33'],
    }, 'display is gone with its only touch');
    assert.deepEqual((await readTable(page)).totals, Array(7).fill('2'));
    await commit(page, '#attr-lookback', '');
    await eventually(() => fragment(page), 'view=attribution&by=channel', { message: 'lookback cleared' });
    await expectCredits(page, E_CONV, { caption: EV_CAPTION, message: 'without lookback again' });

    // The conversion's own touch left out.
    await page.check('#attr-exclude');
    await eventually(() => fragment(page), 'view=attribution&by=channel&exclude_conv=1', { message: 'exclude_conv' });
    await eventually(() => amounts(page, ['first', 'last', 'linear']), {
      social: ['1', '1', '1'], display: ['1', '1', '1'], email: ['1', '0', '0.50'], search: ['0', '1', '0.50'],
    }, { message: 'direct (the purchases\' channel) is gone' });
    assert.equal(await text(page, '#attribution-caption'), EV_CAPTION);
    await page.uncheck('#attr-exclude');
    await expectCredits(page, E_CONV, { message: 'with the conversion touch again' });

    // Any event with revenue > 0 converts: c4's subscribe too.
    await page.selectOption('#attr-conv', '\u0001revenue');
    await eventually(() => fragment(page), 'view=attribution&by=channel&conv_by=revenue', { message: 'conv_by=revenue' });
    await eventually(() => text(page, '#attribution-caption'),
      '4 conversions worth 250 over 4 converting journeys, and 2 journeys without a conversion.',
      { message: 'revenue caption' });
    assert.deepEqual(await amounts(page, ['first', 'last', 'linear']), {
      social: ['2', '0', '1'], display: ['1', '1', '1'], email: ['1', '1', '0.83'],
      direct: ['0', '2', '0.83'], search: ['0', '0', '0.33'],
    });
    await page.selectOption('#attr-metric', 'value');
    // Value: first email 100, social 50 + 20, display 80; last direct 150, display 80, email 20.
    await eventually(() => amounts(page, ['first', 'last']), {
      social: ['70', '0'], display: ['80', '80'], email: ['100', '20'], direct: ['0', '150'], search: ['0', '0'],
    }, { message: 'revenue conversions, value' });
    assert.deepEqual((await readTable(page)).totals, Array(7).fill('250'));

    // A hand-edited link: purchases again, half-life 1 day.
    await page.evaluate(() => { location.hash = 'view=attribution&by=channel&conv=purchase&half_life=1d'; });
    await eventually(() => amounts(page, ['time_decay']), {
      display: ['1'], direct: ['1.42'], social: ['0.20'], email: ['0.08'], search: ['0.31'],
    }, { message: 'half-life 1d' });
    assert.equal(await page.inputValue('#attr-half-life'), '1d');
    // No metric= in the link: conversions again (the select's display is checked in the BUG test below).
    assert.equal(await page.getAttribute('#attribution-chart', 'aria-label'), 'Credited conversions by channel and model');
    assert.equal((await readTable(page)).labels[4], 'Time decay (1d half-life)');
    await page.evaluate(() => { location.hash = 'view=attribution&by=channel'; });
    await expectCredits(page, E_CONV, { caption: EV_CAPTION, message: 'defaults again' });
    await screenshot(page, 'attribution-events');
    assertNoProblems(e.problems, 'the event page');
  });

  it('downloads the journeys of event data as a path table', async () => {
    const { page } = e;
    const csv = await download(page, '#download-journeys');
    assert.equal(csv.name, 'touchpath-journeys.csv');
    assert.equal(csv.text, [
      'path,total_conversions,total_conversion_value,total_null',
      'display,1,80,0',
      'email > search > direct,1,100,0',
      'search > email,0,0,1',
      'social > direct,1,50,0',
      'social > email > search,0,0,1',
      '',
    ].join('\n'));
    assertNoProblems(e.problems, 'the event page');

    // Opened as a path table, the journeys give the same credits in every model but time decay
    // (without times it decays by position: E1 1/7, 2/7, 4/7 → email .14, search .29, direct .57 + E2
    // 1/3, 2/3 → social .33, direct .67: direct 1.24).
    const { page: q, problems, context } = await newPage(browser);
    await q.goto(server.url);
    await waitForData(q, { events: '20,000' });
    await q.setInputFiles('#file-input', { name: 'journeys.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.text) });
    await waitForData(q, { name: 'journeys.csv' });
    const decayByPosition = { display: '1 33.3%', direct: '1.24 41.3%', social: '0.33 11.1%', email: '0.14 4.8%', search: '0.29 9.5%' };
    await expectCredits(q, E_CONV.map((r) => [...r.slice(0, 5), decayByPosition[r[0]], ...r.slice(6)]),
      { message: 'the journeys CSV as a path table' });
    assert.equal(await text(q, '#attribution-caption'),
      '3 conversions worth 230 over 3 converting paths, and 2 journeys without a conversion.'
      + ' No touch times: time decay halves per touch before the conversion.');
    assertNoProblems(problems, 'the journeys page');
    await context.close();
  });

  it('refuses to mix a path table with event files, naming the file, and keeps the data', async () => {
    // Path table loaded, then an event file.
    await p.page.setInputFiles('#file-input', fixture('attribution-events.csv'));
    let err = await waitForLoadError(p.page);
    assert.equal(err.role, 'alert');
    assert.equal(err.message, `attribution-events.csv: ${MIXED}`);
    assert.equal(err.kept, KEPT);
    assert.equal((await text(p.page, '#data-name')).trim(), 'attribution-paths.csv');
    await expectCredits(p.page, P_VALUE_30_50_M2, { caption: PT_CAPTION, message: 'the path table stays' });
    // Event data loaded, then a path table.
    await e.page.setInputFiles('#file-input', fixture('attribution-paths.csv'));
    err = await waitForLoadError(e.page);
    assert.equal(err.message, `attribution-paths.csv: ${MIXED}`);
    assert.equal(err.kept, KEPT);
    assert.equal(await text(e.page, '#sum-events'), '13');
    await expectCredits(e.page, E_CONV, { caption: EV_CAPTION, message: 'the events stay' });
    assert.equal(await e.page.isDisabled('#tab-funnel'), false);
    assertNoProblems(p.problems, 'the path-table page');
    assertNoProblems(e.problems, 'the event page');
    await p.context.close();
    await e.context.close();
  });

  it('leaves Shapley out with a note above 20 channels', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(server.url);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('attribution-21-channels.csv'));
    await waitForData(page, { name: 'attribution-21-channels.csv' });
    await eventually(() => text(page, '#attribution-note'),
      'Shapley is computed exactly over every set of channels, which takes 2^n steps: it needs at most 20'
      + ' channels and this data has 21', { message: 'Shapley note' });
    const t = await readTable(page);
    assert.deepEqual(t.models, MODELS.slice(0, 6), 'Shapley is left out, the other six stay');
    // 21 single-touch paths, 1 conversion each: every model gives each channel 1 (4.8%).
    const names = Array.from({ length: 21 }, (_, i) => `ch${String(i + 1).padStart(2, '0')}`);
    assert.deepEqual(t.rows, names.map((n) => [n, ...Array(6).fill('1 4.8%'), null]));
    assert.deepEqual(t.totals, Array(6).fill('21'));
    assert.equal(await text(page, '#attribution-caption'),
      '21 conversions worth 210 over 21 converting paths, and 21 journeys without a conversion.'
      + ' No touch times: time decay halves per touch before the conversion.');
    assertNoProblems(problems, 'the 21-channel page');
    await context.close();
  });

  it('reports path-table rows whose numbers are bad, with their lines', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(server.url);
    await waitForData(page, { events: '20,000' });
    await page.setInputFiles('#file-input', fixture('attribution-badrow.csv'));
    await waitForData(page, { name: 'attribution-badrow.csv' });
    assert.equal(await text(page, '#sum-skipped'), '2');
    assert.deepEqual(await page.$$eval('#skipped li', (lis) => lis.map((li) => li.textContent)),
      ['2 × count or value not a number ≥ 0 — lines 3, 5 ("lots")']);
    // Left: email > search 2 conv (first email, last search, linear 1 each) and email 1 conv:
    // first email 3; last search 2, email 1; linear email 2, search 1. social only in a skipped row.
    await eventually(() => amounts(page, ['first', 'last', 'linear']), {
      email: ['3', '1', '2'], search: ['0', '2', '1'],
    }, { message: 'bad rows left out' });
    assert.equal(await text(page, '#attribution-caption'),
      '3 conversions worth 60 over 2 converting paths, and 1 journeys without a conversion.'
      + ' No touch times: time decay halves per touch before the conversion.');
    const csv = await download(page, '#download-skipped');
    assert.equal(csv.text, 'file,line,reason,detail\n'
      + 'attribution-badrow.csv,3,count or value not a number ≥ 0,lots\n'
      + 'attribution-badrow.csv,5,count or value not a number ≥ 0,-5\n');
    assertNoProblems(problems, 'the bad-row page');
    await context.close();
  });

  // The <select>s mark their option with the `selected` attribute; once the user has picked
  // options of a select, the browser ignores later changes of that attribute (the options are
  // "dirty"), so the app re-selects the marked option after each render (browser::sync_selects).
  // When the URL changes the view (a hand-edited or shared fragment, the back button) the select
  // must show the view's value, not the user's earlier choice.
  it('the Credit and Markov order selects follow the URL after the user has used them', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(`${server.url}#view=attribution&data=${DATA}&by=channel`);
    await waitForData(page, { name: DATA });
    await expectCredits(page, P_CONV, { caption: PT_CAPTION, message: 'P from the link' });
    for (const v of ['value', 'conversions', 'value']) await page.selectOption('#attr-metric', v);
    for (const v of ['2', '1', '2']) await page.selectOption('#attr-order', v);
    await eventually(() => fragment(page), `view=attribution&data=${DATA}&by=channel&markov=2&metric=value`,
      { message: 'the user\'s choices in the URL' });
    // The link edited back to the defaults: the numbers follow...
    await page.evaluate((d) => { location.hash = `view=attribution&data=${d}&by=channel`; }, DATA);
    await expectCredits(page, P_CONV, { message: 'conversions, order 1 after the edit' });
    assert.equal((await readTable(page)).labels[5], 'Markov order 1');
    // ...and so should the controls that show them.
    assert.deepEqual(
      { metric: await page.inputValue('#attr-metric'), order: await page.inputValue('#attr-order') },
      { metric: 'conversions', order: '1' },
      '#attr-metric and #attr-order show the view in the URL, not the user\'s earlier choice');
    assertNoProblems(problems, 'the select page');
    await context.close();
  });

  // A path table has no events: the Data panel counts its paths, journeys and conversions, shares
  // journeys per channel out of all journeys, shows no time range and no column mapping.
  it('the Data panel of a path table counts paths, journeys and conversions', async () => {
    const { page, problems, context } = await newPage(browser);
    await page.goto(`${server.url}#view=attribution&data=${DATA}&by=channel`);
    await waitForData(page, { name: DATA });
    await expectCredits(page, P_CONV, { message: 'P from the link' });
    // 5 rows, two of them the same path (email > social > search) summed: 4 paths; journeys
    // (conversions + nulls) 2+1 + 1 + 3 + 5 + 1 = 12 (J1 = email>social>search 2 conv 1 null);
    // conversions 1+1+3+0+1 = 6.
    assert.equal(await text(page, '#sum-paths'), '4');
    assert.equal(await text(page, '#sum-journeys'), '12');
    assert.equal(await text(page, '#sum-conversions'), '6');
    // Journeys touching each channel: search J1 3 + J3 3 + J4 5 = 11, social 3 + 1 + 5 = 9, email 3 + 1 = 4;
    // shares of the 12 journeys: 91.7, 75.0, 33.3.
    const rows = await page.$$eval('#channel-table tbody tr', (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows, [['search', '11', '91.7'], ['social', '9', '75.0'], ['email', '4', '33.3']]);
    const range = (await text(page, '#sum-range')) ?? '';
    assert.ok(!/UTC/.test(range) && /path table/.test(range), `no time range for a path table: ${JSON.stringify(range)}`);
    assert.equal(await page.locator('#columns').count(), 0, 'no column mapping for a path table');
    assertNoProblems(problems, 'the data-panel page');
    await context.close();
  });
});
