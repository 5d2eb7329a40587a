// Temporary screenshot script (not committed).
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
const [root, hash, out, file] = process.argv.slice(2);
const srv = await startServer({ root, prefix: '/' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
page.on('console', (m) => console.log('console:', m.type(), m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.goto(`${srv.url}#${hash}`);
if (file) { await page.waitForSelector('#summary', { timeout: 20000 }); await page.setInputFiles('#file-input', file); await page.waitForTimeout(8000); }
await page.waitForSelector('#attribution-table, #attribution-error', { timeout: 30000 }).catch((e) => console.log('wait failed', e.message));
await page.waitForTimeout(500); await page.evaluate(() => { const d = document.querySelector('#markov-details'); if (d) d.open = true; });
console.log(await page.evaluate(() => document.querySelector('#attribution-caption')?.textContent));
console.log(await page.evaluate(() => [...document.querySelectorAll('.notice,.error')].map((e) => e.textContent).join(' | ')));
console.log(await page.evaluate(() => performance.getEntriesByType('measure').map((m) => `${m.name} ${m.duration.toFixed(1)}`).join(', ')));
await page.screenshot({ path: out, fullPage: true });
await browser.close(); srv.close?.();
process.exit(0);
