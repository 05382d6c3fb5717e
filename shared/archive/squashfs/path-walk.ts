/**
 * Path resolution inside a squashfs image, the way a container runtime sees the tree once it is
 * mounted as `/`: component by component from the root directory, following symlinks (an absolute
 * target starts again at the image's root; a relative one at the link's directory), with `..` never
 * leaving the root (as in a chroot). Bounded like the kernel's: at most `maxSymlinks` links per
 * resolution (Linux's 40, then ELOOP) and `maxSteps` components in all. A directory whose entry leads
 * back to itself or to one of its ancestors is refused: no real file system has one, and a tree walk
 * that trusted it would never end.
 *
 * Paths and names are byte strings (latin1), compared byte for byte; `displayPath` turns one into
 * text.
 */
import { RecipeError } from '../../errors.js';
import type { DirectoryInode, Inode } from './inode-table.js';
import type { SquashfsImage } from './squashfs-image.js';

/** Bounds of one path resolution, with their defaults. */
export interface WalkLimits {
  /** Most symlinks followed (default 40, as Linux). */
  maxSymlinks: number;
  /** Most path components processed, symlink targets included (default 4096). */
  maxSteps: number;
}

export const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({ maxSymlinks: 40, maxSteps: 4096 });

/** A resolved path: its inode, and the canonical path (every symlink resolved) it was reached at. */
export interface Resolved {
  inode: Inode;
  path: string;
}

interface Frame {
  dir: DirectoryInode;
  name: string;
}

/**
 * Resolve `path` from the image's root. `followFinal`: follow a symlink in the last component (as
 * stat does; lstat does not). Undefined when a component does not exist or is not a directory
 * (ENOENT, ENOTDIR). A symlink loop or an over-long chain (ELOOP), a looping directory or too many
 * steps: `invalid-image`.
 */
export async function resolvePath(
  img: SquashfsImage,
  path: string,
  opts: { followFinal: boolean; limits?: Partial<WalkLimits>; signal: AbortSignal },
): Promise<Resolved | undefined> {
  const limits = { ...DEFAULT_WALK_LIMITS, ...opts.limits };
  const root = await img.root();
  let stack: Frame[] = [{ dir: root, name: '' }];
  let pending = split(path);
  let links = 0;
  let steps = 0;
  let current: Inode = root;
  while (pending.length > 0) {
    opts.signal.throwIfAborted();
    if (++steps > limits.maxSteps)
      throw new RecipeError(
        'invalid-image',
        `resolving ${displayPath(path)} took more than ${limits.maxSteps} steps`,
      );
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      if (stack.length > 1) stack.pop();
      current = stack[stack.length - 1]!.dir;
      continue;
    }
    if (current.kind !== 'directory') return undefined; // ENOTDIR
    const inode = await img.lookup(current, name);
    if (inode === undefined) return undefined; // ENOENT
    if (inode.kind === 'symlink' && (pending.length > 0 || opts.followFinal)) {
      if (++links > limits.maxSymlinks)
        throw new RecipeError(
          'invalid-image',
          `too many levels of symbolic links resolving ${displayPath(path)} (more than ${limits.maxSymlinks})`,
        );
      const target = inode.target;
      if (target === '') return undefined;
      if (target.startsWith('/')) stack = [stack[0]!];
      pending = [...split(target), ...pending];
      current = stack[stack.length - 1]!.dir;
      continue;
    }
    if (inode.kind === 'directory') {
      if (stack.some((f) => f.dir.number === inode.number))
        throw new RecipeError(
          'invalid-image',
          `squashfs directory loop: ${displayPath(canonical(stack) + '/' + name)} is its own ancestor (inode ${inode.number})`,
        );
      stack.push({ dir: inode, name });
      current = inode;
      continue;
    }
    if (pending.length > 0) return undefined; // ENOTDIR: a file in the middle of a path
    return { inode, path: canonical(stack) + '/' + name };
  }
  return { inode: current, path: canonical(stack) || '/' };
}

/**
 * The paths a chain of symlinks passes through, starting at `path`: each link's target taken
 * against the link's canonical directory and normalised lexically. Ends at the first path that is
 * not a symlink (`final`) or does not exist (`final` undefined: a dangling link). More than
 * `maxSymlinks` links: `invalid-image`, as ELOOP.
 */
export async function symlinkChain(
  img: SquashfsImage,
  path: string,
  opts: { limits?: Partial<WalkLimits>; signal: AbortSignal },
): Promise<{ paths: string[]; final: Resolved | undefined }> {
  const limits = { ...DEFAULT_WALK_LIMITS, ...opts.limits };
  const paths = [normalize(path)];
  let cur = paths[0]!;
  for (let i = 0; i <= limits.maxSymlinks; i++) {
    const r = await resolvePath(img, cur, { followFinal: false, limits, signal: opts.signal });
    if (r === undefined || r.inode.kind !== 'symlink') return { paths, final: r };
    if (r.inode.target === '') return { paths, final: undefined };
    const dir = r.path.slice(0, r.path.lastIndexOf('/'));
    cur = normalize(r.inode.target.startsWith('/') ? r.inode.target : `${dir}/${r.inode.target}`);
    paths.push(cur);
  }
  throw new RecipeError(
    'invalid-image',
    `too many levels of symbolic links from ${displayPath(path)} (more than ${limits.maxSymlinks})`,
  );
}

/** `path` with `.`, `..` (never above the root) and repeated slashes resolved lexically. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const c of split(path)) {
    if (c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

/** A byte-string path as text (UTF-8, invalid bytes replaced). */
export function displayPath(path: string): string {
  return Buffer.from(path, 'latin1').toString('utf8');
}

function split(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}

function canonical(stack: Frame[]): string {
  return stack
    .slice(1)
    .map((f) => '/' + f.name)
    .join('');
}
