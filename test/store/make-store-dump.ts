/**
 * Writes a dump of a store as the code of this checkout writes it: a fresh redis-server and
 * docker-registry, a few fixture images pushed with skopeo and scanned by the real API and worker
 * (a tag moved from one image to another, an index of two platforms, a profile without provenance,
 * the same image in two repositories, a policy stored through the API), then every key under the
 * store's prefix with its type and value, sorted, as JSON.
 *
 *   node --import tsx test/store/make-store-dump.ts test/fixtures/store-v1/dump.json
 *
 * The migration test (store-migration.test.ts) loads such a dump into an empty Redis and reads it
 * with the code of today. Run this again before changing what the store holds, and commit the dump
 * as the fixture of the schema it was written with (test/fixtures/store-v<N>/).
 */
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { loadConfig } from '../../shared/config/load-config.js';
import { closeRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { startInProcessService } from '../harness/service.js';
import { startRedis } from '../harness/redis.js';
import { startRegistry } from '../harness/registry.js';
import { pushFixture, pushIndex, tempDir } from '../harness/skopeo.js';

/** The prefix the dump is written under (the configuration's default). */
export const DUMP_PREFIX = 'guix-recipes';

export interface DumpedKey {
  key: string;
  type: 'string' | 'hash' | 'set' | 'zset' | 'list';
  /** string: the value; hash: field -> value; set: sorted members; zset: [member, score] by rank; list: items. */
  value: string | Record<string, string> | string[] | [string, string][];
  /** Milliseconds left to live when dumped, for keys that expire. */
  pttl?: number;
}

export interface StoreDump {
  prefix: string;
  /** What wrote it: `git describe` of the checkout. */
  writtenBy: string;
  keys: DumpedKey[];
}

/** Every key under `prefix:` of a standalone Redis, with its value. */
export async function dumpKeys(redis: RedisClient, prefix: string): Promise<DumpedKey[]> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    names.push(...batch);
  } while (cursor !== '0');
  const out: DumpedKey[] = [];
  for (const key of [...new Set(names)].sort()) {
    const type = await redis.type(key);
    let value: DumpedKey['value'];
    if (type === 'string') value = (await redis.get(key)) ?? '';
    else if (type === 'hash') {
      const h = await redis.hgetall(key);
      value = Object.fromEntries(
        Object.keys(h)
          .sort()
          .map((k) => [k, h[k]!]),
      );
    } else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') {
      const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
      value = pairs;
    } else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else throw new Error(`${key}: unexpected type ${String(type)}`);
    const pttl = await redis.pttl(key);
    out.push({ key, type, value, ...(pttl > 0 ? { pttl } : {}) });
  }
  return out;
}

async function main(outFile: string): Promise<void> {
  const redisH = await startRedis();
  const reg = await startRegistry();
  const work = await tempDir('gr-dump-');
  const config = loadConfig({
    env: {},
    file: {
      logLevel: 'silent',
      redis: { ...redisH.redisConfig, keyPrefix: DUMP_PREFIX },
      registries: [{ host: reg.host, insecure: true }],
      queue: { prefix: '{dump-queue}', attempts: 1, backoffMs: 100 },
      worker: { concurrency: 2 },
    },
  });
  const { app, worker } = await startInProcessService(config);
  const scan = async (image: string): Promise<void> => {
    const res = await app.inject({ method: 'POST', url: '/v1/scans', payload: { image } });
    if (res.statusCode !== 202) throw new Error(`POST /v1/scans ${image}: ${res.statusCode} ${res.body}`);
    const { id } = res.json<{ id: string }>();
    for (const until = Date.now() + 60_000; ;) {
      const rec = await app.store.getImageById(id);
      if (rec?.state === 'done') return;
      if (rec?.state === 'failed' || Date.now() > until)
        throw new Error(`scan of ${image}: ${JSON.stringify(rec)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let redis: RedisClient | undefined;
  try {
    const h = reg.host;
    await pushFixture('two-channels', `${h}/team/app:1`, 'v2s2', work);
    await scan(`${h}/team/app:1`);
    await pushFixture('mixed-commits', `${h}/team/app:latest`, 'oci', work);
    await scan(`${h}/team/app:latest`);
    // `latest` moves: its history holds two digests.
    await pushFixture('two-channels', `${h}/team/app:latest`, 'v2s2', work);
    await scan(`${h}/team/app:latest`);
    await pushFixture('no-provenance', `${h}/team/bare:1`, 'oci', work);
    await scan(`${h}/team/bare:1`);
    await pushFixture('two-channels', `${h}/mirror/app:1`, 'v2s2', work);
    await scan(`${h}/mirror/app:1`);
    const amd = await pushFixture('multi-output', `${h}/multi/app:amd64`, 'oci', work);
    const arm = await pushFixture('propagated', `${h}/multi/app:arm64`, 'oci', work);
    await pushIndex(reg.url, 'multi/app', '1', [
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    await scan(`${h}/multi/app:1`);
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/policies/production',
      payload: {
        apiVersion: 'guix-recipes/v1',
        kind: 'Policy',
        name: 'production',
        rules: { provenance: { required: true } },
      },
    });
    if (put.statusCode >= 300) throw new Error(`PUT policy: ${put.statusCode} ${put.body}`);
    // Let the policy's re-evaluation finish, so its verdict index is in the dump too.
    for (const until = Date.now() + 30_000; (await app.verdictIndex.incomplete()).length > 0;) {
      if (Date.now() > until) throw new Error('the policy index did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
    redis = redisH.connect('blocking');
    const dump: StoreDump = {
      prefix: DUMP_PREFIX,
      writtenBy: execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim(),
      keys: await dumpKeys(redis, DUMP_PREFIX),
    };
    await writeFile(outFile, `${JSON.stringify(dump, null, 1)}\n`);
    process.stdout.write(`${dump.keys.length} keys written to ${outFile}\n`);
  } finally {
    if (redis) await closeRedis(redis);
    await worker?.close(1000);
    await app.close();
    await reg.stop();
    await redisH.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: make-store-dump.ts OUT.json\n');
    process.exit(2);
  }
  await main(out);
}
