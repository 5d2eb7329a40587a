// Vendor export formats, end to end: each fixture of tests/fixtures/vendors/ opened through the
// file input, the format it is detected as, its summary, data-quality notes and channels; default
// and hand-built funnels; overriding the detected format (URL key preset=); several files at once.
//
// Every number below was counted by hand from the fixture files (rules: README "Load a file",
// "Vendor exports", "Default channel grouping"). "line N" is the file line (JSON lines: the line;
// CSV/TSV: header = line 1). Rows are read, then invalid rows skipped, then exact duplicates dropped.
//
// ga4.jsonl (JSON lines, 22 rows). Customer = user_id, else user_pseudo_id:
//   lines 1-4   1830491265.1709451000  first_visit, session_start, page_view, scroll   traffic_source (direct)/(none) → direct ×4
//   lines 5-9   1197596843.1709280000  first_visit, session_start, page_view (collected_traffic_source google/cpc),
//               view_item, add_to_cart (traffic_source google/cpc)                    → paid_search ×5
//   lines 10-12 2088861274.1709292000  session_start, page_view (event_params newsletter/email), view_item → email ×3
//   lines 13-15 u_1001 (its pseudo id is 1197596843…, but user_id comes first) login, begin_checkout, purchase
//               traffic_source google/cpc                                              → paid_search ×3
//   line 16     no user_id, no user_pseudo_id → skipped: missing customer id
//   lines 17-20 u_1002  session_start, page_view (collected instagram/social → social ×2),
//               add_to_cart, purchase (traffic_source facebook/cpc → paid_social ×2)
//   lines 21-22 2088861274.1709292000  session_start, page_view (traffic_source newsletter/email) → email ×2
//   → 21 events, 5 customers, 1 skipped; paid_search 5+3 = 8, email 3+2 = 5, direct 4, social 2, paid_social 2;
//   event_timestamp is epoch µs (zoned); no exact duplicates (lines 1/2 share a time but not the event).
//   Default steps: page_view, add_to_cart, purchase (the commerce-path events present):
//     page_view: 1830…, 1197…, 2088…, u_1002 = 4;  add_to_cart after it: 1197… (1709280001→1709280090), u_1002 = 2;
//     purchase after that: u_1002 = 1 (u_1001's purchase is another customer id) → 4, 2, 1
//     % of first 100.0, 50.0, 25.0;  % of previous 100.0, 50.0, 50.0;  drop-off 0, 2, 1
//   Read as Generic: id = the column named user_id only → lines 13-15, 17-20 used (7 events, u_1001 and
//   u_1002), the other 15 lines skipped as missing customer id (lines 1-12, 16, 21, 22); time = event_timestamp,
//   event = event_name; channel = the first column whose last segment is "source": traffic_source.source
//   (column 21, before event_params[key=source], first seen on line 5) → google ×3 (13-15), facebook ×4 (17-20).
//
// segment.json (a JSON array, 13 records). Customer = userId, else anonymousId:
//   6f1c2b9e… (records 1-3), user_381 (4-6, 13), b7e4d2a1… (7-10), user_517 (11-12) → 4 customers, 13 events.
//   context.campaign: 1 google/cpc → paid_search; 7 newsletter/email → email; 9 facebook/paid_social →
//   paid_social; 13 linkedin/social → social; the 9 others have none → direct 9. All timestamps zoned.
//
// segment_warehouse.csv (11 rows, warehouse "tracks" table: event, event_text, timestamp, anonymous_id).
//   Customer = user_id, else anonymous_id: 6f1c… (lines 2-3), user_381 (4-6), b7e4… (7-9), user_517 (10),
//   e91a7c4f… (11), user_640 (12) → 6 customers. Line 6 repeats line 5 (only uuid_ts differs) → 1 exact
//   duplicate dropped → 10 events. Channels: line 2 google/cpc, line 9 bing/cpc → paid_search 2; line 7
//   newsletter/email → email; line 8 twitter/social → social; line 11 partnerstack/affiliate → affiliate;
//   lines 3, 4, 5, 10, 12 → direct 5. Timestamps "…+00" are zoned.
//
// mixpanel.jsonl (11 lines). Customer = properties.distinct_id: $device:18e0a1… (1-2), u_1001 (3-4),
//   18e0b2f4… (5-7, 11), u_2048 (8-9); line 10 has distinct_id "" → skipped (missing customer id);
//   line 7 repeats line 6 → 1 duplicate dropped → 11 - 1 - 1 = 9 events, 4 customers.
//   Channels (properties.utm_source/utm_medium): 1-4 google/cpc → paid_search 4; 5 newsletter/email → email;
//   6 (and its duplicate 7), 9 none → direct 2; 8 facebook/cpc → paid_social; 11 LinkedIn/Social → social.
//   properties.time is epoch seconds (line 4: ms) → zoned.
//
// amplitude.jsonl (10 lines). Customer = user_id, else device_id: device a1b2c3d4… (1-2), cust_7781 (3-4),
//   cust_9001 (5-7), device d8c7b6a5… (8-10) → 4 customers, 10 events. event_time "2024-03-06 10:00:00.512000"
//   has no zone on all 10 lines. Channels (event_properties.utm_*, else user_properties.utm_*, else
//   user_properties.initial_utm_*): 1-4 google/cpc → paid_search 4; 5, 7 none → direct 2; 6 braze/push → other;
//   8-9 newsletter/email → email 2; 10 facebook/paid_social → paid_social.
//
// snowplow.tsv (13 rows). Customer = user_id, else domain_userid, else network_userid:
//   5d9f1e2a… (lines 2, 3, 4, 13), 8b1c2d3e… (5), u-48151 (6-7), c3d4e5f6… (8, 9, 14), e5f60718… (10-11),
//   ecdff4d0… (line 12: network_userid only) → 6 customers, 13 events; derived_tstamp (line 12: collector_tstamp)
//   has no zone on all 13 rows. Channels (mkt_source else refr_source, mkt_medium, refr_medium):
//   2, 3 Google/—/search → organic_search 2;  4, 7 —/—/internal, 12, 13 nothing → direct 4;
//   5, 6 google/cpc → paid_search 2;  8, 9 Facebook/—/social → social 2;  10 Gmail/—/email → email;
//   11 —/—/unknown → referral;  14 awin/affiliate → affiliate.
//
// clickstream.csv (15 rows): users 562076640, 553329724, 556138645, 564506666 → 4 customers; line 8 repeats
//   line 7 → 1 duplicate dropped → 14 events: view 8 (lines 2, 3, 4, 6, 7, 11, 15, 16), cart 3 (5, 9, 12),
//   purchase 2 (13, 14), remove_from_cart 1 (10). "… UTC" is zoned. No channel column.
//   Default steps: only "purchase" is on the commerce path, so the 3 most frequent events: view, cart, purchase.
//     562076640 view 00:00:02, cart 00:24, purchase 02:51 → 3;  553329724 view, cart, no purchase → 2;
//     556138645 view 00:19, cart 01:26, purchase 03:30 → 3;  564506666 view only → 1   → 4, 3, 2
//     % of first 100.0, 75.0, 50.0;  % of previous 100.0, 75.0, 66.7;  drop-off 0, 1, 1
//
// process_mining.csv (18 rows, cases 1-4, all zoned, no duplicates, no channel column):
//   register request 4, check ticket 4, decide 3, examine thoroughly 2, examine casually 2,
//   pay compensation 2, reject request 1. Each case in time order:
//     1: register 03-01, examine thoroughly ×2, check ticket 03-02, decide 03-05, reject request 03-06
//     2: register 03-04 10:32, check ticket 12:12, examine casually 03-05, decide 03-06, pay compensation 03-07
//     3: register 03-29, examine casually 03-30, check ticket 04-02 09:05+02, decide 11:18+02, pay 04-03
//     4: register 15:02Z, check ticket 15:45Z
//   Default steps: none on the commerce path → the 3 most frequent, ties by name:
//     check ticket (4), register request (4), decide (3). Every case registers before its ticket check,
//     so nobody registers after checking: 4, 0, 0 (% 100.0, 0.0, 0.0 / 100.0, 0.0, 0.0; drop-off 0, 4, 0).
//   Built: register request, check ticket, decide, pay compensation:
//     case 1 → 3 (rejected), case 2 → 4, case 3 → 4, case 4 → 2   → 4, 4, 3, 2
//     % of first 100.0, 100.0, 75.0, 50.0;  % of previous 100.0, 100.0, 75.0, 2/3 = 66.7;  drop-off 0, 0, 1, 1
//
// Two files at once:
//   clickstream.csv + process_mining.csv: no customer id in common (9-digit user ids vs cases 1-4)
//     → 14 + 18 = 32 events, 4 + 4 = 8 customers. Neither has a channel column, so each file's source
//     label (from its name) is the channel of its rows: "process mining" 18, "clickstream" 14.
//   ga4.jsonl + mixpanel.jsonl: u_1001 is in both → 5 + 4 - 1 = 8 customers, 21 + 9 = 30 events,
//     1 + 1 = 2 skipped; channels paid_search 8+4 = 12, email 5+1 = 6, direct 4+2 = 6, paid_social 2+1 = 3,
//     social 2+1 = 3.
// Adobe Analytics data feed (tests/fixtures/vendors/adobe/, hand counts in tests/core_presets.rs):
//   hit_data.tsv has no header; column_headers.tsv names its 28 columns. 20 rows: 15 events of 6
//   visitors (post_visid_high_post_visid_low, else mcvisid); skipped: line 17 missing event (no
//   page name or URL), lines 4 and 12 excluded by Adobe (exclude_hit 1, 3), lines 7 and 15
//   data-source rows (hit_source 5, 7). Line 18 has only date_time → 1 timestamp without a zone.
//   Channels: direct 4, email 3, paid_search 3, paid_social 2, organic_search 1, referral 1,
//   social 1 (% of 15: 26.7, 20.0, 20.0, 13.3, 6.7 ×3). Funnel home → product:tents: home is
//   visited by A, D, E, F (4); A (10:00 → 10:01:30) and F (15:00 → 15:01) go on to product:tents
//   → 4, 2 (50.0%), drop-off 2. adobe_feed.zip holds both files and the lookups browser.tsv,
//   event.tsv (left out, with a note); adobe_multi/ holds the same feed as Adobe's "multiple files"
//   delivery (gzipped hit data and a lookup_data.tar.gz).
//   hit_data.tsv alone: header-less, roles guessed: time = date_time (20 dates; hit_time_gmt has
//   19), id = hitid_high (20 distinct numbers), channel = post_campaign (its 9 values all hold
//   channel words), event = accept_language (2 distinct) → 20 events, 20 customers, 0 skipped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  assertNoProblems, eventually, expectFunnel, expectSteps, fragmentPairs, newPage, REPO, screenshot, text,
  useBrowser, waitForData, waitForLoadError,
} from './helpers.mjs';

