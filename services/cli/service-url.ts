/**
 * What the CLI's `--server URL` clients share: the URL of a route of the service, checked once, and
 * an answer body read up to a cap.
 */
import { RecipeError } from '../../shared/errors.js';

/**
 * `server` (a base URL, a path prefix allowed) with `path` appended; `usage` when it is not http(s),
 * carries credentials (the token goes in GUIX_RECIPES_TOKEN), a query or a fragment.
 */
export function serviceUrl(server: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new RecipeError('usage', `--server must be an http:// or https:// URL (got '${server}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new RecipeError('usage', `--server must be an http:// or https:// URL (got '${url.protocol}')`);
  if (url.username !== '' || url.password !== '')
    throw new RecipeError('usage', '--server must not carry credentials; set GUIX_RECIPES_TOKEN');
  if (url.search !== '' || url.hash !== '')
    throw new RecipeError('usage', '--server must not carry a query or a fragment');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

/** The body as text, `size-limit` (the body destroyed) once it passes `max` bytes. */
export async function readCappedText(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
  max: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) {
      body.destroy();
      throw new RecipeError('size-limit', `the server's answer is larger than ${max} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total).toString('utf8');
}
