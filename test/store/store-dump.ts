/**
 * A store dump (make-store-dump.ts) written back into a Redis, and the API answers a store's
 * recipes give: what the migration and export/import tests compare.
 */
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../../shared/store/redis-connection.js';
import type { StoreDump } from './make-store-dump.js';

export const STORE_V1_DUMP = new URL('../fixtures/store-v1/dump.json', import.meta.url);

export function readDump(url: URL = STORE_V1_DUMP): StoreDump {
  return JSON.parse(readFileSync(url, 'utf8')) as StoreDump;
}

/** Write every key of `dump` (with its type, value and time to live) into `redis`. */
export async function loadDump(redis: RedisClient, dump: StoreDump): Promise<void> {
  for (const k of dump.keys) {
    await redis.del(k.key);
    if (k.type === 'string') await redis.set(k.key, k.value as string);
    else if (k.type === 'hash') await redis.hset(k.key, k.value as Record<string, string>);
    else if (k.type === 'set') await redis.sadd(k.key, ...(k.value as string[]));
    else if (k.type === 'zset')
      for (const [member, score] of k.value as [string, string][]) await redis.zadd(k.key, score, member);
    else await redis.rpush(k.key, ...(k.value as string[]));
    if (k.pttl !== undefined) await redis.pexpire(k.key, k.pttl);
  }
}

/** The parts of a dump the API answers from: results, image records, tags. */
export function dumpContents(dump: StoreDump): {
  results: { digest: string; fields: Record<string, string> }[];
  images: { name: string; id?: string; fields: Record<string, string> }[];
  tags: { ref: string; digest: string }[];
} {
  const results = [];
  const images = [];
  const tags = [];
  for (const k of dump.keys) {
    let m = /:v1:result:\{(sha256:[0-9a-f]{64})\}$/.exec(k.key);
    if (m) results.push({ digest: m[1]!, fields: k.value as Record<string, string> });
    m = /:v1:image:\{(sha256:[0-9a-f]{64})\}:(.+)$/.exec(k.key);
    if (m) images.push({ name: `${m[2]}@${m[1]}`, fields: k.value as Record<string, string> });
    m = /:v1:tag:\{(.+)\}$/.exec(k.key);
    if (m) tags.push({ ref: m[1]!, digest: k.value as string });
  }
  return { results, images, tags };
}

export interface Answer {
  status: number;
  type: string;
  body: string;
}

/**
 * Every read the API serves about the recipes of a store: each result (JSON, channels.scm,
 * manifest.scm, SBOM, SLSA), each image's scan status, lookups by image name, digest and tag, by
 * package, channel commit and store path, and the image lists by state.
 */
export async function apiAnswers(
  app: FastifyInstance,
  urls: readonly string[],
): Promise<Map<string, Answer>> {
  const out = new Map<string, Answer>();
  for (const url of urls) {
    const res = await app.inject({ url });
    out.set(url, { status: res.statusCode, type: String(res.headers['content-type']), body: res.body });
  }
  return out;
}

/** The URLs apiAnswers reads for `dump` (`ids`: the scan ids of its images, from their names). */
export function answerUrls(dump: StoreDump, ids: ReadonlyMap<string, string>): string[] {
  const { results, images, tags } = dumpContents(dump);
  const q = (s: string) => encodeURIComponent(s);
  const urls: string[] = [];
  for (const r of results) {
    urls.push(`/v1/recipes/${r.digest}`, `/v1/recipes?image=${q(r.digest)}`);
    if (r.fields.kind === 'recipe')
      urls.push(
        `/v1/recipes/${r.digest}/channels.scm`,
        `/v1/recipes/${r.digest}/manifest.scm`,
        `/v1/recipes/${r.digest}/manifest.scm?style=guix&printer=modern`,
        `/v1/recipes/${r.digest}/channels.scm?printer=modern`,
        `/v1/recipes/${r.digest}/sbom`,
        `/v1/recipes/${r.digest}/slsa`,
      );
  }
  for (const i of images) {
    urls.push(`/v1/recipes?image=${q(i.name)}`);
    const id = ids.get(i.name);
    if (id !== undefined) urls.push(`/v1/scans/${id}`);
  }
  for (const t of tags) urls.push(`/v1/recipes?image=${q(t.ref)}`);
  const lookups = new Set<string>();
  for (const k of dump.keys) {
    let m = /:v1:by-package:\{(.+)\}$/.exec(k.key);
    if (m) lookups.add(`/v1/recipes?package=${q(m[1]!)}`);
    m = /:v1:by-channel:\{(.+)#([0-9a-f]+)\}$/.exec(k.key);
    if (m) lookups.add(`/v1/recipes?channel=${q(m[1]!)}&commit=${m[2]}`);
    m = /:v1:by-store-path:\{(.+)\}$/.exec(k.key);
    if (m) lookups.add(`/v1/recipes?store-path=${q(m[1]!)}`);
  }
  urls.push(...[...lookups].sort());
  for (const state of ['done', 'failed', 'queued', 'running']) urls.push(`/v1/images?state=${state}`);
  return urls;
}
