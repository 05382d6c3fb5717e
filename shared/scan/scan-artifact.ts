/**
 * The scan of one image manifest that holds an Apptainer / Singularity image or a squashfs pack as an
 * OCI artifact (apptainer-artifact.ts says which, and which layer): the layer's first bytes, then the
 * parse of the SIF or squashfs file through random access (scan-apptainer.ts, the same readers as for
 * a file on disk), and a verification that hashes the whole blob (blob-access.ts).
 *
 * The result is `verified` only when the verification ended with the blob's digest and size right; a
 * mismatch fails the scan (`digest-mismatch`), as it does for a layer. A parse that fails stops the
 * verification and fails the scan. A file with no Guix profile is `no-profile` when it looks like a
 * Guix pack (a pack's pointers, or a `/gnu/store`), else `not-guix`, both after the verification.
 * A layer whose first bytes are neither SIF nor squashfs is `not-guix` at once: deciding that from 64
 * KiB does not justify hashing a blob of any size.
 */
import { RecipeError, isRecipeError, toRecipeError } from '../errors.js';
import type { Descriptor } from '../content/descriptor.js';
import type { ImageSource } from '../content/image-source.js';
import { DEFAULT_READER_OPTIONS } from '../guix/sexp/reader.js';
import type { ArchiveScan } from './artifact.js';
import { sniffFormat, type ApptainerClaim, type RegistryArtifact } from './apptainer-artifact.js';
import { openBlobAccess, type BlobAccessOptions } from './blob-access.js';
import { scanSif, scanSquashfs } from './scan-apptainer.js';
import type { ScanResult } from './scan-result.js';

export interface ArtifactScanOptions {
  signal: AbortSignal;
  /** Largest Guix profile manifest accepted. Default 16 MiB (the s-expression reader's cap). */
  maxProfileManifestBytes?: number;
  /** A blob larger than this is not hashed when the parse read it through ranges: `verified: false`. Default: no limit. */
  maxDrainBytes?: number;
  /** How blobs are read (read-ahead, cache, memory kept and passes when ranges are ignored). */
  access?: BlobAccessOptions;
}

/** One artifact's result and what reading it cost. */
export interface ArtifactScan {
  result: ScanResult;
  /** Bytes taken from the blob for the parse. */
  bytesRead: number;
  /** Bytes hashed by the verifying pass. */
  bytesHashed: number;
}

/** Scan the artifact `claim` names, for the image manifest `manifest`. Failures are RecipeErrors. */
export async function scanArtifact(
  source: ImageSource,
  manifest: Descriptor,
  claim: Extract<ApptainerClaim, { kind: 'apptainer' }>,
  opts: ArtifactScanOptions,
): Promise<ArtifactScan> {
  const { layer } = claim;
  const ctl = new AbortController();
  const signal = AbortSignal.any([opts.signal, ctl.signal]);
  const access = await openBlobAccess(source, layer, { signal, ...opts.access });
  const format = claim.format ?? sniffFormat(access.head);
  if (format === undefined) {
    ctl.abort();
    return {
      result: {
        kind: 'not-guix',
        manifest,
        reason: `an OCI artifact (${claim.type}) whose layer ${layer.digest} is neither a SIF file nor a squashfs image`,
      },
      bytesRead: access.cost().bytesRead,
      bytesHashed: 0,
    };
  }

  const hashes =
    access.mode === 'streamed' || opts.maxDrainBytes === undefined || layer.size <= opts.maxDrainBytes;
  // The verification runs beside the parse; the first of the two to fail stops the other.
  let verifyFailure: RecipeError | undefined;
  const verifying = hashes
    ? access.verify().catch((err: unknown) => {
        verifyFailure ??= toRecipeError(err);
        ctl.abort(verifyFailure);
        return undefined;
      })
    : Promise.resolve(undefined);
  let parsed: ArchiveScan | undefined;
  let noProfile: RecipeError | undefined;
  try {
    const scan = format === 'sif' ? scanSif : scanSquashfs;
    parsed = await scan(access.reader, {
      signal,
      maxManifestBytes: opts.maxProfileManifestBytes ?? DEFAULT_READER_OPTIONS.maxBytes,
      onTables: (region) => access.keep(region),
    });
  } catch (err) {
    if (isRecipeError(err, 'no-guix-profile')) noProfile = err;
    else {
      const first = verifyFailure;
      ctl.abort(err);
      access.finish();
      await verifying;
      throw first ?? toRecipeError(err);
    }
  } finally {
    access.finish();
  }
  const hashed = await verifying;
  if (verifyFailure !== undefined) throw verifyFailure;
  const verified = hashed !== undefined;
  const cost = { ...access.cost(), bytesHashed: hashed ?? 0 };
  const out = { bytesRead: cost.bytesRead, bytesHashed: cost.bytesHashed };
  if (parsed === undefined) {
    const err = noProfile!;
    const reason = `${layer.digest}: ${err.message}`;
    return {
      ...out,
      result:
        err.details?.packTraces === true
          ? { kind: 'no-profile', manifest, reason }
          : {
              kind: 'not-guix',
              manifest,
              reason: `an OCI artifact (${claim.type}) with no Guix pack in it (${reason})`,
            },
    };
  }
  const artifact: RegistryArtifact = {
    ...parsed.artifact,
    layer,
    classifiedBy: claim.by,
    read: cost,
  };
  if (parsed.artifact.size !== layer.size)
    throw new RecipeError('internal', `read ${parsed.artifact.size} bytes of a ${layer.size}-byte layer`);
  return {
    ...out,
    result: { kind: 'recipe', manifest, recipe: parsed.recipe, verified, rebuild: parsed.rebuild, artifact },
  };
}
