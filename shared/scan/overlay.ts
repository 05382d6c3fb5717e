/**
 * Overlay semantics over layer summaries, top layer first: the upper layer wins, whiteouts and opaque
 * directories delete, a non-directory hides everything a lower layer has beneath it. Symlinks (absolute
 * or relative) resolve inside the image only: the image root is the root, `..` stops there, and a
 * bounded number of hops catches loops. Nothing here touches a file system.
 */
import { RecipeError } from '../errors.js';
import type { LayerSummary, SummaryNode } from './layer-cache.js';

/** Linux's MAXSYMLINKS. */
export const MAX_SYMLINK_HOPS = 40;
/** Bound on path components processed in one resolution (long targets times hops). */
const MAX_COMPONENTS = 4096;

/** A summary indexed for lookups (built once per summary, or live while a layer is being read). */
export class LayerView {
  readonly nodes = new Map<string, SummaryNode>();
  readonly opaque = new Set<string>();
  /** Proper ancestors of recorded nodes: directories the layer has, recorded or not. */
  readonly impliedDirs = new Set<string>();
  complete: boolean;

  constructor(complete: boolean) {
    this.complete = complete;
  }

  add(node: SummaryNode): void {
    this.nodes.delete(node.path);
    this.nodes.set(node.path, node);
    for (let i = node.path.indexOf('/'); i >= 0; i = node.path.indexOf('/', i + 1))
      this.impliedDirs.add(node.path.slice(0, i));
  }

  addOpaque(dir: string): void {
    this.opaque.add(dir);
    for (let i = dir.indexOf('/'); i >= 0; i = dir.indexOf('/', i + 1)) this.impliedDirs.add(dir.slice(0, i));
    if (dir !== '') this.impliedDirs.add(dir);
  }

  /** The node this layer has at exactly `path` (an implied directory counts), if any. */
  at(path: string): SummaryNode | undefined {
    const node = this.nodes.get(path);
    // A whiteout with members beneath it in the same layer: deleted below, recreated as a directory here.
    if (node !== undefined && !(node.type === 'whiteout' && this.impliedDirs.has(path))) return node;
    return this.impliedDirs.has(path) ? { path, type: 'directory' } : undefined;
  }
}

const views = new WeakMap<LayerSummary, LayerView>();

/** The (memoised) view of a summary. */
export function viewOf(summary: LayerSummary): LayerView {
  let v = views.get(summary);
  if (v === undefined) {
    v = new LayerView(summary.complete);
    for (const n of summary.nodes) v.add(n);
    for (const d of summary.opaque) v.addOpaque(d);
    views.set(summary, v);
  }
  return v;
}

/** What a path is in the merged image, without following a symlink at the path itself. */
export type Lookup =
  | { kind: 'node'; node: SummaryNode; layer: number }
  | { kind: 'absent' }
  /** Layer `layer` is not loaded, or partial and silent about this path: read it to decide. */
  | { kind: 'unknown'; layer: number };

/** Look `path` up through `layers` (index 0 = top; `undefined` = not loaded yet). */
export function lookupExact(layers: readonly (LayerView | undefined)[], path: string): Lookup {
  const ancestors: string[] = [];
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) ancestors.push(path.slice(0, i));
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (layer === undefined) return { kind: 'unknown', layer: i };
    const node = layer.at(path);
    if (node !== undefined)
      return node.type === 'whiteout' ? { kind: 'absent' } : { kind: 'node', node, layer: i };
    // This layer hides what lower layers hold under an ancestor it deletes, replaces or makes opaque.
    if (layer.opaque.has('')) return { kind: 'absent' };
    for (const a of ancestors) {
      if (layer.opaque.has(a)) return { kind: 'absent' };
      const an = layer.nodes.get(a);
      if (an !== undefined && an.type !== 'directory') return { kind: 'absent' };
    }
    if (!layer.complete) return { kind: 'unknown', layer: i };
  }
  return { kind: 'absent' };
}

export type Resolution =
  | { kind: 'file'; path: string; node: Extract<SummaryNode, { type: 'file' }>; layer: number }
  | { kind: 'absent'; reason: string }
  | { kind: 'unknown'; layer: number };

/** Where a path leads once every symlink on the way is followed: a node of any type but symlink. */
export type PathResolution =
  | { kind: 'node'; path: string; node: SummaryNode; layer: number }
  | { kind: 'absent'; reason: string }
  | { kind: 'unknown'; layer: number };

/**
 * Resolve `path` (relative to the image root) through symlinks, inside the image, to a regular file.
 * Throws `invalid-image` on a symlink loop (more than MAX_SYMLINK_HOPS hops).
 */
export function resolveFile(layers: readonly (LayerView | undefined)[], path: string): Resolution {
  const r = resolvePath(layers, path);
  if (r.kind !== 'node') return r;
  if (r.node.type !== 'file')
    return {
      kind: 'absent',
      reason:
        r.node.type === 'directory'
          ? `/${path} resolves to a directory`
          : `/${path} resolves to /${r.path}, not a file`,
    };
  return { kind: 'file', path: r.path, node: r.node, layer: r.layer };
}

/**
 * Resolve `path` (relative to the image root) through symlinks, inside the image: the node it
 * names (a directory, a file...) at its path with every link followed. Throws `invalid-image` on a
 * symlink loop (more than MAX_SYMLINK_HOPS hops).
 */
export function resolvePath(layers: readonly (LayerView | undefined)[], path: string): PathResolution {
  const queue = path.split('/').reverse(); // pop() takes the next component
  const cur: string[] = [];
  let hops = 0;
  let processed = 0;
  let last: Lookup | undefined;
  while (queue.length > 0) {
    const c = queue.pop() as string;
    if (++processed > MAX_COMPONENTS)
      throw new RecipeError('invalid-image', `resolving /${path}: symlink targets too long`);
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur.pop(); // never above the image root
      last = undefined;
      continue;
    }
    const p = cur.length === 0 ? c : `${cur.join('/')}/${c}`;
    const r = lookupExact(layers, p);
    if (r.kind === 'unknown') return r;
    if (r.kind === 'absent') return { kind: 'absent', reason: `/${p} does not exist in the image` };
    const node = r.node;
    if (node.type === 'symlink') {
      if (++hops > MAX_SYMLINK_HOPS)
        throw new RecipeError('invalid-image', `resolving /${path}: too many levels of symbolic links`, {
          details: { path: `/${path}` },
        });
      if (node.target.startsWith('/')) cur.length = 0;
      const parts = node.target.split('/');
      if (parts.length + queue.length > MAX_COMPONENTS)
        throw new RecipeError('invalid-image', `resolving /${path}: symlink targets too long`);
      for (let k = parts.length - 1; k >= 0; k--) queue.push(parts[k] as string);
      last = undefined;
      continue;
    }
    const more = queue.some((x) => x !== '' && x !== '.');
    if (more && node.type !== 'directory') return { kind: 'absent', reason: `/${p} is not a directory` };
    cur.push(c);
    last = r;
  }
  if (last === undefined || last.kind !== 'node') {
    if (cur.length > 0) {
      // After a `..` or a link: the path is a directory's (a node was seen there on the way).
      const again = lookupExact(layers, cur.join('/'));
      if (again.kind === 'node')
        return { kind: 'node', path: cur.join('/'), node: again.node, layer: again.layer };
      if (again.kind === 'unknown') return again;
    }
    return { kind: 'absent', reason: `/${path} resolves to the image root` };
  }
  return { kind: 'node', path: cur.join('/'), node: last.node, layer: last.layer };
}
