/**
 * A small blob (manifest, config) read whole from an ImageSource: size-capped before the first byte,
 * and size + digest checked here as well as by the source.
 */
import { RecipeError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import type { ImageSource } from './image-source.js';
import { VerifyStream } from './verify-stream.js';

export async function readBlob(
  source: ImageSource,
  desc: Descriptor,
  opts: { signal: AbortSignal; max: number; what: string },
): Promise<Uint8Array> {
  if (desc.size > opts.max)
    throw new RecipeError(
      'size-limit',
      `${opts.what} is ${desc.size} bytes, more than the ${opts.max} accepted`,
    );
  const raw = await source.fetch(desc, { signal: opts.signal });
  const verify = new VerifyStream({ digest: desc.digest, size: desc.size, what: opts.what });
  raw.on('error', (err) => verify.destroy(err));
  raw.pipe(verify);
  const chunks: Buffer[] = [];
  try {
    for await (const c of verify as AsyncIterable<Buffer>) chunks.push(c);
  } finally {
    raw.destroy();
  }
  return Buffer.concat(chunks);
}
