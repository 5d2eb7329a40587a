// Hover smoothness of the Sankey (issue #6: smooth with 500 links on screen). For up to 30 nodes and
// 30 links, hovers each (mouseenter) and leaves it, and reports per hover: the time to the next
// frame with the highlight drawn (this includes waiting for the frame, up to 16.7 ms at 60 Hz), and
// from a trace, the renderer main thread's work (event handling, style, layout, paint, commit) and
// the raster work. Uses dist/ and the built-in sample; the argument is the view's fragment:
//   node bench/hover.mjs 'view=paths&by=channel_event&steps=5&top=15&collapse=0'   (≈ 790 links)
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage, serve, waitForData } from '../tests/e2e/helpers.mjs';

const browser = await launch();
const server = await serve({ prefix: '/' });
const { page } = await newPage(browser);
const hash = process.argv[2] || 'view=paths&by=channel_event&steps=4&top=15&collapse=0';
await page.goto(`${server.url}#${hash}`);
await waitForData(page, { events: '20,000' });
await page.waitForSelector('#sankey .link', { timeout: 30000 });
await page.waitForTimeout(1500);
const links = await page.$$eval('#sankey > .links > .link', (ls) => ls.length);
const nodes = await page.$$eval('#sankey > .nodes > .node', (ns) => ns.length);
const trace = join(tmpdir(), `touchpath-hover-${process.pid}.json`);
await browser.startTracing(page, { path: trace, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
const times = await page.evaluate(async () => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const out = [];
  const targets = [...document.querySelectorAll('#sankey > .nodes > .node')].slice(0, 30)
    .concat([...document.querySelectorAll('#sankey > .links > .link')].slice(0, 30));
  for (const el of targets) {
    const t0 = performance.now();
    el.dispatchEvent(new MouseEvent('mouseenter'));
    await frame();
    const lit = document.querySelectorAll('#sankey .link.lit').length;
    out.push([performance.now() - t0, lit]);
    el.dispatchEvent(new MouseEvent('mouseleave'));
    await frame();
  }
  return out;
});
await browser.stopTracing();
const events = JSON.parse(await readFile(trace, 'utf8')).traceEvents;
await rm(trace, { force: true });
// The renderer main thread is the one that paints; its work per hover (enter and leave each count
// as one change of the highlight, so the sum is divided by twice the hovers).
const MAIN = ['EventDispatch', 'FunctionCall', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'UpdateLayer', 'HitTest'];
const mainTid = events.find((e) => e.name === 'Paint' && e.ph === 'X')?.tid;
const per = (names, tid) => events.filter((e) => e.ph === 'X' && names.includes(e.name) && (tid === undefined || e.tid === tid))
  .reduce((s, e) => s + e.dur, 0) / 1000 / (2 * times.length);
const ms = times.map((t) => t[0]).sort((a, b) => a - b);
const lit = times.map((t) => t[1]).sort((a, b) => a - b);
console.log(JSON.stringify({
  links, nodes, hovers: ms.length,
  frame_median_ms: +ms[ms.length >> 1].toFixed(1), frame_p90_ms: +ms[Math.floor(ms.length * 0.9)].toFixed(1), frame_max_ms: +ms[ms.length - 1].toFixed(1),
  main_thread_ms_per_change: +per(MAIN, mainTid).toFixed(1), raster_ms_per_change: +per(['RasterTask']).toFixed(1),
  lit_links_median: lit[lit.length >> 1],
  ...(process.env.HOVER_DETAIL ? { detail: Object.fromEntries(MAIN.map((n) => [n, +per([n], mainTid).toFixed(2)])) } : {}),
}));
await browser.close(); await server.close();
