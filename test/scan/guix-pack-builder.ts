// Builds docker-archive files the way `guix pack -f docker` does (Guix's `docker-image` in
// guix/scripts/pack.scm and `build-docker-image` in guix/docker.scm), for the options the tests give:
// `-S`, `--entry-point` and `-A`, `--image-tag`, `--localstatedir`, `--max-layers`, `-C`, `-R`/`-RR`.
// Store items are small synthetic files; the layout, names and order are Guix's.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { canonicalizeRepositoryName, friendlyName } from '../../shared/guix/docker-image-name.js';
import type { Member } from './image-builder.js';

export interface StoreItem {
  /** `<hash>-<name>`, without `/gnu/store/`. */
  name: string;
  /** Files inside the item: relative path -> content (a `-> target` string makes a symlink). */
  files: Record<string, string>;
}

export interface PackSpec {
  /** The profile's store path, `/gnu/store/<hash>-profile`. */
  profile: string;
  /** The profile's `manifest` text. */
  manifest: string;
  /** Top-level entry names (the friendly name is made of them). */
  entryNames: string[];
  /** The other store items of the closure, largest first. */
  items?: StoreItem[];
  /** `-S SOURCE=TARGET`, in the order the layer holds them. */
  symlinks?: { source: string; target: string }[];
  entryPoint?: string;
  entryPointArguments?: string[];
  /** `--image-tag` as given on the command line. */
  imageTag?: string;
  localStateDir?: boolean;
  maxLayers?: number;
  /** `-C`: default gzip. */
  compression?: 'gzip' | 'zstd' | 'none';
  architecture?: string;
  /** History entries after Guix's (an image built on top). */
  extraHistory?: string[];
  /** An entrypoint Guix would not write (an image changed after guix pack). */
  foreignEntrypoint?: string[];
}

const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A tar of these members, in order, as Guix's tar calls make them: mtime 1, owner and group 0. */
async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = {
      name: m.name,
      type,
      mode: type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644,
      mtime: new Date(1000),
      uid: 0,
      gid: 0,
      ...(m.linkname !== undefined && { linkname: m.linkname }),
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file') pack.entry(header, m.content ?? '', (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The members of the extra files (`tmp`, the store directory, `-S` links, `var/guix`), Guix's order. */
function extraMembers(spec: PackSpec): Member[] {
  // Top-level names in `scandir` order; inside, the order the directives made them.
  const byTop = new Map<string, Member[]>();
  const add = (m: Member): void => {
    const top = m.name.split('/')[0]!;
    if (!byTop.has(top)) byTop.set(top, []);
    const list = byTop.get(top)!;
    if (!list.some((x) => x.name === m.name)) list.push(m);
  };
  add({ name: 'tmp/', type: 'directory' });
  add({ name: 'gnu/', type: 'directory' });
  add({ name: 'gnu/store/', type: 'directory' });
  for (const s of spec.symlinks ?? []) {
    const parts = s.source.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++)
      add({ name: `${parts.slice(0, i).join('/')}/`, type: 'directory' });
    add({ name: parts.join('/'), type: 'symlink', linkname: `${spec.profile}/${s.target}` });
  }
  if (spec.localStateDir) {
    for (const d of ['var/', 'var/guix/', 'var/guix/db/']) add({ name: d, type: 'directory' });
    add({ name: 'var/guix/db/db.sqlite', content: 'SQLite format 3\0' });
    for (const d of ['var/guix/gcroots/', 'var/guix/profiles/', 'var/guix/profiles/per-user/'])
      add({ name: d, type: 'directory' });
    add({ name: 'var/guix/gcroots/profiles', type: 'symlink', linkname: '/var/guix/profiles' });
    add({ name: 'var/guix/profiles/per-user/root/', type: 'directory' });
    add({
      name: 'var/guix/profiles/per-user/root/guix-profile-1-link',
      type: 'symlink',
      linkname: spec.profile,
    });
    add({
      name: 'var/guix/profiles/per-user/root/guix-profile',
      type: 'symlink',
      linkname: 'guix-profile-1-link',
    });
  }
  return [...byTop.keys()].sort().flatMap((k) => byTop.get(k)!);
}

