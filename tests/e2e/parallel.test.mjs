// A large file is read in parts by several workers at once (one per core, each part at least
// 8 MiB), and the parts are joined into the reading of the whole file: the counts, the skipped
// rows' line numbers, the duplicates and the rows out of time order come out as one reading
// gives them, whichever part they fall in. The table is built in a part worker, and only it
// crosses to the analysis worker, whose memory grows by the table alone (a gzip file, which
// cannot be cut, and a large file inside a zip archive are read whole by one part worker). A file whose cut falls inside a quoted line
// break is read whole by one part worker instead, with the same results.
//
// The files are generated here (about 20 MB each: two parts on any machine of two cores or more). The figures below are counted from how they
// are made, not read back from the app:
//   header customer_id,timestamp,event,channel,notes (line 1); ROWS rows after it, row r
//   (0-based, line r + 2) of customer c{r % 5000} at BASE + r seconds (so in time order),
//   event visit / signup / purchase as r % 3, channel email / ads as r % 2.
//   Changed rows: line 250,002 has timestamp "not-a-time" (skipped); row 399,000 has no
//   customer id (skipped; file line 399,003: the duplicate below comes before it); line 300,002 is at BASE − 1 day (earlier than the row before: out
//   of order); a copy of line 12 (row 10) is added after line 350,002 (an exact duplicate,
//   dropped, and earlier than the row before it: out of order).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { assertNoProblems, useBrowser, waitForData } from './helpers.mjs';

const ROWS = 500_000;
const Q_FROM = 256_000;
const BASE = Date.parse('2024-03-01T00:00:00Z');
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const row = (r, notes = '') => `c${r % 5000},${iso(BASE + r * 1000)},${['visit', 'signup', 'purchase'][r % 3]},${['email', 'ads'][r % 2]},${notes}`;

/** The file's lines (header first); `quoted` puts a 40-line quoted note on 2,000 rows from
 * row Q_FROM (the middle of the file by bytes). */
function lines({ quoted = false } = {}) {
  const out = ['customer_id,timestamp,event,channel,notes'];
  for (let r = 0; r < ROWS; r++) {
    const line = r + 2;
    if (line === 250_002) out.push(`c${r % 5000},not-a-time,visit,email,`);
    else if (line === 399_002) out.push(`,${iso(BASE + r * 1000)},visit,email,`);
    else if (line === 300_002) out.push(`c${r % 5000},${iso(BASE - 86_400_000)},visit,email,`);
    else if (quoted && r >= Q_FROM && r < Q_FROM + 2_000) out.push(row(r, `"${Array.from({ length: 40 }, (_, i) => `note ${i}`).join('\n')}"`));
    else out.push(row(r));
    if (line === 350_002) out.push(row(10));
  }
  return out;
}

/** A zip archive holding `data` deflated as its one entry `name` (the format's local header,
 * data, central directory and end record, as any zip tool writes them). */
function zipOf(name, data) {
  const [file, packed, crc] = [Buffer.from(name), deflateRawSync(data), crc32(data)];
  /** A record of `size` bytes holding each [offset, width, value], little-endian. */
  const record = (size, fields) => {
    const b = Buffer.alloc(size);
    for (const [at, width, v] of fields) (width === 2 ? b.writeUInt16LE(v, at) : b.writeUInt32LE(v, at));
    return b;
  };
  // Version 2.0, deflate (8), then the CRC, both sizes and the name's length, from `at`.
  const entry = (at) => [[at - 6, 2, 8], [at, 4, crc], [at + 4, 4, packed.length], [at + 8, 4, data.length], [at + 12, 2, file.length]];
  const local = record(30, [[0, 4, 0x04034b50], [4, 2, 20], ...entry(14)]);
  const central = record(46, [[0, 4, 0x02014b50], [4, 2, 20], [6, 2, 20], ...entry(16)]);
  const end = record(22, [[0, 4, 0x06054b50], [8, 2, 1], [10, 2, 1], [12, 4, 46 + file.length], [16, 4, 30 + file.length + packed.length]]);
  return Buffer.concat([local, file, packed, central, file, end]);
}

