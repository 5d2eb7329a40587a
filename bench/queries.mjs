// DuckDB SQL for bench/browser.mjs, written to Touchpath's documented semantics
// (README "Funnel semantics"; src/core/paths.rs for paths, variants and the Sankey).
//
// Ties: Touchpath orders a customer's events by time and keeps file order for equal times.
// The SQL orders by time only; browser.mjs checks that no customer has two events at the same
// time in the generated file (the generator advances every customer's clock by at least a
// minute), so the two orders agree there.

const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

/** The columns of `touchpath-gen` output with explicit types (auto-detect is slower and types the time TIMESTAMPTZ). */
export const COLUMNS = "{'customer_id': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'channel': 'VARCHAR', "
  + "'event': 'VARCHAR', 'stage': 'VARCHAR', 'revenue': 'DOUBLE'}";

/** Loads a registered file into `table`, sorted by customer (then time): DuckDB's best layout for per-customer work. */
export function loadSql(file, format, table = 'events', sorted = true) {
  const read = format === 'jsonl'
    ? `read_json(${q(file)}, format = 'newline_delimited', columns = ${COLUMNS})`
    : `read_csv(${q(file)}, header = true, auto_detect = false, delim = ',', quote = '"', columns = ${COLUMNS})`;
  return `CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${read}${sorted ? ' ORDER BY customer_id, "timestamp"' : ''}`;
}

export const COUNTS_SQL = 'SELECT count(*)::BIGINT AS events, count(DISTINCT customer_id)::BIGINT AS customers FROM events';

/** DuckDB's own account of the memory it holds (tables, buffers). */
export const MEMORY_SQL = 'SELECT sum(memory_usage_bytes)::BIGINT AS bytes FROM duckdb_memory()';

/** Customers with two events at the same instant (where time order alone would not be file order). */
export const TIES_SQL = `SELECT count(*)::BIGINT AS ties FROM
  (SELECT customer_id, "timestamp" FROM events GROUP BY ALL HAVING count(*) > 1)`;

/** A window such as `7d` as an SQL interval; null for none. */
export function interval(window) {
  if (!window) return null;
  const m = /^(\d+)([smhdw])$/.exec(window);
  if (!m) throw new Error(`window ${window}: expected a number and s, m, h, d or w`);
  const [n, unit] = [Number(m[1]), m[2]];
  const [amount, name] = unit === 'w' ? [n * 7, 'day'] : [n, { s: 'second', m: 'minute', h: 'hour', d: 'day' }[unit]];
  return `INTERVAL ${amount} ${name.toUpperCase()}`;
}

/**
 * The ordered funnel of `steps` (event values) within `window`, two ways. A customer reaches step
 * k when events of steps 1..k occur at strictly increasing times with t(k) − t(1) ≤ window, from
 * any step-1 occurrence. From a fixed step-1 occurrence, taking the earliest next event is always
 * best, so:
 *  - `asof`: chain ASOF joins, each finding the first step-k event after the step-(k−1) event,
 *    dropping chains past the window before the next join. Inner ASOF joins only: DuckDB-WASM
 *    1.32's ASOF LEFT JOIN mishandles NULL keys when chained (duckdb#23933), so no NULL ever
 *    reaches a join.
 *  - `range`: a range join per step keeping the minimum next time per step-1 occurrence.
 * Both return one row: step1, step2, ... (distinct customers).
 */
