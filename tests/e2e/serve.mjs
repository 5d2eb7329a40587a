// A tiny static file server for dist/ (used by scripts/serve and the end-to-end tests).
// Serves `root` under `prefix` (default "/") on 127.0.0.1, like any static host would.
// `extra` maps a URL path to `[contentType, body]` for additional routes; `log`, when given an
// array, receives `{ method, path, status }` for every request (the e2e tests check what was fetched).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8', '.tsv': 'text/tab-separated-values; charset=utf-8', '.gz': 'application/gzip',
  '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
};

export function startServer({ root, prefix = '/', port = 0, extra = {}, log = null }) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (log) res.on('finish', () => log.push({ method: req.method, path, status: res.statusCode }));
    if (extra[path]) {
      const [type, body] = extra[path];
      res.writeHead(200, { 'content-type': type });
      return res.end(body);
    }
    if (!path.startsWith(prefix)) { res.writeHead(404); return res.end('not found'); }
    let file = normalize(join(base, path.slice(prefix.length)));
    if (!file.startsWith(base)) { res.writeHead(403); return res.end(); }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => {
    const url = `http://127.0.0.1:${server.address().port}${prefix}`;
    ok({ url, close: () => new Promise((done) => server.close(done)) });
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [root = 'dist', port = '8080', prefix = '/'] = process.argv.slice(2);
  const { url } = await startServer({ root, prefix, port: Number(port) });
  console.log(`serving ${root} at ${url}`);
}
