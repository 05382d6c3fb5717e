/**
 * `oci:DIR[:REF]`: an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md).
 * `index.json` names the images; REF picks the one whose `org.opencontainers.image.ref.name` annotation
 * equals it (without REF the layout must hold exactly one). Blobs are `blobs/<alg>/<hex>`, served as
 * they are with their file size announced; the VerifiedSource around the raw source checks size and
 * digest, once. The layout is reached through `LayoutFiles`, so the same code reads a directory (here)
 * and a tar of one (oci-archive-source.ts).
 */
import { createReadStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { RecipeError } from '../../errors.js';
import { digestHex, digestAlgorithm, isDigest } from '../../content/digest.js';
import { type Descriptor } from '../../content/descriptor.js';
import type { FetchOptions, RawBlob, RawImageSource, RawManifest } from '../../content/image-source.js';
import { MediaType } from '../../content/media-types.js';
import { parseDescriptor } from '../../content/descriptor.js';
import { verifiedSource, type VerifiedSource } from '../../content/verified-source.js';

/** The ref-name annotation of index.json entries. */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Read access to the files of a layout, by relative path. */
export interface LayoutFiles {
  /** A whole file, at most `max` bytes; undefined when absent. */
  read(rel: string, max: number, signal: AbortSignal): Promise<Buffer | undefined>;
  /** A file as a stream (optionally an inclusive byte range, inside the file as the caller checked), and its size; undefined when absent. */
  open(rel: string, opts: FetchOptions): Promise<{ stream: Readable; size: number } | undefined>;
}

export interface OciLayoutOptions {
  signal: AbortSignal;
  /** Largest index.json or manifest accepted. Default 4 MiB. */
  maxJsonBytes?: number;
}

/** The path of a blob inside a layout (the digest is validated: no traversal through it). */
export function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new RecipeError('invalid-image', `not a valid digest: ${digest.slice(0, 80)}`);
  return `blobs/${digestAlgorithm(digest)}/${digestHex(digest)}`;
}

export class OciLayoutSource implements RawImageSource {
  #top: RawManifest | undefined;
  readonly #maxJson: number;

  constructor(
    readonly name: string,
    private readonly files: LayoutFiles,
    private readonly ref: string | undefined,
    opts: { maxJsonBytes?: number } = {},
  ) {
    this.#maxJson = opts.maxJsonBytes ?? 4 * 1024 * 1024;
  }

