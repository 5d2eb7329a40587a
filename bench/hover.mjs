// Hover smoothness of the Sankey (issue #6: smooth with 500 links on screen): for 30 nodes and 30
// links, the time from mouseenter to the next frame with the highlight drawn. Uses dist/ and the
// built-in sample; the argument is the view's fragment. `node bench/hover.mjs 'view=paths&by=channel_event&steps=8&top=30&collapse=0'`
import { launch, newPage, serve, waitForData } from '../tests/e2e/helpers.mjs';
const browser = await launch();
const server = await serve({ prefix: '/' });
const { page } = await newPage(browser);
const hash = process.argv[2] || 'view=paths&by=event&steps=20&top=40&collapse=0';
await page.goto(`${server.url}#${hash}`);
await waitForData(page, { events: '20,000' });
await page.waitForSelector('#sankey .link', { timeout: 30000 });
await page.waitForTimeout(1500);
const links = await page.$$eval('#sankey .link', (ls) => ls.length);
const nodes = await page.$$eval('#sankey .node', (ns) => ns.length);
const times = await page.evaluate(async () => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const out = [];
  const targets = [...document.querySelectorAll('#sankey .node')].slice(0, 30).concat([...document.querySelectorAll('#sankey .link')].slice(0, 30));
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
const ms = times.map((t) => t[0]).sort((a, b) => a - b);
console.log(JSON.stringify({ links, nodes, hovers: ms.length, median_ms: ms[ms.length >> 1].toFixed(1), p90_ms: ms[Math.floor(ms.length * 0.9)].toFixed(1), max_ms: ms[ms.length - 1].toFixed(1), lit_example: times.slice(0, 3).map((t) => t[1]) }));
await browser.close(); await server.close();
