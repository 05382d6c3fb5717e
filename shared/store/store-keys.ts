/**
 * Every Redis key the store writes, in one place: `<prefix>:v1:<kind>:{<tag>}[:<part>]`, and the
 * store's own description `<prefix>:meta:{meta}` (its schema version: store-schema.ts).
 *
 * The `{…}` hash tag decides the Redis Cluster slot. Keys that one transaction (MULTI) writes share a
 * tag, so no transaction ever crosses slots:
 *   - `{<manifest digest>}`: the result stored for that manifest, the image records of every
 *     registry/repository that holds it, and the set of those images. Storing one image is ONE MULTI
 *     in its top-level digest's slot (for an index, the per-platform results are content-addressed
 *     and written first, each in its own slot, so the roll-up never points at a missing result).
 *   - `{<registry>/<repo>:<tag>}`: the tag's current digest and its history.
 *   - secondary indexes (`by-package`, `by-channel`, `by-store-path`, `by-state`), the scan-id
 *     pointer and the layer cache each live alone in their own slot and are updated with single-key,
 *     idempotent commands (ZADD/SET), before the commit that makes an image `done` visible.
 *   - the repository indexes (`registries`, `repos:{<registry>}`, `repo-images:{<registry>/<repo>}`,
 *     `repo-tags:{<registry>/<repo>}`): sets that only grow, each in its own slot, updated with
 *     SADD next to the writes that create an image record or a tag;
 *   - `{backfill:<registry>}`: a backfill's state and its per-repository results, so that one
 *     script records a repository done and moves the totals;
 *   - `{policy:<name>}`: a stored policy and its verdict index (the verdicts of every known image
 *     under the policy's current generation, and the set of those it denies), so that one script
 *     checks the generation and records a verdict atomically. The list of policy names lives alone.
 * docs/configuration.md ("Redis layout") explains the trade-off.
 */
import { isDigest, type Digest } from '../content/digest.js';
import {
  parseImageName,
  tagName,
  type ImageRef,
  type RepositoryName,
  type TagRef,
} from '../oci/reference.js';

/** What a key holds between `marker` (ending in `{`) and the closing brace, and what follows it. */
function braced(key: string, marker: string): { inside: string; after: string } | undefined {
  if (!key.startsWith(marker)) return undefined;
  const close = key.indexOf('}', marker.length);
  return close < 0 ? undefined : { inside: key.slice(marker.length, close), after: key.slice(close + 1) };
}

/**
 * The namespace of every key (`<prefix>:v1`). It stays: what stored values mean is versioned by
 * the store schema (store-schema.ts), and a change of meaning is a migration, never a new namespace
 * that would leave the old keys unread.
 */
export const KEY_NAMESPACE = 'v1';