const VENDORS = join(REPO, 'tests/fixtures/vendors');
const vendor = (name) => join(VENDORS, name);

/** Expected state after opening one fixture (see the hand counts above). */
const FIXTURES = [
  {
    file: 'ga4.jsonl', label: 'GA4 BigQuery export', format: 'json lines', rowsRead: 22, skippedRows: 1,
    events: 21, customers: 5,
    skipped: ['1 × missing customer id — line 16'], duplicates: null, utc: null,
    channels: { paid_search: 8, email: 5, direct: 4, social: 2, paid_social: 2 },
    derivedFrom: ['collected_traffic_source.manual_source', 'event_params[key=source]', 'traffic_source.source',
      'collected_traffic_source.manual_medium', 'event_params[key=medium]', 'traffic_source.medium'],
  },
  {
    file: 'segment.json', label: 'Segment', format: 'json', rowsRead: 13, skippedRows: 0,
    events: 13, customers: 4, skipped: [], duplicates: null, utc: null,
    channels: { direct: 9, email: 1, paid_search: 1, paid_social: 1, social: 1 },
    derivedFrom: ['context.campaign.source', 'context.campaign.medium'],
  },
  {
    file: 'segment_warehouse.csv', label: 'Segment', format: 'csv', rowsRead: 11, skippedRows: 0,
    events: 10, customers: 6, skipped: [], duplicates: '1 exact duplicate row dropped.', utc: null,
    channels: { direct: 5, paid_search: 2, email: 1, social: 1, affiliate: 1 },
    derivedFrom: ['context_campaign_source', 'context_campaign_medium'],
  },
  {
    file: 'mixpanel.jsonl', label: 'Mixpanel export', format: 'json lines', rowsRead: 11, skippedRows: 1,
    events: 9, customers: 4,
    skipped: ['1 × missing customer id — line 10'], duplicates: '1 exact duplicate row dropped.', utc: null,
    channels: { paid_search: 4, direct: 2, email: 1, paid_social: 1, social: 1 },
    derivedFrom: ['properties.utm_source', 'properties.utm_medium'],
  },
  {
    file: 'amplitude.jsonl', label: 'Amplitude export', format: 'json lines', rowsRead: 10, skippedRows: 0,
    events: 10, customers: 4, skipped: [], duplicates: null,
    utc: '10 timestamps had no time zone; they are read as UTC.',
    channels: { paid_search: 4, direct: 2, email: 2, other: 1, paid_social: 1 },
    derivedFrom: ['event_properties.utm_source', 'user_properties.utm_source', 'user_properties.initial_utm_source',
      'event_properties.utm_medium', 'user_properties.utm_medium', 'user_properties.initial_utm_medium'],
  },
  {
    file: 'snowplow.tsv', label: 'Snowplow enriched events', format: 'tsv', rowsRead: 13, skippedRows: 0,
    events: 13, customers: 6, skipped: [], duplicates: null,
    utc: '13 timestamps had no time zone; they are read as UTC.',
    channels: { direct: 4, organic_search: 2, paid_search: 2, social: 2, email: 1, referral: 1, affiliate: 1 },
    derivedFrom: ['mkt_source', 'refr_source', 'mkt_medium', 'refr_medium'],
  },
  {
    file: 'clickstream.csv', label: 'E-commerce clickstream', format: 'csv', rowsRead: 15, skippedRows: 0,
    events: 14, customers: 4, skipped: [], duplicates: '1 exact duplicate row dropped.', utc: null,
    channels: null, derivedFrom: null,
  },
  {
    file: 'process_mining.csv', label: 'Process-mining event log', format: 'csv', rowsRead: 18, skippedRows: 0,
    events: 18, customers: 4, skipped: [], duplicates: null, utc: null,
    channels: null, derivedFrom: null,
  },
];

