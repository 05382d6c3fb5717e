/**
 * Every Redis key the store writes, in one place: `<prefix>:v<SCHEMA>:<kind>:{<tag>}[:<part>]`.
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
 *   - `{policy:<name>}`: a stored policy and its verdict index (the verdicts of every known image
 *     under the policy's current generation, and the set of those it denies), so that one script
 *     checks the generation and records a verdict atomically. The list of policy names lives alone.
 * docs/configuration.md ("Redis layout") explains the trade-off.
 */
import type { Digest } from '../content/digest.js';
import { tagName, type ImageRef, type TagRef } from '../oci/reference.js';

/** Bumped when the meaning of stored values changes; old keys are then simply not read. */
export const STORE_SCHEMA_VERSION = 1;

export class StoreKeys {
  readonly root: string;
  constructor(prefix: string) {
    this.root = `${prefix}:v${STORE_SCHEMA_VERSION}`;
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
  /** String: a layer's summary (JSON), the layer cache. */
  layer(digest: Digest): string {
    return `${this.root}:layer:{${digest}}`;
  }
}
