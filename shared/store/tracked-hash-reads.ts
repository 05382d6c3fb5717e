/**
 * Hash reads answered from memory, kept exact by Redis itself (server-assisted client-side caching,
 * `CLIENT TRACKING ... REDIRECT`): reads go over a connection of their own whose keys Redis tracks,
 * and Redis sends the name of every tracked key that changes, whoever changed it, to a second
 * connection subscribed to `__redis__:invalidate`. The entry is dropped on arrival.
 *
 * Why not a TTL: a verdict must never rest on a policy or a recipe that has changed (an admission
 * allowed by a deleted policy). Why not our own messages on change: every writer (other processes,
 * older versions, an import, a person with redis-cli) would have to send them; Redis sees them all.
 *
 * When answers may be missed, nothing is cached (reads go to the store's own connection): until both
 * connections are up and tracking is acknowledged; from the moment either connection closes (the cache is emptied then, and tracking
 * set up again once both are back); and for a read in flight while any invalidation arrives (the
 * invalidation may overtake the read's answer, which may then be the old value). Redis Cluster is
 * not supported (tracking is per node): use `DirectHashReads` there.
 */
import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';
import type { Config } from '../config/config-schema.js';
import { withDeadline } from './deadline.js';
import type { HashReads } from './hash-reads.js';
import { closeRedis, createRedis } from './redis-connection.js';

const INVALIDATE_CHANNEL = '__redis__:invalidate';

export interface TrackedHashReadsOptions {
  /** Hashes kept, least recently used dropped first. */
  maxEntries: number;
  /** Deadline of each read, ms (configuration `redis.commandTimeoutMs`). */
  deadlineMs: number;
  /** Reads while tracking is off (setting up, a connection lost): the store's own connection. */
  fallback: HashReads;
  /** Told when tracking could not be set up (reads still work, uncached); for the log. */
  onTrackingError?: (err: Error) => void;
}

interface Entry {
  /** The fields asked for, joined: another field list is a miss. */
  fields: string;
  values: readonly (string | null)[];
}

export class TrackedHashReads implements HashReads {
  readonly #reads: Redis;
  readonly #invalidations: Redis;
  readonly #cache: LRUCache<string, Entry>;
  readonly #opts: TrackedHashReadsOptions;
  /** True while Redis tracks every read of `#reads` and reports to `#invalidations`. */
  #tracking = false;
  /** Bumped by every invalidation and every lost connection: a read that saw it move is not kept. */
  #changes = 0;
  /** Bumped by every lost connection: a set-up that saw it move is void. */
  #epoch = 0;
  /** The subscribed connection's client id, while it stays connected. */
  #subscriberId: number | undefined;
  #settingUp = false;
  #closed = false;

  /** Connect both connections (in the background; reads go to `fallback` until tracking is on). */
  static connect(config: Config['redis'], opts: TrackedHashReadsOptions): TrackedHashReads {
    const reads = createRedis(config, { mode: 'request', connectionName: 'guix-recipes-cached-reads' });
    const invalidations = createRedis(config, {
      mode: 'blocking',
      connectionName: 'guix-recipes-invalidations',
      invalidationSubscriber: true,
    });
    return new TrackedHashReads(reads as Redis, invalidations as Redis, opts);
  }

  constructor(reads: Redis, invalidations: Redis, opts: TrackedHashReadsOptions) {
    this.#reads = reads;
    this.#invalidations = invalidations;
    this.#opts = opts;
    this.#cache = new LRUCache<string, Entry>({ max: Math.max(1, opts.maxEntries) });
    reads.on('close', () => this.#lose());
    invalidations.on('close', () => {
      this.#subscriberId = undefined;
      this.#lose();
    });
    for (const c of [reads, invalidations]) {
      c.on('error', () => {}); // reads see their own errors; a lost connection is 'close' above
      c.on('ready', () => void this.#track());
    }
    invalidations.on('messageBuffer', (channel: Buffer, keys: unknown) => {
      if (channel.toString() !== INVALIDATE_CHANNEL) return;
      this.#changes++;
      // No list: the whole keyspace changed (FLUSHALL, FLUSHDB).
      if (!Array.isArray(keys)) this.#cache.clear();
      else for (const k of keys as Buffer[]) this.#cache.delete(k.toString());
    });
    void this.#track();
  }

  /** Whether answers are being kept now (both connections up, tracking acknowledged). */
  get tracking(): boolean {
    return this.#tracking;
  }

  /** Entries held now. */
  get size(): number {
    return this.#cache.size;
  }

  #lose(): void {
    this.#tracking = false;
    this.#epoch++;
    this.#changes++;
    this.#cache.clear();
  }

  /** With both connections ready: subscribe, then turn tracking on, redirected to the subscriber. */
  async #track(): Promise<void> {
    if (this.#closed || this.#tracking || this.#settingUp) return;
    if (this.#reads.status !== 'ready' || this.#invalidations.status !== 'ready') return;
    this.#settingUp = true;
    const epoch = this.#epoch;
    try {
      if (this.#subscriberId === undefined) {
        // Its id must be read before it subscribes: a subscribed connection may only (un)subscribe.
        const id = Number(await this.#invalidations.client('ID'));
        await this.#invalidations.subscribe(INVALIDATE_CHANNEL);
        this.#subscriberId = id;
      }
      // OFF first: the reads connection may still be tracked towards a subscriber that is gone.
      await this.#reads.call('CLIENT', 'TRACKING', 'OFF');
      await this.#reads.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(this.#subscriberId));
      if (epoch === this.#epoch && !this.#closed) this.#tracking = true;
    } catch (err) {
      if (!this.#closed) this.#opts.onTrackingError?.(err as Error);
    } finally {
      this.#settingUp = false;
    }
    // A connection lost and back while this ran: its 'ready' found this busy; set up again.
    if (!this.#tracking && epoch !== this.#epoch) void this.#track();
  }

  async hmget(
    key: string,
    fields: readonly string[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<readonly (string | null)[]> {
    opts.signal?.throwIfAborted();
    const joined = fields.join('\n');
    if (this.#tracking) {
      const hit = this.#cache.get(key);
      if (hit?.fields === joined) return hit.values;
    }
    if (!this.#tracking) return this.#opts.fallback.hmget(key, fields, opts);
    // Tracking was acknowledged on this connection before this read is sent, so it covers the read.
    const changes = this.#changes;
    const values = await withDeadline(this.#reads.hmget(key, ...fields), this.#opts.deadlineMs, 'the store');
    if (this.#tracking && changes === this.#changes) this.#cache.set(key, { fields: joined, values });
    return values;
  }

  forget(key: string): void {
    this.#changes++;
    this.#cache.delete(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#lose();
    await Promise.all([closeRedis(this.#reads), closeRedis(this.#invalidations)]);
  }
}
