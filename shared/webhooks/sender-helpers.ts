/**
 * Small pieces the vendor senders (harbor, github, dockerhub, quay, acr) share: reading untrusted
 * JSON, checking names against the OCI reference grammar, and presenting secrets to matchSecret.
 * Nothing here fetches anything: hosts found in bodies are only ever lookup keys.
 */
import { createHmac } from 'node:crypto';
import { isDigest, type Digest } from '../content/digest.js';
import { checkRepositoryPath } from '../oci/reference.js';
import { bearerToken, matchSecret } from '../secret-compare.js';
import type { SenderDelete, SenderPush, WebhookRequest } from './sender.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Largest number of pushes one delivery may announce (tags of a Quay event, Event Grid batch...). */
export const MAX_PUSHES = 1000;

/** The first value of a header (Node joins most repeated headers, but not all). */
export function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Index of the secret a static `Authorization` header proves, or -1. The header may carry the
 * secret as `Bearer <secret>` or verbatim (Harbor's `auth_header`, ACR's custom headers are sent
 * exactly as configured). Constant time in which candidate matches.
 */
export function authorizationSecret(req: WebhookRequest, secrets: readonly string[]): number {
  const h = header(req, 'authorization');
  const viaBearer = matchSecret(bearerToken(h), secrets);
  const verbatim = matchSecret(h?.trim() || undefined, secrets);
  return viaBearer >= 0 ? viaBearer : verbatim;
}

/** Index of the secret given as the `token` query parameter, or -1 (senders that cannot set headers). */
export function queryTokenSecret(req: WebhookRequest, secrets: readonly string[]): number {
  const t = req.query.token;
  return matchSecret(typeof t === 'string' && t !== '' ? t : undefined, secrets);
}

/** Index of the secret whose HMAC-SHA256 of the raw body is `sha256=<hex>` in `headerValue`, or -1. */
export function hmacSha256Secret(
  rawBody: Buffer,
  headerValue: string | undefined,
  secrets: readonly string[],
): number {
  const m = headerValue === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(headerValue.trim());
  const presented = m ? m[1]!.toLowerCase() : undefined;
  // matchSecret hashes both sides to equal length and checks every candidate: constant time.
  return matchSecret(
    presented,
    secrets.map((s) => createHmac('sha256', s).update(rawBody).digest('hex')),
  );
}

/** A Harbor-style tag that is really a digest (a push without a tag): no tag at all. */
export function isDigestTag(tag: string): boolean {
  return isDigest(tag) || /^[a-z0-9]+:[0-9a-f]{32,}$/i.test(tag);
}

/**
 * The host part of an image reference or URL found in a body (`harbor.example.com/team/app:1`,
 * `https://quay.io/...`), lower case, or undefined. Only ever compared with configured registries.
 */
export function hostOf(refOrUrl: string | undefined): string | undefined {
  if (refOrUrl === undefined) return undefined;
  const s = refOrUrl.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = s.split('/')[0] ?? '';
  if (host === '' || host.length > 255 || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return undefined;
  return host.toLowerCase();
}

/**
 * A deletion when the repository (and the digest or tag, when given) pass the OCI grammars, else
 * the reason it does not. With a digest the tag is left out: the manifest goes, with every tag.
 */
export function checkedDelete(p: {
  repository: string | undefined;
  tag?: string | undefined;
  digest?: string | undefined;
  host?: string | undefined;
  eventId?: string | undefined;
}): SenderDelete | string {
  const { repository } = p;
  if (repository === undefined || repository === '') return 'no repository';
  const tag = p.tag === undefined || p.tag === '' ? undefined : p.tag;
  const digest = p.digest === undefined || p.digest === '' ? undefined : p.digest;
  if (digest !== undefined && !isDigest(digest)) return 'malformed digest';
  try {
    checkRepositoryPath(repository, digest === undefined ? tag : undefined);
  } catch {
    return 'malformed repository or tag';
  }
  const d: SenderDelete = { repository };
  if (digest !== undefined) d.digest = digest;
  else if (tag !== undefined) d.tag = tag;
  if (p.host) d.host = p.host;
  if (p.eventId) d.eventId = p.eventId.slice(0, 200);
  return d;
}

/**
 * A push when repository, tag and digest pass the OCI grammars (repository lower case, tag
 * `[\w][\w.-]{0,127}`, digest sha256/sha512), else the reason it does not.
 */
export function checkedPush(p: {
  repository: string | undefined;
  tag?: string | undefined;
  digest?: string | undefined;
  mediaType?: string | undefined;
  host?: string | undefined;
  eventId?: string | undefined;
}): SenderPush | string {
  const { repository } = p;
  if (repository === undefined || repository === '') return 'no repository';
  const tag = p.tag === undefined || p.tag === '' ? undefined : p.tag;
  let digest: Digest | undefined;
  if (p.digest !== undefined && p.digest !== '') {
    if (!isDigest(p.digest)) return 'malformed digest';
    digest = p.digest;
  }
  if (tag === undefined && digest === undefined) return 'neither a tag nor a digest';
  try {
    checkRepositoryPath(repository, tag);
  } catch {
    return 'malformed repository or tag';
  }
  const push: SenderPush = { repository };
  if (tag !== undefined) push.tag = tag;
  if (digest !== undefined) push.digest = digest;
  if (p.mediaType) push.mediaType = p.mediaType.slice(0, 255);
  if (p.host) push.host = p.host;
  if (p.eventId) push.eventId = p.eventId.slice(0, 200);
  return push;
}
