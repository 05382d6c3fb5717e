/**
 * Squashfs images for the tests, made by the real `mksquashfs` (Debian's squashfs-tools) from a tree
 * staged in a temporary directory, with the options Guix's `squashfs-image` passes (no xattrs, all
 * times 1 s after the epoch, owner root). Symlinks are staged as they are meant to be stored (their
 * target text is kept verbatim, absolute ones too).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One node of the tree: a file (its content), a symlink (its target) or an empty directory. */
export type Tree = Record<string, { file: string | Uint8Array } | { symlink: string } | { dir: true }>;

export interface BuildOptions {
  compression?: 'gzip' | 'xz' | 'zstd';
  /** Store inodes, directories, data and fragments uncompressed (so a test can patch them). */
  uncompressed?: boolean;
  /** No fragments: every file in its own blocks. */
  noFragments?: boolean;
  /** Block size (default 128 KiB). */
  blockSize?: number;
  /** The compressor's level (`-Xcompression-level`; default: mksquashfs's). */
  compressionLevel?: number;
}

/** Build a squashfs image of `tree` (paths relative to the image's root). */
export function buildSquashfs(tree: Tree, opts: BuildOptions = {}): Buffer {
  const tmp = mkdtempSync(join(tmpdir(), 'guix-recipes-squashfs-'));
  try {
    const root = join(tmp, 'root');
    stageTree(tree, root);
    const out = join(tmp, 'image.squashfs');
    mksquashfs(root, out, opts);
    return readFileSync(out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Write `tree` under the directory `root` (made if missing). */
export function stageTree(tree: Tree, root: string): void {
  mkdirSync(root, { recursive: true });
  for (const [path, node] of Object.entries(tree)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if ('file' in node) writeFileSync(full, node.file);
    else if ('symlink' in node) symlinkSync(node.symlink, full);
    else mkdirSync(full, { recursive: true });
  }
}

/** Run mksquashfs on the directory `root`, writing the image to the file `out`. */
export function mksquashfs(root: string, out: string, opts: BuildOptions = {}): void {
  const args = [
    root,
    out,
    '-noappend',
    '-no-recovery',
    '-no-xattrs',
    '-all-time',
    '1',
    '-mkfs-time',
    '1',
    '-all-root',
    '-quiet',
    '-no-progress',
    '-comp',
    opts.compression ?? 'gzip',
    '-b',
    String(opts.blockSize ?? 131072),
    ...(opts.uncompressed ? ['-noI', '-noD', '-noF'] : []),
    ...(opts.noFragments ? ['-no-fragments'] : []),
    ...(opts.compressionLevel !== undefined ? ['-Xcompression-level', String(opts.compressionLevel)] : []),
  ];
  const r = spawnSync('mksquashfs', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mksquashfs failed (${r.status}): ${r.stderr || String(r.error)}`);
}

/** Made-up but well-formed store item hashes (nix-base32). */
export const HASH = {
  profile: '3gv5kxr28h7b55vflyc0da0mvlm04c1d',
  environment: 'h4kkq2k4d1m68r16zvaxi81xsxsqcn17',
  other: 'lzsg612h4jbngzldhcn92cr8c4d65pwx',
  decoy: 'b7qa1kndp8ibwq7r9wl4p3iliqx3vpyl',
  python: 'lbcpy6c9gryrkwf52hbssggqnh9jnifa',
};

export const PROFILE = `gnu/store/${HASH.profile}-profile`;
const ENVIRONMENT = `gnu/store/${HASH.environment}-singularity-environment.sh`;

export interface PackOptions {
  /** The profile's `manifest` text. */
  manifest: string;
  /** `--entry-point` (relative to the profile). */
  entryPoint?: string;
  /** Leave out `/bin`, the environment script, or the empty mount points. */
  noBin?: boolean;
  noEnvironment?: boolean;
  /** More nodes, added last (they may replace the pack's). */
  extra?: Tree;
}

/** The tree Guix's `squashfs-image` makes for a profile (one store item besides the profile). */
export function guixPackTree(opts: PackOptions): Tree {
  const tree: Tree = {
    [`${PROFILE}/manifest`]: { file: opts.manifest },
    [`${PROFILE}/etc/profile`]: { file: 'export PATH="$GUIX_PROFILE/bin"\n' },
    [`${PROFILE}/bin/python3`]: { symlink: `../../${HASH.python}-python-3.8.2/bin/python3` },
    [`gnu/store/${HASH.python}-python-3.8.2/bin/python3`]: { file: '#!/bin/sh\n' },
    '.singularity.d/actions': { dir: true },
  };
  if (!opts.noBin) tree['bin'] = { symlink: `${PROFILE}/bin` };
  if (!opts.noEnvironment) {
    tree[ENVIRONMENT] = { file: `. /${PROFILE}/etc/profile\n` };
    tree['.singularity.d/env/90-environment.sh'] = { symlink: `../../${ENVIRONMENT}` };
  }
  if (opts.entryPoint !== undefined) {
    tree['.singularity.d/actions/run'] = { symlink: `../../${PROFILE}/${opts.entryPoint}` };
    tree['.singularity.d/runscript'] = { symlink: `../${PROFILE}/${opts.entryPoint}` };
  }
  for (const d of ['proc', 'sys', 'dev', 'home', 'tmp']) tree[d] = { dir: true };
  return { ...tree, ...opts.extra };
}

/** The offset of the one occurrence of `needle` in `hay` (throws when absent or repeated). */
export function findUnique(hay: Uint8Array, needle: Uint8Array, from = 0, to = hay.length): number {
  const h = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).subarray(0, to);
  const at = h.indexOf(needle, from);
  if (at < 0) throw new Error('pattern not found');
  if (h.indexOf(needle, at + 1) >= 0) throw new Error('pattern found more than once');
  return at;
}
