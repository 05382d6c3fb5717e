/**
 * A small blob (child manifest, config) read whole from an ImageSource: size-capped before the first
 * byte. Size and digest are the source's promise (verified-source.ts), not checked again here: the
 * stream never yields more than `desc.size` bytes and fails at its end on a mismatch.
 */
import { RecipeError } from '../errors.js';
import type { Descriptor } from './descriptor.js';
import type { ImageSource } from './image-source.js';

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
  const stream = await source.fetch(desc, { signal: opts.signal });
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
