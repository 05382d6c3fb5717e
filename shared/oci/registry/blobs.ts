/**
 * Blobs over the distribution API (distribution-spec "Pulling blobs"): the raw bytes of a whole blob
 * with what the registry announces about them (Content-Length, Docker-Content-Digest), or exactly a
 * byte range. Holding them to the descriptor is content/verified-source.ts's, done once.
 *
 * A range is asked with `Range:`; a 206 must name exactly that range; a 200 (a server, often object
 * storage behind a redirect, that ignored `Range`) has the range cut out of it, and the connection
 * is closed once the range is read rather than waiting for the rest.
 */
import { RecipeError } from '../../errors.js';
import { parseDigest, type Digest } from '../../content/digest.js';
import type { Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, RawBlob } from '../../content/image-source.js';
import { sliceStream } from '../../content/range-stream.js';
import type { RepositoryName } from '../reference.js';
import { pullScope } from './auth.js';
import { bodyError, bodyStream, discard } from './body-readers.js';
import { header, type Transport } from './transport.js';

/** `blob host/repo@digest`, for messages. */
export function blobWhat(repo: RepositoryName, digest: string): string {
  return `blob ${repo.registry}/${repo.repository}@${digest}`;
}

/** GET a blob, or the range `opts.range` of it (already checked to lie inside the blob). */
export async function getBlob(
  t: Transport,
  repo: RepositoryName,
  desc: Descriptor,
  opts: FetchOptions,
): Promise<RawBlob> {
  const digest: Digest = parseDigest(desc.digest); // it goes into the URL path
  const what = blobWhat(repo, digest);
  const range = opts.range;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (range) headers.range = `bytes=${range.start}-${range.end}`;
  const deadlineMs = t.settings.timeouts.blobMs;
  const deadline = AbortSignal.timeout(deadlineMs);
  const signal = AbortSignal.any([opts.signal, deadline]);
  const read = { caller: opts.signal, deadline, deadlineMs, what };
  return t.call(
    {
      registry: repo.registry,
      method: 'GET',
      path: `/v2/${repo.repository}/blobs/${digest}`,
      headers,
      scope: pullScope(repo.repository),
      what,
    },
    { signal, okStatuses: range ? [200, 206] : [200] },
    async (a) => {
      if (!range) {
        const length = header(a.headers, 'content-length');
        const named = header(a.headers, 'docker-content-digest');
        return {
          stream: a.body,
          mapError: bodyError(read),
          announced: {
            ...(length !== undefined && { size: Number(length) }),
            ...(named !== undefined && { digest: named.trim() }),
          },
        };
      }
      if (a.status === 206) {
        const contentRange = header(a.headers, 'content-range') ?? '';
        const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange);
        if (!cr || Number(cr[1]) !== range.start || Number(cr[2]) !== range.end) {
          discard(a.body);
          throw new RecipeError(
            'registry-error',
            `${what} bytes ${range.start}-${range.end}: the registry answered Content-Range ${JSON.stringify(contentRange.slice(0, 100))}`,
          );
        }
        opts.onRangeServed?.('direct');
        return { stream: a.body, mapError: bodyError(read) };
      }
      opts.onRangeServed?.('from-start');
      return { stream: bodyStream(a.body, [sliceStream(range.start, range.end - range.start + 1)], read) };
    },
  );
}
