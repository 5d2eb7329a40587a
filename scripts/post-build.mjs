#!/usr/bin/env node
// Trunk's post_build hook (Trunk.toml), release builds only: drops the `name` and `producers`
// custom sections from every .wasm file in the staging directory and updates the subresource
// integrity that index.html gives each changed file.
//
// The `name` section holds every function's name, for debuggers and stack traces: 12 % of the
// app's wasm and 7 % of the worker's, not needed to run. Trunk only drops it when it runs
// wasm-opt, which it would download (no network here: Trunk.toml sets `offline`, index.html
// `data-wasm-opt="0"`), and `strip = true` in the cargo profile would also drop the
// `target_features` section wasm-bindgen reads. Debug builds (`trunk build`, `trunk serve`)
// keep the names. No dependencies: node's standard library only.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DROP = new Set(['name', 'producers']);

function leb(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, pos];
  }
}

/** The module without the custom sections named in DROP (the same bytes when there are none). */
export function stripWasm(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100) throw new Error('not a wasm module');
  const kept = [buf.subarray(0, 8)];
  let pos = 8;
  let dropped = 0;
  while (pos < buf.length) {
    const start = pos;
    const id = buf[pos++];
    const [size, body] = leb(buf, pos);
    const end = body + size;
    let keep = true;
    if (id === 0) {
      const [len, at] = leb(buf, body);
      keep = !DROP.has(buf.toString('utf8', at, at + len));
    }
    if (keep) kept.push(buf.subarray(start, end));
    else dropped += end - start;
    pos = end;
  }
  if (pos !== buf.length) throw new Error('truncated wasm module');
  return dropped ? Buffer.concat(kept) : buf;
}

const sri = (buf) => `sha384-${createHash('sha384').update(buf).digest('base64')}`;

function main() {
  if (process.env.TRUNK_PROFILE !== 'release') return;
  const dir = process.env.TRUNK_STAGING_DIR;
  if (!dir) throw new Error('TRUNK_STAGING_DIR is not set: this script runs as a Trunk hook');
  const htmlPath = join(dir, 'index.html');
  let html = readFileSync(htmlPath, 'utf8');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) {
    const path = join(dir, file);
    const before = readFileSync(path);
    const after = stripWasm(before);
    if (after === before) continue;
    writeFileSync(path, after);
    html = html.split(sri(before)).join(sri(after));
    console.log(`post-build: ${file} ${before.length} -> ${after.length} bytes (name section dropped)`);
  }
  writeFileSync(htmlPath, html);
}

main();