  /** The chosen image's manifest, read once and then held (its bytes are hashed by the wrapper). */
  async manifest(opts: { signal: AbortSignal }): Promise<RawManifest> {
    if (this.#top) return this.#top;
    const layout = await this.files.read('oci-layout', 64 * 1024, opts.signal);
    if (layout === undefined)
      throw new RecipeError('invalid-image', `${this.name}: not an OCI layout (no oci-layout file)`);
    const indexBytes = await this.files.read('index.json', this.#maxJson, opts.signal);
    if (indexBytes === undefined) throw new RecipeError('invalid-image', `${this.name}: no index.json`);
    let index: unknown;
    try {
      index = JSON.parse(indexBytes.toString('utf8'));
    } catch (err) {
      throw new RecipeError('invalid-image', `${this.name}: index.json is not JSON`, { cause: err });
    }
    const list = (index as { manifests?: unknown } | null)?.manifests;
    if (!Array.isArray(list))
      throw new RecipeError('invalid-image', `${this.name}: index.json lists no manifests`);
    const descs = list.map((d, i) => parseDescriptor(d, `${this.name} index.json manifests[${i}]`));
    const refs = descs.map((d) => d.annotations?.[REF_NAME]).filter((r): r is string => r !== undefined);
    let chosen: Descriptor | undefined;
    if (this.ref !== undefined) {
      chosen = descs.find((d) => d.annotations?.[REF_NAME] === this.ref);
      if (!chosen)
        throw new RecipeError(
          'not-found',
          `${this.name}: no image named ${this.ref} (it has: ${refs.join(', ') || 'none'})`,
          {
            details: { refs },
          },
        );
    } else if (descs.length === 1) {
      chosen = descs[0];
    } else {
      throw new RecipeError(
        'usage',
        `${this.name}: the layout holds ${descs.length} images; name one with :REF (${refs.join(', ') || 'no names'})`,
        { details: { refs } },
      );
    }
    const descriptor = chosen as Descriptor;
    if (descriptor.size > this.#maxJson)
      throw new RecipeError(
        'size-limit',
        `${this.name}: manifest ${descriptor.digest} is larger than ${this.#maxJson} bytes`,
      );
    const bytes = await this.files.read(blobPath(descriptor.digest), this.#maxJson, opts.signal);
    if (bytes === undefined)
      throw new RecipeError('invalid-image', `${this.name}: manifest ${descriptor.digest} is missing`);
    this.#top = {
      bytes,
      mediaType: descriptor.mediaType || MediaType.OciManifest,
      digest: descriptor.digest,
      size: descriptor.size,
      ...(descriptor.annotations ? { annotations: descriptor.annotations } : {}),
    };
    return this.#top;
  }

  async fetch(desc: Descriptor, opts: FetchOptions): Promise<RawBlob> {
    const file = await this.files.open(blobPath(desc.digest), opts);
    if (file === undefined)
      throw new RecipeError('not-found', `${this.name} blob ${desc.digest}: not in the layout`);
    return { stream: file.stream, announced: { size: file.size } };
  }
}

/** Read size for blob files: 1 MiB reads cost far less per byte than the 64 KiB default. */
const FILE_CHUNK_BYTES = 1024 * 1024;

/** LayoutFiles over a directory. */
export function directoryFiles(dir: string): LayoutFiles {
  return {
    async read(rel, max, signal) {
      signal.throwIfAborted();
      let fh;
      try {
        fh = await openFile(join(dir, rel), 'r');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined;
        throw new RecipeError('invalid-image', `${dir}: cannot read ${rel}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      try {
        const { size } = await fh.stat();
        if (size > max) throw new RecipeError('size-limit', `${dir}/${rel} is larger than ${max} bytes`);
        const buf = Buffer.alloc(size);
        const { bytesRead } = await fh.read(buf, 0, size, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    async open(rel, opts) {
      let fh;
      try {
        fh = await openFile(join(dir, rel), 'r');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined;
        throw new RecipeError('invalid-image', `${dir}: cannot read ${rel}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const { size } = await fh.stat();
      const range = opts.range;
      const stream = createReadStream('', {
        fd: fh,
        highWaterMark: FILE_CHUNK_BYTES,
        ...(range && { start: range.start, end: range.end }),
      });
      return { stream: addAbortSignal(opts.signal, stream), size };
    },
  };
}

/** Open `oci:DIR[:REF]` (DIR and REF already split by the caller). */
export async function openOciLayout(
  dir: string,
  ref: string | undefined,
  opts: OciLayoutOptions,
): Promise<VerifiedSource<OciLayoutSource>> {
  const raw = new OciLayoutSource(
    `oci:${dir}${ref !== undefined ? `:${ref}` : ''}`,
    directoryFiles(dir),
    ref,
    opts,
  );
  return openedLayout(raw, opts);
}

/**
 * The ImageSource over a layout source, its manifest read and verified now: what is not a layout, or
 * holds a broken manifest, fails at open. The wrapper keeps that verification (the held bytes are
 * not hashed again when the scan asks).
 */
export async function openedLayout(
  raw: OciLayoutSource,
  opts: OciLayoutOptions,
): Promise<VerifiedSource<OciLayoutSource>> {
  const source = verifiedSource(raw, { maxManifestBytes: opts.maxJsonBytes ?? 4 * 1024 * 1024 });
  await source.manifest({ signal: opts.signal });
  return source;
}