/** A count as the UI writes it (thousands separators). */
const int = (n) => n.toLocaleString('en-US');

/** The channel table's expected rows, [channel, events, %], by name; % = events × 100 / all events, 1 decimal. */
function channelRows(channels, events) {
  return Object.entries(channels)
    .map(([ch, n]) => [ch, int(n), ((n * 100) / events).toFixed(1)])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** What the summary and the Columns panel show for a single loaded file. */
function readSummary(page) {
  return page.evaluate(() => {
    const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
    const table = document.querySelector('#channel-table');
    const rows = table ? [...table.querySelectorAll('tbody tr')]
      .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())) : null;
    const counts = rows?.map((r) => Number(r[1].replaceAll(',', '')));
    const none = document.querySelector('#col-channel option[value=""]');
    return {
      detected: t('#detected'),
      format: t('#sum-range .muted'),
      events: t('#sum-events'),
      customers: t('#sum-customers'),
      channelCount: t('#sum-channels'),
      skipped: t('#sum-skipped'),
      skippedList: [...document.querySelectorAll('#skipped li')].map((li) => li.textContent.trim()),
      duplicates: t('#duplicates'),
      utc: t('#utc-note'),
      // By name: the order is checked separately (most events first).
      channels: rows ? [...rows].sort((a, b) => a[0].localeCompare(b[0])) : null,
      channelsByEventsDesc: counts ? counts.every((n, i) => i === 0 || n <= counts[i - 1]) : null,
      channelSelect: document.querySelector('#col-channel')?.value ?? null,
      channelNoneOption: none?.textContent?.trim() ?? null,
    };
  });
}

/** The expected readSummary() for a fixture. */
function expectedSummary(f) {
  const n = f.channels ? Object.keys(f.channels).length : 0;
  return {
    detected: `Detected: ${f.label}`,
    format: `${f.format} · ${int(f.rowsRead)} rows read`,
    events: int(f.events),
    customers: int(f.customers),
    channelCount: f.channels ? int(n) : '—',
    skipped: int(f.skippedRows),
    skippedList: f.skipped,
    duplicates: f.duplicates,
    utc: f.utc,
    channels: f.channels ? channelRows(f.channels, f.events) : null,
    channelsByEventsDesc: f.channels ? true : null,
    channelSelect: '',
    channelNoneOption: f.derivedFrom ? 'derived' : '(none)',
  };
}

/** "(derived from a, b)" → its sorted column names, for an order-free comparison. */
function derivedColumns(option) {
  const m = /^\(derived from (.*)\)$/.exec(option ?? '');
  return m ? m[1].split(', ').sort() : null;
}

