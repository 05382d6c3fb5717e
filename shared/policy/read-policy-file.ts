/**
 * A policy file from disk (the CLI's `--policy FILE`, the service's configured policy files): read
 * with a size cap, only if it is a regular file (a FIFO would block, a device never end), then parsed
 * and validated. Messages name the file as given.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RecipeError } from '../errors.js';
import { parsePolicyText, type ParsePolicyOptions } from './parse-policy.js';
import { DEFAULT_YAML_LIMITS } from './policy-yaml.js';
import type { PolicyDocument } from './policy-schema.js';

export interface ReadPolicyFileOptions {
  /** Relative paths resolve against it. Default: the process's working directory. */
  cwd?: string;
  signal?: AbortSignal;
  limits?: ParsePolicyOptions['limits'];
}

/** Read and validate a policy file. Throws RecipeError `invalid-policy` (bad document) or `not-found`. */
export async function readPolicyFile(
  path: string,
  opts: ReadPolicyFileOptions = {},
): Promise<PolicyDocument> {
  const max = opts.limits?.maxBytes ?? DEFAULT_YAML_LIMITS.maxBytes;
  opts.signal?.throwIfAborted();
  const full = resolve(opts.cwd ?? process.cwd(), path);
  const handle = await open(full, constants.O_RDONLY | constants.O_NONBLOCK).catch(
    (err: NodeJS.ErrnoException) => {
      throw new RecipeError(
        'not-found',
        `cannot read the policy ${path}: ${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)}`,
        { cause: err },
      );
    },
  );
  let bytes: Buffer;
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new RecipeError('invalid-policy', `${path}: not a regular file`);
    if (st.size > max)
      throw new RecipeError(
        'invalid-policy',
        `${path}: the document is too large (${st.size} bytes; at most ${max})`,
      );
    const buf = Buffer.alloc(max + 1);
    let total = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buf, total, buf.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > max)
        throw new RecipeError(
          'invalid-policy',
          `${path}: the document is too large (more than ${max} bytes)`,
        );
    }
    bytes = buf.subarray(0, total);
  } finally {
    await handle.close();
  }
  return parsePolicyText(bytes, { source: path, ...(opts.limits ? { limits: opts.limits } : {}) });
}