export class StoreKeys {
  readonly root: string;
  constructor(readonly prefix: string) {
    this.root = `${prefix}:${KEY_NAMESPACE}`;
  }
  /** Hash: the store's schema version and the migrations applied (store-schema.ts). */
  meta(): string {
    return `${this.prefix}:meta:{meta}`;
  }
  /** String: who is migrating the store now (a lock with a deadline). */
  migrationLock(): string {
    return `${this.prefix}:meta:{meta}:lock`;
  }
  /** Hash: the result for one manifest digest (recipe, index roll-up, no-profile, not-guix). */
  result(digest: Digest): string {
    return `${this.root}:result:{${digest}}`;
  }
  /** Hash: one registry/repository's record of a digest (state, last error, kind, counters). */
  image(img: ImageRef): string {
    return `${this.root}:image:{${img.digest}}:${img.registry}/${img.repository}`;
  }
  /** Set: the image names holding a digest (same slot as its result). */
  imagesOf(digest: Digest): string {
    return `${this.root}:images:{${digest}}`;
  }
  /** String: the image name a scan id stands for. */
  scan(id: string): string {
    return `${this.root}:scan:{${id}}`;
  }
  /** String: the digest a tag points at now. */
  tag(ref: TagRef): string {
    return `${this.root}:tag:{${tagName(ref)}}`;
  }
  /** Sorted set: digests the tag pointed at, scored by when we saw it (ms). */
  tagHistory(ref: TagRef): string {
    return `${this.root}:tag:{${tagName(ref)}}:history`;
  }
  /** Sorted sets of image names, scored by first-seen time (ms). */
  byPackage(nameOrNameAtVersion: string): string {
    return `${this.root}:by-package:{${nameOrNameAtVersion}}`;
  }
  byChannel(url: string, commit: string): string {
    return `${this.root}:by-channel:{${url}#${commit}}`;
  }
  byStorePath(path: string): string {
    return `${this.root}:by-store-path:{${path}}`;
  }
  byState(state: string): string {
    return `${this.root}:by-state:{${state}}`;
  }
  /** Sorted set: every image name with a record, scored by when it first got one (ms). */
  allImages(): string {
    return `${this.root}:all-images:{all-images}`;
  }
  /** Hash: one stored policy (document, version, generation, origin, the generation indexed). */
  policy(name: string): string {
    return `${this.root}:policy:{policy:${name}}`;
  }
  /** Set: the names of the stored policies. */
  policies(): string {
    return `${this.root}:policies:{policies}`;
  }
  /** Hash: image name -> `<stamp>:<verdict summary JSON>`, under one generation of a policy. */
  policyVerdicts(name: string, generation: number): string {
    return `${this.root}:policy:{policy:${name}}:g${generation}:verdicts`;
  }
  /** Sorted set: the image names that generation of the policy denies, scored by when first denied (ms). */
  policyDenied(name: string, generation: number): string {
    return `${this.root}:policy:{policy:${name}}:g${generation}:denied`;
  }
  /** Set: the registries the store knows images or tags of. */
  registries(): string {
    return `${this.root}:registries:{registries}`;
  }
  /** Set: the repositories of a registry the store knows images or tags of. */
  repositories(registry: string): string {
    return `${this.root}:repos:{${registry}}`;
  }
  /** Set: the digests a repository has image records of. */
  repositoryImages(repo: RepositoryName): string {
    return `${this.root}:repo-images:{${repo.registry}/${repo.repository}}`;
  }
  /** Set: the tags of a repository the store has recorded (now or in their history). */
  repositoryTags(repo: RepositoryName): string {
    return `${this.root}:repo-tags:{${repo.registry}/${repo.repository}}`;
  }
  /** String: the worker scanning a digest now (a lock with a deadline), same slot as its result. */
  scanning(digest: Digest): string {
    return `${this.root}:scanning:{${digest}}`;
  }
  /** Hash: a registry's backfill: its state, cursor and totals. */
  backfill(registry: string): string {
    return `${this.root}:backfill:{backfill:${registry}}`;
  }
  /** Hash: repository -> what the backfill found there (JSON), same slot as the backfill. */
  backfillRepositories(registry: string): string {
    return `${this.root}:backfill:{backfill:${registry}}:repos`;
  }
  /** The image an `image` key names (keys found by SCAN), or undefined. */
  parseImageKey(key: string): ImageRef | undefined {
    const b = braced(key, `${this.root}:image:{`);
    if (!b?.after.startsWith(':')) return undefined;
    return parseImageName(`${b.after.slice(1)}@${b.inside}`);
  }
  /** The tag a `tag` key (or its history) names, or undefined. */
  parseTagKey(key: string): { ref: TagRef; history: boolean } | undefined {
    const b = braced(key, `${this.root}:tag:{`);
    if (!b || (b.after !== '' && b.after !== ':history')) return undefined;
    const slash = b.inside.indexOf('/');
    const colon = b.inside.lastIndexOf(':');
    if (slash <= 0 || colon < slash) return undefined;
    const ref = {
      registry: b.inside.slice(0, slash),
      repository: b.inside.slice(slash + 1, colon),
      tag: b.inside.slice(colon + 1),
    };
    return { ref, history: b.after === ':history' };
  }
  /** The digest a `result` key is for, or undefined. */
  parseResultKey(key: string): Digest | undefined {
    const b = braced(key, `${this.root}:result:{`);
    return b && b.after === '' && isDigest(b.inside) ? b.inside : undefined;
  }
  /** String: a layer's summary (JSON), the layer cache. */
  layer(digest: Digest): string {
    return `${this.root}:layer:{${digest}}`;
  }
}
