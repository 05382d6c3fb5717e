// The floor of a registry-side scan, as a bare Node script (no project code, no dependency): GET one
// blob over HTTP, hash it once (sha256) and, unless MODE is `hash`, inflate it (gzip: node:zlib with
// 1 MiB output chunks; zstd: the `zstd` program, since Node 20 has no zstd decoder), counting the
// inflated bytes. Prints `sha256:<hex> <inflated bytes>`. What no scan can do without.
//
//   node bench/floor.mjs URL gzip|zstd|hash
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { createGunzip } from 'node:zlib';

const [url, mode] = process.argv.slice(2);
const res = await new Promise((resolve, reject) => get(url, resolve).on('error', reject));
if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
const hash = createHash('sha256');
let inflated = 0;
const count = (chunk) => {
  inflated += chunk.length;
};
let done;
if (mode === 'hash') {
  done = new Promise((resolve, reject) => res.on('end', resolve).on('error', reject));
  res.on('data', (chunk) => hash.update(chunk));
} else if (mode === 'gzip') {
  const z = createGunzip({ chunkSize: 1024 * 1024 });
  z.on('data', count);
  done = new Promise((resolve, reject) => z.on('end', resolve).on('error', reject));
  res.on('data', (chunk) => hash.update(chunk));
  res.pipe(z);
} else if (mode === 'zstd') {
  const z = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'inherit'] });
  z.stdout.on('data', count);
  done = new Promise((resolve, reject) =>
    z.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`zstd exited with ${code}`)))),
  );
  res.on('data', (chunk) => hash.update(chunk));
  res.pipe(z.stdin);
} else throw new Error('usage: node bench/floor.mjs URL gzip|zstd|hash');
await done;
console.log(`sha256:${hash.digest('hex')} ${inflated}`);