describe('Touchpath reads a large file with several workers', () => {
  let page, problems, dir, cores;
  /** How much the analysis worker's wasm memory grew while the last file was opened (bytes). */
  let grown = 0;

  useBrowser(async (s) => {
    ({ page, problems } = s);
    dir = await mkdtemp(join(tmpdir(), 'touchpath-parts-'));
    await page.goto(s.server.url);
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    cores = await page.evaluate(() => navigator.hardwareConcurrency);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The table is built in a part worker and only it crosses: the analysis worker grows per
   * event by at most the table, about 6 bytes here (4 of time, 1 each of event and channel
   * codes, and 5,000 short customer ids), less where memory it already had is reused (measured
   * 1–2). Reading and building there took over 25 bytes per event (the file-order columns, then
   * each gathered twice); the bound is the goal for a loaded table, 12 bytes per event. */
  function assertTableAlone() {
    const perEvent = grown / 499_998;
    assert.ok(perEvent < 12, `the analysis worker grew by ${perEvent.toFixed(1)} bytes per event`);
  }

  /** Writes the file, opens it on a fresh page, and returns the summary as the page shows it
   * (`shown`: the name the page gives the data). */
  async function open(name, body, shown = name) {
    const path = join(dir, name);
    await writeFile(path, body);
    // A fresh page: a file opened with another loaded would join it.
    await page.reload();
    await waitForData(page, { events: '20,000', name: 'Built-in sample' });
    const memory = () => page.evaluate(() => Number(document.querySelector('#summary').dataset.memoryBytes));
    const before = await memory();
    await page.setInputFiles('#file-input', path);
    await waitForData(page, { name: shown });
    grown = (await memory()) - before;
    return page.evaluate(() => ({
      events: document.querySelector('#sum-events')?.textContent,
      customers: document.querySelector('#sum-customers')?.textContent,
      skipped: [...document.querySelectorAll('#skipped li')].map((li) => li.textContent),
      notes: [...document.querySelectorAll('.file-note')].map((p) => p.textContent),
      duplicates: document.querySelector('#duplicates')?.textContent ?? null,
      outOfOrder: document.querySelector('#out-of-order')?.textContent ?? null,
    }));
  }

  /**
   * The parts the worker reads `body` in (one per core, at most 8, each at least 8 MiB), and
   * whether they join: each cut falls after the first line break at or after an even share of
   * the bytes, and a cut inside a quoted field (an odd number of `"` before it) does not join.
   */
  function expectedParts(body) {
    const parts = Math.max(1, Math.min(cores, 8, Math.floor(body.length / (8 << 20))));
    let joins = true;
    for (let k = 1; k < parts; k++) {
      const cut = body.indexOf('\n', Math.floor((body.length * k) / parts)) + 1;
      const quotes = body.slice(0, cut).split('"').length - 1;
      if (quotes % 2 === 1) joins = false;
    }
    return { parts, joins };
  }

  // 500,001 rows read, 2 skipped, 1 duplicate dropped: 499,998 events of 5,000 customers.
  const expected = {
    events: '499,998',
    customers: '5,000',
    skipped: ['1 × missing customer id — line 399003', '1 × unparseable timestamp — line 250002 ("not-a-time")'],
    duplicates: '1 exact duplicate row dropped.',
    outOfOrder: '2 rows were earlier than the row before; rows are put in time order.',
  };

  it('joins the parts into the reading of the whole file', async () => {
    const body = `${lines().join('\n')}\n`;
    const { parts, joins } = expectedParts(body);
    assert.ok(joins);
    const { notes, ...figures } = await open('large.csv', body);
    assert.deepEqual(figures, expected);
    if (parts > 1) assert.deepEqual(notes, [`Read in ${parts} parts at once, by ${parts} workers.`]);
    else assert.deepEqual(notes, [], 'one core: one part');
    assertTableAlone();
    assertNoProblems(problems);
  });

  const oneParts = [
    ['a gzip file', 'large.csv.gz', (text) => gzipSync(text), 'large.csv.gz'],
    ['a large file inside a zip archive', 'large.zip', (text) => zipOf('large.csv', Buffer.from(text)), 'large.zip/large.csv'],
  ];
  for (const [what, name, make, shown] of oneParts) {
    it(`reads ${what} whole in one part worker, with the same figures and memory`, async () => {
      const body = make(`${lines().join('\n')}\n`);
      assert.ok(body.length > 1 << 20, `${body.length} bytes: read in a part worker from 1 MiB compressed`);
      const { notes, ...figures } = await open(name, body, shown);
      assert.deepEqual(figures, expected);
      assert.deepEqual(notes, []);
      assertTableAlone();
      assertNoProblems(problems);
    });
  }

  it('reads a file whole when a cut falls inside a quoted line break, with the same figures', async () => {
    const body = `${lines({ quoted: true }).join('\n')}\n`;
    const { parts, joins } = expectedParts(body);
    // Rows 256,000 … 257,999 hold the middle of the file; 39 in 40 of their line breaks are
    // inside quotes, and this file's middle cut falls on one of those.
    if (parts === 2) assert.equal(joins, false, 'the middle cut falls inside a quoted note');
    const { notes, ...figures } = await open('quoted.csv', body);
    // The quoted notes add 39 line breaks to each of those 2,000 rows: line numbers after them
    // (399,003; 250,002 is before them) move by 78,000.
    const shift = 2_000 * 39;
    assert.deepEqual(figures, {
      ...expected,
      skipped: [`1 × missing customer id — line ${399_003 + shift}`, '1 × unparseable timestamp — line 250002 ("not-a-time")'],
    });
    const note = parts > 1 && joins ? [`Read in ${parts} parts at once, by ${parts} workers.`] : [];
    assert.deepEqual(notes, note);
    // Parts that do not join are read again whole by one part worker, not by the analysis worker.
    assertTableAlone();
    assertNoProblems(problems);
  });
});