describe('vendor export formats', () => {
  let browser, server;

  useBrowser(async (s) => {
    ({ browser, server } = s);
  }, { page: false });

  /** A fresh page showing the built-in sample; then `files` are opened through #file-input. */
  async function open(files, name) {
    const p = await newPage(browser);
    await p.page.goto(server.url);
    await waitForData(p.page, { events: '20,000', name: 'Built-in sample' });
    await p.page.setInputFiles('#file-input', files.map((f) => (f.includes('/') ? join(REPO, f) : vendor(f))));
    await eventually(
      () => p.page.evaluate(() => ({
        name: document.querySelector('#data-name')?.textContent?.trim() ?? null,
        loading: !!document.querySelector('#progress'),
        error: document.querySelector('#load-error')?.textContent ?? null,
      })),
      (s) => s.name === name && !s.loading,
      { message: `${name} loaded` },
    );
    return p;
  }

  for (const f of FIXTURES) {
    it(`${f.file}: detected as ${f.label}, with its summary, notes and channels`, async () => {
      const { context, page, problems } = await open([f.file], f.file);
      try {
        const got = await readSummary(page);
        const want = expectedSummary(f);
        // The derived channel's "" option names its source/medium/referrer columns (README table).
        if (f.derivedFrom) {
          assert.deepEqual(derivedColumns(got.channelNoneOption), [...f.derivedFrom].sort(),
            `${f.file}: #col-channel "" option ${JSON.stringify(got.channelNoneOption)}`);
          got.channelNoneOption = 'derived';
        }
        if (f.file === 'ga4.jsonl') {
          await screenshot(page, 'formats-ga4');
          // Earliest used: line 5, 1709280000123456 µs = 2024-03-01 00:00 UTC (1709251200 s) + 28800.123456 s;
          // latest used: line 4, 1709451030 s = 03-03 00:00 (1709424000) + 27030 s = 07:30:30. The skipped
          // line 16 (1709467200 = 03-03 12:00) is later and must not count.
          const range = await page.$$eval('#sum-range span', (ss) => ss.slice(0, 2).map((s) => s.textContent.trim()));
          assert.deepEqual(range, ['From 2024-03-01 08:00:00.123456', 'to 2024-03-03 07:30:30 UTC'], 'ga4.jsonl time range');
        }
        assert.deepEqual(got, want, `${f.file}: summary`);
        assert.equal(await page.locator('#load-error').count(), 0, 'no load error');
        assertNoProblems(problems, f.file);
      } finally {
        await context.close();
      }
    });
  }

  it('default funnels of ga4.jsonl and clickstream.csv (hand-counted)', async () => {
    for (const [file, steps, rows] of [
      ['ga4.jsonl', ['page_view', 'add_to_cart', 'purchase'], [
        ['page_view', '4', '100.0%', '100.0%', '0'],
        ['add_to_cart', '2', '50.0%', '50.0%', '2'],
        ['purchase', '1', '25.0%', '50.0%', '1'],
      ]],
      ['clickstream.csv', ['view', 'cart', 'purchase'], [
        ['view', '4', '100.0%', '100.0%', '0'],
        ['cart', '3', '75.0%', '75.0%', '1'],
        ['purchase', '2', '50.0%', '66.7%', '1'],
      ]],
    ]) {
      const { context, page, problems } = await open([file], file);
      try {
        await expectSteps(page, steps, `${file}: default steps`);
        const customers = file === 'ga4.jsonl' ? 5 : 4;
        await expectFunnel(page, rows, { caption: `${customers} customers in the data · steps by event`, message: `${file}: default funnel` });
        assertNoProblems(problems, file);
      } finally {
        await context.close();
      }
    }
  });

  it('process_mining.csv: the default funnel, then register → check → decide → pay', async () => {
    const { context, page, problems } = await open(['process_mining.csv'], 'process_mining.csv');
    try {
      const caption = '4 customers in the data · steps by event';
      await expectSteps(page, ['check ticket', 'register request', 'decide'], 'default steps: 3 most frequent, ties by name');
      await expectFunnel(page, [
        ['check ticket', '4', '100.0%', '100.0%', '0'],
        ['register request', '0', '0.0%', '0.0%', '4'],
        ['decide', '0', '0.0%', '0.0%', '0'],
      ], { caption, message: 'default process funnel' });

      await page.getByRole('button', { name: 'Move step 2 up', exact: true }).click();
      await expectSteps(page, ['register request', 'check ticket', 'decide'], 'register request moved up');
      await expectFunnel(page, [
        ['register request', '4', '100.0%', '100.0%', '0'],
        ['check ticket', '4', '100.0%', '100.0%', '0'],
        ['decide', '3', '75.0%', '75.0%', '1'],
      ], { caption, message: 'register → check → decide' });

      await page.selectOption('#add-step', 'pay compensation');
      await expectSteps(page, ['register request', 'check ticket', 'decide', 'pay compensation'], 'pay compensation added');
      await expectFunnel(page, [
        ['register request', '4', '100.0%', '100.0%', '0'],
        ['check ticket', '4', '100.0%', '100.0%', '0'],
        ['decide', '3', '75.0%', '75.0%', '1'],
        ['pay compensation', '2', '50.0%', '66.7%', '1'],
      ], { caption, message: 'register → check → decide → pay compensation' });
      const pairs = await fragmentPairs(page);
      assert.equal(decodeURIComponent(pairs.get('steps') ?? ''), 'register request,check ticket,decide,pay compensation',
        'steps in the URL');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  it('ga4.jsonl read as Generic, then detected again', async () => {
    const { context, page, problems } = await open(['ga4.jsonl'], 'ga4.jsonl');
    try {
      const ga4 = FIXTURES.find((f) => f.file === 'ga4.jsonl');
      const counts = () => page.evaluate(() => {
        const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
        return {
          detected: t('#detected'), events: t('#sum-events'), customers: t('#sum-customers'),
          skipped: t('#sum-skipped'), loading: !!document.querySelector('#progress'),
        };
      });
      await eventually(counts, { detected: 'Detected: GA4 BigQuery export', events: '21', customers: '5', skipped: '1', loading: false },
        { message: 'ga4.jsonl as detected' });

      await page.selectOption('#preset', 'generic');
      await eventually(() => fragmentPairs(page), (m) => m.get('preset') === 'generic', { message: 'preset=generic in the URL' });
      // Generic: user_id only (7 rows), 15 missing customer id; channel = traffic_source.source.
      await eventually(counts, { detected: 'Read as: Generic (column names)', events: '7', customers: '2', skipped: '15', loading: false },
        { message: 'ga4.jsonl read as Generic' });
      const generic = await readSummary(page);
      const headerOf = await page.$eval('#col-channel', (s) => s.selectedOptions[0]?.textContent.trim() ?? null);
      assert.equal(headerOf, 'traffic_source.source', 'generic picks the raw traffic_source.source column as channel');
      assert.equal(await page.$eval('#col-id', (s) => s.selectedOptions[0]?.textContent.trim()), 'user_id', 'generic id column');
      assert.equal(generic.channelCount, '2');
      assert.deepEqual(generic.channels, channelRows({ facebook: 4, google: 3 }, 7), 'generic channel table');
      // 15 × missing customer id at lines 1-12, 16, 21, 22; the UI lists the first few, then "…".
      assert.equal(generic.skippedList.length, 1, `one skip reason: ${JSON.stringify(generic.skippedList)}`);
      const m = /^15 × missing customer id — lines? ([\d, ]+?)(, …)?$/.exec(generic.skippedList[0]);
      assert.ok(m, `skip line: ${generic.skippedList[0]}`);
      const listed = m[1].split(', ').map(Number);
      const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 21, 22];
      assert.deepEqual(listed, all.slice(0, listed.length), 'the first skipped lines');
      assert.equal(!!m[2], listed.length < all.length, '"…" when not every line is listed');
      await screenshot(page, 'formats-ga4-generic');

      await page.selectOption('#preset', '');
      await eventually(() => fragmentPairs(page), (p) => !p.has('preset'), { message: 'no preset= in the URL after "Detect automatically"' });
      await eventually(counts, { detected: 'Detected: GA4 BigQuery export', events: '21', customers: '5', skipped: '1', loading: false },
        { message: 'ga4.jsonl detected again' });
      const back = await readSummary(page);
      const want = expectedSummary(ga4);
      back.channelNoneOption = derivedColumns(back.channelNoneOption) ? 'derived' : back.channelNoneOption;
      assert.deepEqual(back, want, 'the original GA4 reading is back');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  // tests/fixtures/zip/amplitude_export.zip holds, as Amplitude ships it, a project folder with two
  // gzipped JSON-lines files (plus a folder entry, __MACOSX metadata and .DS_Store, all skipped):
  //   #10: alice page_viewed 10:00 (utm google/cpc), device d2 (no user_id) page_viewed 10:05,
  //        alice add_to_cart 10:20;   #11: alice purchase 11:00, d2 add_to_cart 11:30 (newsletter/email),
  //        bob page_viewed 11:45
  //   → 6 events; customers alice, d2, bob = 3; channels paid_search 1, email 1, direct 4;
  //   funnel page_viewed → add_to_cart → purchase: alice 3 steps, d2 2, bob 1 → 3, 2, 1.
  it('a zip of gzipped JSON lines (Amplitude export) opens as its files', async () => {
    const A = 'amplitude_export.zip/654321/654321_2024-03-01_';
    const { context, page, problems } = await open(
      ['tests/fixtures/zip/amplitude_export.zip'], `2 files: ${A}10#0.json.gz, ${A}11#0.json.gz`);
    try {
      const got = await page.evaluate(() => {
        const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
        return {
          events: t('#sum-events'), customers: t('#sum-customers'), detected: t('#detected'), detected2: t('#detected-2'),
          channels: [...document.querySelectorAll('#channel-table tbody tr')]
            .map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent.trim())),
        };
      });
      assert.deepEqual(got, {
        events: '6', customers: '3', detected: 'Detected: Amplitude export', detected2: 'Detected: Amplitude export',
        channels: [['direct', '4'], ['email', '1'], ['paid_search', '1']],
      });
      await page.evaluate(() => { location.hash = 'view=funnel&by=event&steps=page_viewed,add_to_cart,purchase'; });
      await eventually(() => page.$$eval('#funnel-table .step-customers', (tds) => tds.map((td) => td.textContent)),
        ['3', '2', '1'], { message: 'zip funnel' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  // GA4 rows with both user_id and user_pseudo_id link 1197596843.1709280000 → u_1001 and
  // 315927741.1708012345 → u_1002 (2 links). Stitched, the first pseudo-id's pre-login events join
  // u_1001: 5 customers become 4; the events stay 21.
  it('ga4.jsonl: merging anonymous and known ids', async () => {
    const { context, page, problems } = await open(['ga4.jsonl'], 'ga4.jsonl');
    try {
      assert.equal(await text(page, '#sum-customers'), '5');
      const label = await page.$eval('label:has(#stitch-ids)', (l) => l.textContent.trim());
      assert.equal(label, 'Merge anonymous and known ids (2 links)');
      await page.check('#stitch-ids');
      await eventually(() => text(page, '#sum-customers'), '4', { message: 'stitched customers' });
      assert.equal(await text(page, '#sum-events'), '21');
      assert.equal(await text(page, '#stitch-note'), '2 anonymous ids merged into a known id.');
      assert.ok((await page.evaluate(() => location.hash)).includes('stitch=1'), 'stitch=1 in the URL');
      await page.uncheck('#stitch-ids');
      await eventually(() => text(page, '#sum-customers'), '5', { message: 'unstitched again' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  // tests/fixtures/xes/claims.xes: traces C-1 (3 events), C-2 (2), C-3 (1, "not a date" on line 50)
  // → 6 read, 5 events, 2 customers, 1 skipped; offsets +01:00 and Z.
  it('an XES event log', async () => {
    const { context, page, problems } = await open(['tests/fixtures/xes/claims.xes'], 'claims.xes');
    try {
      const got = await page.evaluate(() => {
        const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
        return { detected: t('#detected'), events: t('#sum-events'), customers: t('#sum-customers'),
          skipped: [...document.querySelectorAll('#skipped li')].map((li) => li.textContent.trim()),
          offsets: t('#offsets') };
      });
      assert.deepEqual(got, {
        detected: 'Detected: Process-mining event log', events: '5', customers: '2',
        skipped: ['1 × unparseable timestamp — line 50 ("not a date")'],
        offsets: 'Timestamps name 2 time zones (UTC, UTC+01:00); all are converted to UTC.',
      });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  it('two silos at once: clickstream.csv and process_mining.csv', async () => {
    const files = ['clickstream.csv', 'process_mining.csv'];
    const { context, page, problems } = await open(files, '2 files: clickstream.csv, process_mining.csv');
    try {
      // No id in common: 14 + 18 events, 4 + 4 customers.
      const got = await page.evaluate(() => {
        const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
        return {
          events: t('#sum-events'), customers: t('#sum-customers'), skipped: t('#sum-skipped'),
          detected: t('#detected'), detected2: t('#detected-2'),
          files: [...document.querySelectorAll('#files li.file .file-name')].map((e) => e.textContent.trim()),
          duplicates1: t('#duplicates-1'), duplicates2: t('#duplicates-2'),
          channels: [...document.querySelectorAll('#channel-table tbody tr')]
            .map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent.trim())),
        };
      });
      await screenshot(page, 'formats-two-files');
      assert.deepEqual(got, {
        events: '32', customers: '8', skipped: '0',
        detected: 'Detected: E-commerce clickstream', detected2: 'Detected: Process-mining event log',
        files,
        duplicates1: '1 exact duplicate row dropped.', duplicates2: null,
        // Without channel columns, each file's source label is the channel of its rows.
        channels: [['process mining', '18'], ['clickstream', '14']],
      });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  it('two files sharing a customer id: ga4.jsonl and mixpanel.jsonl', async () => {
    const files = ['ga4.jsonl', 'mixpanel.jsonl'];
    const { context, page, problems } = await open(files, '2 files: ga4.jsonl, mixpanel.jsonl');
    try {
      const got = await page.evaluate(() => {
        const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
        return {
          events: t('#sum-events'), customers: t('#sum-customers'), skipped: t('#sum-skipped'),
          detected: t('#detected'), detected2: t('#detected-2'),
          files: [...document.querySelectorAll('#files li.file .file-name')].map((e) => e.textContent.trim()),
          skipped1: [...document.querySelectorAll('#skipped-1 li')].map((li) => li.textContent.trim()),
          skipped2: [...document.querySelectorAll('#skipped-2 li')].map((li) => li.textContent.trim()),
          duplicates2: t('#duplicates-2'),
          channels: [...document.querySelectorAll('#channel-table tbody tr')]
            .map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent.trim()))
            .sort((a, b) => a[0].localeCompare(b[0])),
        };
      });
      assert.deepEqual(got, {
        // u_1001 is in both files: 5 + 4 - 1 customers.
        events: '30', customers: '8', skipped: '2',
        detected: 'Detected: GA4 BigQuery export', detected2: 'Detected: Mixpanel export',
        files,
        skipped1: ['1 × missing customer id — line 16'], skipped2: ['1 × missing customer id — line 10'],
        duplicates2: '1 exact duplicate row dropped.',
        channels: channelRows({ paid_search: 12, email: 6, direct: 6, paid_social: 3, social: 3 }, 30).map((r) => r.slice(0, 2)),
      });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  // headerless.csv (10 lines, no header): u1 ×4, u2 ×3, u3 ×3; line 5 has the time "soon" → skipped,
  // so 9 events of 3 customers. Guessed roles (README "Files without a header line"): column_2 is time
  // (9 of 10 values), column_3 channel (all channel words), column_1 the customer id (3 distinct values,
  // all with digits), column_4 the event (open, click, visit, purchase: 4 distinct in 10 rows, no digits).
  it('a file without a header line: roles guessed, the summary says so', async () => {
    const { context, page, problems } = await open(['tests/fixtures/e2e/headerless.csv'], 'headerless.csv');
    try {
      const got = await page.evaluate(() => ({
        events: document.querySelector('#sum-events')?.textContent?.trim() ?? null,
        customers: document.querySelector('#sum-customers')?.textContent?.trim() ?? null,
        note: document.querySelector('#headerless-note')?.textContent ?? null,
        skipped: [...document.querySelectorAll('#skipped li')].map((li) => li.textContent.trim()),
        // The column selects hold column indexes: column_4 is 3, column_2 is 1.
        event: document.querySelector('#col-event')?.value ?? null,
        time: document.querySelector('#col-time')?.value ?? null,
      }));
      assert.deepEqual(got, {
        events: '9', customers: '3', note: got.note && got.note.startsWith('No header line') ? got.note : 'missing',
        skipped: ['1 × unparseable timestamp — line 5 ("soon")'], event: '3', time: '1',
      });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
  const ADOBE_CHANNELS = { direct: 4, email: 3, paid_search: 3, paid_social: 2, organic_search: 1, referral: 1, social: 1 };

  /** The summary, notes and Columns panel of a loaded Adobe feed. */
  function readAdobe(page) {
    return page.evaluate(() => {
      const t = (s) => document.querySelector(s)?.textContent?.trim() ?? null;
      return {
        detected: t('#detected'), format: t('#sum-range .muted'), events: t('#sum-events'),
        customers: t('#sum-customers'), skipped: t('#sum-skipped'),
        skippedList: [...document.querySelectorAll('#skipped li')].map((li) => li.textContent.trim()),
        headerless: t('#headerless-note'), utc: t('#utc-note'),
        notes: [...document.querySelectorAll('.file-note')].map((n) => n.textContent.trim()),
        id: document.querySelector('#col-id')?.selectedOptions[0]?.textContent.trim() ?? null,
        revenue: document.querySelector('#col-revenue option[value=""]')?.textContent.trim() ?? null,
        fallbacks: [...document.querySelectorAll('#columns .fallback')].map((n) => n.textContent.trim()),
        channels: [...document.querySelectorAll('#channel-table tbody tr')]
          .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()))
          .sort((a, b) => a[0].localeCompare(b[0])),
        error: t('#load-error .message'),
      };
    });
  }

  function expectedAdobe(notes) {
    return {
      detected: 'Detected: Adobe Analytics data feed', format: 'tsv · 20 rows read', events: '15',
      customers: '6', skipped: '5',
      skippedList: [
        '1 × missing event — line 17',
        '2 × excluded by Adobe (exclude_hit not 0) — lines 4, 12 ("exclude_hit 1")',
        '2 × Adobe data-source row (hit_source 5, 7, 8 or 9), not a hit — lines 7, 15 ("hit_source 5")',
      ],
      headerless: 'No header line: the columns are named from column_headers.tsv; check their roles under Columns.',
      utc: '1 timestamp had no time zone; it is read as UTC.',
      notes,
      id: 'post_visid_high',
      revenue: '(prices in post_product_list of purchase hits, event 1 in post_event_list)',
      fallbacks: [
        'joined with post_visid_low; where empty: mcvisid',
        'where empty: date_time',
        'where empty: pagename, then post_page_url, then page_url',
      ],
      channels: channelRows(ADOBE_CHANNELS, 15),
      error: null,
    };
  }

  it('Adobe data feed: hit_data.tsv and column_headers.tsv picked together', async () => {
    const files = ['tests/fixtures/vendors/adobe/hit_data.tsv', 'tests/fixtures/vendors/adobe/column_headers.tsv'];
    const { context, page, problems } = await open(files, 'hit_data.tsv');
    try {
      assert.deepEqual(await readAdobe(page), expectedAdobe([]));
      await page.evaluate(() => { location.hash = 'view=funnel&by=event&steps=home,product:tents'; });
      await expectFunnel(page, [
        ['home', '4', '100.0%', '100.0%', '0'],
        ['product:tents', '2', '50.0%', '50.0%', '2'],
      ], { caption: '6 customers in the data · steps by event', message: 'Adobe funnel' });
      await screenshot(page, 'formats-adobe');
      // Read as generic: the Adobe rules (joined visitor, exclusions) no longer apply.
      await page.selectOption('#preset', 'generic');
      await eventually(() => text(page, '#detected'), 'Read as: Generic (column names)', { message: 'generic' });
      await eventually(() => text(page, '#sum-skipped'), '0', { message: 'no Adobe skips when read as generic' });
      await page.selectOption('#preset', 'adobe');
      await eventually(() => readAdobe(page), { ...expectedAdobe([]), detected: 'Read as: Adobe Analytics data feed' },
        { message: 'preset=adobe' });
      assert.equal((await fragmentPairs(page)).get('preset'), 'adobe');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  it('Adobe data feed: one zip with hit_data.tsv, column_headers.tsv and lookup tables', async () => {
    const { context, page, problems } = await open(['tests/fixtures/vendors/adobe_feed.zip'], 'adobe_feed.zip/hit_data.tsv');
    try {
      assert.deepEqual(await readAdobe(page), expectedAdobe(['Lookup tables not loaded: browser.tsv, event.tsv.']));
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  // Adobe's "multiple files" delivery: 01-examplersid_2024-03-05.tsv.gz is hit_data.tsv gzipped;
  // examplersid_2024-03-05-lookup_data.tar.gz holds column_headers.tsv, browser.tsv, event.tsv.
  it('Adobe data feed: gzipped hit data with its lookup_data.tar.gz', async () => {
    const dir = 'tests/fixtures/vendors/adobe_multi';
    const { context, page, problems } = await open(
      [`${dir}/01-examplersid_2024-03-05.tsv.gz`, `${dir}/examplersid_2024-03-05-lookup_data.tar.gz`],
      '01-examplersid_2024-03-05.tsv.gz');
    try {
      assert.deepEqual(await readAdobe(page), {
        ...expectedAdobe(['Lookup tables not loaded: browser.tsv, event.tsv.']), format: 'tsv (gzip) · 20 rows read',
      });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  it('Adobe data feed: column_headers.tsv alone is refused, hit_data.tsv alone is read without names', async () => {
    const p = await newPage(browser);
    try {
      await p.page.goto(server.url);
      await waitForData(p.page, { events: '20,000', name: 'Built-in sample' });
      await p.page.setInputFiles('#file-input', join(VENDORS, 'adobe/column_headers.tsv'));
      const e = await waitForLoadError(p.page);
      assert.equal(e.message, 'column_headers.tsv: this file only names the columns of an Adobe Analytics data feed: open it together with hit_data.tsv (both at once, or the zip that holds them)');
      assert.equal(e.kept, 'The data loaded before is still in use.');
      assert.equal(await text(p.page, '#sum-events'), '20,000');

      await p.page.setInputFiles('#file-input', join(VENDORS, 'adobe/hit_data.tsv'));
      await waitForData(p.page, { name: 'hit_data.tsv' });
      const got = await readAdobe(p.page);
      assert.deepEqual(
        { detected: got.detected, events: got.events, customers: got.customers, skipped: got.skipped, notes: got.notes,
          guessed: got.headerless?.startsWith('No header line: the columns are named column_1') ?? false },
        { detected: 'Detected: Generic (column names)', events: '20', customers: '20', skipped: '0', guessed: true,
          notes: ['This looks like an Adobe Analytics data feed: column_headers.tsv names its columns; open both files together (or the zip that holds them).'] },
      );
      assertNoProblems(p.problems);
    } finally {
      await p.context.close();
    }
  });

  // headerless_sessions.csv (no header): time, session s1…s6, customer c1…c3, event. Guessed, the id
  // is the sessions (the most distinct values): 6 customers. Named timestamp, session, customer_id,
  // event, the id is customer_id by name: c1, c2, c3 = 3 customers, 6 events.
  it('a file without a header line: the user names its columns (names=)', async () => {
    const { context, page, problems } = await open(['tests/fixtures/e2e/headerless_sessions.csv'], 'headerless_sessions.csv');
    try {
      const read = () => page.evaluate(() => ({
        events: document.querySelector('#sum-events')?.textContent?.trim() ?? null,
        customers: document.querySelector('#sum-customers')?.textContent?.trim() ?? null,
        id: document.querySelector('#col-id')?.selectedOptions[0]?.textContent.trim() ?? null,
        note: document.querySelector('#headerless-note')?.textContent?.trim() ?? null,
        loading: !!document.querySelector('#progress'),
      }));
      const guessed = await read();
      const guessedNote = 'No header line: the columns are named column_1, column_2, … and their roles were guessed from the values; check them under Columns.';
      assert.deepEqual(guessed, { events: '6', customers: '6', id: 'column_2', note: guessedNote, loading: false });
      await page.fill('#column-names', 'timestamp, session, customer_id, event');
      await page.press('#column-names', 'Enter');
      const named = {
        events: '6', customers: '3', id: 'customer_id', loading: false,
        note: 'No header line: the columns are named from the names in the link (names=); check their roles under Columns.',
      };
      await eventually(read, named, { message: 'named columns' });
      assert.equal((await fragmentPairs(page)).get('names'), 'timestamp,session,customer_id,event');
      await screenshot(page, 'formats-names');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
    // A link with names= applies them to the file opened next.
    const p = await newPage(browser);
    try {
      await p.page.goto(`${server.url}#view=funnel&names=,,customer_id`);
      await waitForData(p.page, { events: '20,000', name: 'Built-in sample' });
      await p.page.setInputFiles('#file-input', join(REPO, 'tests/fixtures/e2e/headerless_sessions.csv'));
      await waitForData(p.page, { name: 'headerless_sessions.csv' });
      assert.equal(await text(p.page, '#sum-customers'), '3');
      assert.equal(await p.page.$eval('#column-names', (i) => i.value), ', , customer_id');
      assertNoProblems(p.problems);
    } finally {
      await p.context.close();
    }
  });

  // stitch_pair.csv: visitor (the id by name) and login. Line 8 has no visitor → skipped (missing
  // customer id) until the pair is chosen: 8 events, 5 customers (c1, c2, shared, c3, bob@x.com).
  // With visitor → login: line 8 takes carol@x.com: 9 events, 6 customers; 5 links (c1 → alice,
  // c2 → bob, shared → alice and bob, bob@x.com → alice). Merged: c1 → alice, c2 → bob; shared
  // (two known ids) and bob@x.com (a known id) stay apart → 5 customers.
  it('identity stitching from a chosen pair of columns (stitch_pair=)', async () => {
    const { context, page, problems } = await open(['tests/fixtures/e2e/stitch_pair.csv'], 'stitch_pair.csv');
    try {
      const read = () => page.evaluate(() => ({
        events: document.querySelector('#sum-events')?.textContent?.trim() ?? null,
        customers: document.querySelector('#sum-customers')?.textContent?.trim() ?? null,
        skipped: document.querySelector('#sum-skipped')?.textContent?.trim() ?? null,
        label: document.querySelector('label:has(#stitch-ids)')?.textContent?.trim() ?? null,
        note: document.querySelector('#stitch-note')?.textContent?.trim() ?? null,
        loading: !!document.querySelector('#progress'),
      }));
      assert.deepEqual(await read(), { events: '8', customers: '5', skipped: '1', label: null, note: null, loading: false });
      await page.click('#stitch-pair summary');
      await page.selectOption('#stitch-anon', 'visitor');
      await page.selectOption('#stitch-known', 'login');
      await eventually(read, {
        events: '9', customers: '6', skipped: '0', label: 'Merge anonymous and known ids (5 links)', loading: false,
        note: '2 anonymous ids can be merged into a known id; 1 linked to several known ids (a shared device?) stay apart.',
      }, { message: 'pair chosen' });
      assert.equal((await fragmentPairs(page)).get('stitch_pair'), 'visitor:login');
      await page.check('#stitch-ids');
      await eventually(read, {
        events: '9', customers: '5', skipped: '0', label: 'Merge anonymous and known ids (5 links)', loading: false,
        note: '2 anonymous ids merged into a known id; 1 linked to several known ids (a shared device?) stay apart.',
      }, { message: 'stitched' });
      assert.equal((await fragmentPairs(page)).get('stitch'), '1');
      await screenshot(page, 'formats-stitch-pair');
      await page.selectOption('#stitch-known', '');
      await eventually(read, { events: '8', customers: '5', skipped: '1', label: null, note: null, loading: false },
        { message: 'pair cleared' });
      assert.equal((await fragmentPairs(page)).has('stitch_pair'), false);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