function itemMembers(item: StoreItem): Member[] {
  const out: Member[] = [{ name: `gnu/store/${item.name}/`, type: 'directory' }];
  for (const [rel, content] of Object.entries(item.files)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `gnu/store/${item.name}/${parts.slice(0, i).join('/')}/`;
      if (!out.some((m) => m.name === dir)) out.push({ name: dir, type: 'directory' });
    }
    const name = `gnu/store/${item.name}/${rel}`;
    out.push(
      content.startsWith('-> ') ? { name, type: 'symlink', linkname: content.slice(3) } : { name, content },
    );
  }
  return out;
}

/** The profile store item: its manifest, etc/profile and a bin/ of links. */
function profileItem(spec: PackSpec): StoreItem {
  return {
    name: spec.profile.slice('/gnu/store/'.length),
    files: { manifest: spec.manifest, 'etc/profile': `export PATH="${spec.profile}/bin"\n` },
  };
}

function compress(tar: Buffer, c: PackSpec['compression']): Buffer {
  if (c === 'none') return tar;
  if (c === 'zstd') return execFileSync('zstd', ['-3', '-c', '-q'], { input: tar });
  return gzipSync(tar, { level: 9 });
}

/** The archive bytes `guix pack -f docker` would write for `spec`. */
export async function buildGuixPack(spec: PackSpec): Promise<Buffer> {
  const items = [...(spec.items ?? []), profileItem(spec)];
  const layers: Buffer[] = [];
  if (spec.maxLayers === undefined) {
    layers.push(await tarOf([...extraMembers(spec), ...items.flatMap(itemMembers)]));
  } else {
    // size-sorted-store-items: the first N-2 (or n-1) items alone, the rest in one tail layer.
    const n = items.length;
    const alone = n >= spec.maxLayers ? spec.maxLayers - 2 : n - 1;
    for (const item of items.slice(0, alone)) layers.push(await tarOf(itemMembers(item)));
    layers.push(await tarOf(items.slice(alone).flatMap(itemMembers)));
    layers.push(await tarOf(extraMembers(spec)));
  }
  const diffIds = layers.map((l) => `sha256:${hex(l)}`);
  const config = {
    architecture: spec.architecture ?? 'amd64',
    comment: 'Generated by GNU Guix',
    created: '1970-01-01T00:00:01Z',
    config: {
      env: [`PATH=${spec.profile}/bin`],
      ...(spec.entryPoint !== undefined && {
        entrypoint: [`${spec.profile}/${spec.entryPoint}`, ...(spec.entryPointArguments ?? [])],
      }),
      ...(spec.foreignEntrypoint !== undefined && { entrypoint: spec.foreignEntrypoint }),
    },
    container_config: null,
    history: [
      { created: '1970-01-01T00:00:01Z', created_by: 'guix pack -f docker', comment: 'guix pack' },
      ...(spec.extraHistory ?? []).map((h) => ({ created_by: h })),
    ],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const name = canonicalizeRepositoryName(spec.imageTag ?? friendlyName(spec.entryNames));
  const id = hex(spec.profile);
  const members: Member[] = [];
  let layerPaths: string[];
  if (spec.maxLayers === undefined) {
    layerPaths = [`${id}/layer.tar`];
    members.push(
      { name: './', type: 'directory' },
      { name: `./${id}/`, type: 'directory' },
      { name: `./${id}/VERSION`, content: '1.0' },
      {
        name: `./${id}/json`,
        content: JSON.stringify({ id, created: '1970-01-01T00:00:01Z', container_config: null }),
      },
      { name: `./${id}/layer.tar`, content: layers[0]! },
      { name: './config.json', content: JSON.stringify(config) },
      {
        name: './manifest.json',
        content: JSON.stringify([
          { Config: 'config.json', RepoTags: [`${name}:latest`], Layers: layerPaths },
        ]),
      },
      { name: './repositories', content: JSON.stringify({ [name]: { latest: id } }) },
    );
  } else {
    layerPaths = diffIds.map((d) => `${d}/layer.tar`);
    layers.forEach((l, i) => members.push({ name: layerPaths[i]!, content: l }));
    members.push(
      {
        name: 'manifest.json',
        content: JSON.stringify([
          { Config: 'config.json', RepoTags: [`${name}:latest`], Layers: layerPaths },
        ]),
      },
      { name: 'config.json', content: JSON.stringify(config) },
    );
  }
  return compress(await tarOf(members), spec.compression);
}
