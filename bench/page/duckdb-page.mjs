// The DuckDB-WASM side of bench/browser.mjs: instantiates the `eh` bundle (one thread; the
// `coi` bundle cannot read a user's File, see shared/reference/performance.md) and exposes
// `window.duck` for the driver: register the picked File, run timed SQL.
import * as duckdb from '/node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser.mjs';

const DIST = '/node_modules/@duckdb/duckdb-wasm/dist';

// BigInt (BIGINT columns) and Date values do not cross page.evaluate; make them plain.
const plain = (v) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v);

async function start() {
  const worker = new Worker(`${DIST}/duckdb-browser-eh.worker.js`);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(`${DIST}/duckdb-eh.wasm`);
  const conn = await db.connect();
  const readyAt = performance.now();
  return { db, conn, readyAt };
}

const ready = start();

window.duck = {
  /** Milliseconds from navigation start to a connected database (throws what instantiate threw). */
  async ready() {
    const { readyAt, db } = await ready;
    return { readyAt, version: await db.getVersion() };
  },
  /** Registers the picked file named `name` as DuckDB's file `name` (a FileReader-backed handle, no copy). */
  async register(name) {
    const { db } = await ready;
    const file = [...document.querySelector('#file-input').files].find((f) => f.name === name);
    if (!file) throw new Error(`no picked file named ${name}`);
    const t0 = performance.now();
    await db.registerFileHandle(name, file, duckdb.DuckDBDataProtocol.BROWSER_FILEREADER, true);
    return performance.now() - t0;
  },
  /** Runs `sql` (statements separated by `;` run in order), timed; returns the last result's rows. */
  async query(sql) {
    const { conn } = await ready;
    const t0 = performance.now();
    const result = await conn.query(sql);
    const ms = performance.now() - t0;
    const rows = result.toArray().map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, plain(v)])));
    return { ms, rows, start: t0, end: t0 + ms };
  },
};