export function funnelSql(steps, window, variant) {
  const w = interval(window);
  const parts = steps.map((s, i) => `s${i + 1} AS (SELECT customer_id, "timestamp" AS t FROM events WHERE event = ${q(s)})`);
  parts.push('j1 AS (SELECT customer_id, t AS t1, t AS tp FROM s1)');
  for (let k = 2; k <= steps.length; k++) {
    const within = w ? ` AND s.t <= j.t1 + ${w}` : '';
    if (variant === 'asof') {
      parts.push(`j${k} AS (SELECT j.customer_id, j.t1, s.t AS tp FROM j${k - 1} j
        ASOF JOIN s${k} s ON j.customer_id = s.customer_id AND s.t > j.tp${w ? ` WHERE s.t <= j.t1 + ${w}` : ''})`);
    } else if (variant === 'range') {
      parts.push(`j${k} AS (SELECT j.customer_id, j.t1, min(s.t) AS tp FROM j${k - 1} j
        JOIN s${k} s ON j.customer_id = s.customer_id AND s.t > j.tp${within} GROUP BY j.customer_id, j.t1)`);
    } else {
      throw new Error(`unknown funnel variant ${variant}`);
    }
  }
  const cols = steps.map((_, i) => `(SELECT count(DISTINCT customer_id) FROM j${i + 1})::BIGINT AS step${i + 1}`);
  return `WITH ${parts.join(',\n')}\nSELECT ${cols.join(', ')}`;
}

/** Each customer's path over `by` with consecutive repeats collapsed, as (customer_id, v, step from 0). */
const collapsedSteps = (by) => `e AS (SELECT customer_id, "timestamp" AS ts, ${by} AS v,
    lag(${by}) OVER (PARTITION BY customer_id ORDER BY "timestamp") AS prev FROM events),
  c AS (SELECT customer_id, v, row_number() OVER (PARTITION BY customer_id ORDER BY ts) - 1 AS step
    FROM e WHERE prev IS NULL OR prev <> v)`;

/**
 * The `limit` most frequent whole paths (Touchpath's variants at customer grain: every step after
 * collapsing repeats, most customers first, ties by the path's values in order).
 * The separator ' > ' sorts below any value's characters, so ordering by the joined string is
 * ordering by the sequence of values.
 */
export function topPathsSql(by = 'channel', limit = 20) {
  return `WITH e AS (SELECT customer_id, "timestamp" AS ts, ${by} AS v,
      lag(${by}) OVER (PARTITION BY customer_id ORDER BY "timestamp") AS prev FROM events),
    p AS (SELECT customer_id, string_agg(v, ' > ' ORDER BY ts) AS path FROM e
      WHERE prev IS NULL OR prev <> v GROUP BY customer_id)
    SELECT path, count(*)::BIGINT AS customers FROM p GROUP BY path ORDER BY customers DESC, path LIMIT ${limit}`;
}

export const OTHER = 'other';
export const ENDED = '(journey ended)';

/**
 * Touchpath's Sankey aggregate over the first `steps` steps: nodes (step, value, customers) with
 * the `top` most frequent values per step kept (ties by value) and the rest as "other", a path
 * shorter than `steps` flowing into "(journey ended)" at the next step; links (step, source,
 * target, customers) between consecutive steps. Rows: kind ('node' | 'link'), step, src, tgt, n.
 */
export function sankeySql(by = 'channel', steps = 6, top = 8) {
  return `WITH ${collapsedSteps(by)},
    p AS (SELECT customer_id, step, v FROM c WHERE step < ${steps}),
    counts AS (SELECT step, v, count(*) AS n FROM p GROUP BY step, v),
    ranked AS (SELECT step, v, row_number() OVER (PARTITION BY step ORDER BY n DESC, v) AS rk FROM counts),
    g AS (SELECT p.customer_id, p.step, CASE WHEN r.rk <= ${top} THEN p.v ELSE ${q(OTHER)} END AS lbl
            FROM p JOIN ranked r ON p.step = r.step AND p.v = r.v
          UNION ALL
          SELECT customer_id, max(step) + 1, ${q(ENDED)} FROM p GROUP BY customer_id HAVING max(step) + 1 < ${steps}),
    l AS (SELECT step, lbl, lead(lbl) OVER (PARTITION BY customer_id ORDER BY step) AS nxt FROM g)
    SELECT 'node' AS kind, step, lbl AS src, NULL AS tgt, count(*)::BIGINT AS n FROM g GROUP BY step, lbl
    UNION ALL
    SELECT 'link', step, lbl, nxt, count(*)::BIGINT FROM l WHERE nxt IS NOT NULL GROUP BY step, lbl, nxt`;
}
