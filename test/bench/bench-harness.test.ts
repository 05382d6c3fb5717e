// The benchmark harness's own parts, functionally (no timing is asserted anywhere in the tests): a
// line's verdict from its targets, the Markdown table docs/performance.md records, medians and the
// interleaved order, and the floor script (bench/floor.mjs) answering the blob's digest and inflated
// size from a real docker-registry, its peak RSS reported by the preload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { sha256Digest } from '../../shared/content/digest.js';
import { formatResult, formatTable, verdict, type BenchResult } from '../../bench/measure.js';
import { interleaved, median, node, runProcess, spread } from '../../bench/processes.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';

const FLOOR = fileURLToPath(new URL('../../bench/floor.mjs', import.meta.url));
const line = (over: Partial<BenchResult>): BenchResult => ({
  name: 'scan vs floor',
  value: '1.00 s',
  baseline: 'floor 1.00 s',
  ratio: 1,
  ...over,
});

void test('a line passes when every target holds, fails when one does not, is info without targets', () => {
  assert.equal(verdict(line({ ratio: 1.05, target: { max: 1.1, text: '<= 1.1x' } })), 'PASS');
  assert.equal(verdict(line({ ratio: 1.2, target: { max: 1.1, text: '<= 1.1x' } })), 'FAIL');
  assert.equal(verdict(line({ ratio: 1.5, target: { min: 1.6, text: '>= 1.6x' } })), 'FAIL');
  assert.equal(verdict(line({ ratio: 1.7, target: { min: 1.6, text: '>= 1.6x' } })), 'PASS');
  const absoluteFails = { ok: false, text: 'p99 < 10 ms' };
  assert.equal(
    verdict(line({ ratio: 0.9, target: { min: 0.7, text: '' }, absolute: absoluteFails })),
    'FAIL',
  );
  assert.equal(verdict(line({ absolute: { ok: true, text: '< 150 MiB' } })), 'PASS');
  assert.equal(verdict(line({})), 'info');
});

void test('the printed line and the Markdown table carry the value, baseline, ratio, target and verdict', () => {
  const results = [
    line({ name: 'a | b', ratio: 1.234, target: { max: 1.1, text: '<= 1.1x' } }),
    line({ name: 'info line', ratio: 0.5 }),
  ];
  const printed = formatResult(results[0]!);
  assert.match(printed, /ratio 1\.23x \| target <= 1\.1x FAIL/);
  const rows = formatTable(results).split('\n');
  assert.equal(rows.length, 4);
  assert.equal(rows[0], '| line | ours | baseline | ratio | target | verdict |');
  assert.equal(rows[2], '| a \\| b | 1.00 s | floor 1.00 s | 1.23x | <= 1.1x | FAIL |');
  assert.equal(rows[3], '| info line | 1.00 s | floor 1.00 s | 0.50x | — | info |');
});

void test('medians, spreads and the interleaved order (warm-up round untimed)', async () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(spread([2, 1, 3]), '2.00 s (1.00-3.00)');
  assert.equal(spread([1.5]), '1.50 s');
  const calls: string[] = [];
  const out = await interleaved(2, {
    a: () => Promise.resolve(calls.push('a')),
    b: () => Promise.resolve(calls.push('b')),
  });
  assert.deepEqual(calls, ['a', 'b', 'a', 'b', 'a', 'b']);
  assert.deepEqual(out, { a: [3, 5], b: [4, 6] });
});

void test('runProcess refuses a failing command with its exit code', async () => {
  await assert.rejects(
    runProcess('sh', ['-c', 'echo oops >&2; exit 3'], { signal: AbortSignal.timeout(10_000) }),
    /exited with 3: oops/,
  );
});

/** Upload `bytes` as a blob of `repo` (monolithic POST + PUT); returns its digest. */
async function pushBlob(reg: RunningRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256Digest(bytes);
  const start = await request(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await start.body.dump();
  const location = new URL(String(start.headers.location), reg.url);
  location.searchParams.set('digest', digest);
  const put = await request(location, { method: 'PUT', body: bytes });
  await put.body.dump();
  assert.equal(put.statusCode, 201);
  return digest;
}

void test('the floor script answers the blob digest and inflated size from a real registry', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const signal = AbortSignal.timeout(60_000);
  const plain = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 7919) % 251));
  const gz = gzipSync(plain);
  const zst = execFileSync('zstd', ['-3', '-c', '-q'], { input: plain });
  const url = (d: string) => `${reg.url}/v2/bench/t/blobs/${d}`;

  const gzDigest = await pushBlob(reg, 'bench/t', gz);
  const g = await node(FLOOR, [url(gzDigest), 'gzip'], { signal });
  assert.equal(g.stdout.trim(), `${gzDigest} ${plain.length}`);
  assert.ok(g.peakRss > 0, 'the preload reports a peak RSS');

  const h = await node(FLOOR, [url(gzDigest), 'hash'], { signal });
  assert.equal(h.stdout.trim(), `${gzDigest} 0`);

  const zDigest = await pushBlob(reg, 'bench/t', zst);
  const z = await node(FLOOR, [url(zDigest), 'zstd'], { signal });
  assert.equal(z.stdout.trim(), `${zDigest} ${plain.length}`);

  await assert.rejects(
    node(FLOOR, [url(sha256Digest(Buffer.from('absent'))), 'gzip'], { signal }),
    /HTTP 404/,
  );
});
