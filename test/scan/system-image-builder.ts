// Builds Guix system images the way `guix system image -t docker` lays them out (Guix's
// `system-docker-image` in gnu/system/image.scm over `build-docker-image` in guix/docker.scm): the
// system directory whose links `provenance-service-type` adds, the store items they lead to, the
// system profile, and the root file system with `var/guix/profiles/system-1-link`. The texts are the
// fixture's (test/fixtures/system-images/system-basic, written by Guix's own provenance writers);
// the variants the tests need (layers, odd links, other texts) are made from parts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageOf, tarOf, type BuiltImage, type Member } from './image-builder.js';

export const SYSTEM_FIXTURE_DIR = fileURLToPath(
  new URL('../fixtures/system-images/system-basic/', import.meta.url),
);
export const SYSTEM_FIXTURE_ARCHIVE = join(SYSTEM_FIXTURE_DIR, 'image.tar.gz');
const fx = (file: string): string => readFileSync(join(SYSTEM_FIXTURE_DIR, file), 'utf8');

/** The fixture's texts, as its system stores them. */
export const FIXTURE = {
  system: fx('system-path').trim(),
  provenance: fx('provenance'),
  channels: fx('channels.scm'),
  configuration: fx('configuration.scm'),
};

/** The fixture's channel commit (the provenance file's and channels.scm's). */
export const FIXTURE_COMMIT = /\(commit "([0-9a-f]{40})"\)/.exec(FIXTURE.provenance)![1]!;

/** Store paths of a synthetic system (the configuration's is the one the fixture's provenance names). */
export const SYS = {
  system: FIXTURE.system,
  provenance: '/gnu/store/5a4wj4lnhp7msl0qd1pfgpv4h71f3h95-provenance',
  channels: '/gnu/store/rh7rcyxa4fv3jqjqsc0b4jlrz7d01n2p-channels.scm',
  configuration: /\(configuration-file "([^"]+)"\)/.exec(FIXTURE.provenance)![1]!,
  profile: '/gnu/store/0m80gvkg9rrk295m1jma389zcswz2khx-profile',
  boot: '/gnu/store/746s6w84xgr2lhj9nj6xh2z4x75iriqa-boot-program',
  python: '/gnu/store/axa404i9prnrlqaacya85hb3p0p0qcwa-python-3.10.7',
};

/** The system profile's manifest: no provenance, as `guix system` writes it. */
export const SYSTEM_PROFILE_MANIFEST =
  ';; This file was automatically generated and is for internal use only.\n' +
  '(manifest\n  (version 4)\n  (packages\n    (("python"\n      "3.10.7"\n      "out"\n' +
  `      "${SYS.python}"))))\n`;

const rel = (p: string): string => p.replace(/^\/+/, '');

/** Names of the system directory's links, as `provenance-service-type` makes them. */
export type SystemEntry = 'provenance' | 'channels.scm' | 'configuration.scm' | 'profile';

/** The system directory: a directory, its `parameters`, and a link per entry given. */
export function systemDirMembers(links: Partial<Record<SystemEntry, string>>, system = SYS.system): Member[] {
  const out: Member[] = [
    { name: `${rel(system)}/`, type: 'directory' },
    { name: `${rel(system)}/parameters`, content: '(boot-parameters (version 0))' },
  ];
  for (const [entry, target] of Object.entries(links))
    out.push({ name: `${rel(system)}/${entry}`, type: 'symlink', linkname: target });
  return out;
}

/** The default links: absolute, to the default store items. */
export const DEFAULT_LINKS: Record<SystemEntry, string> = {
  provenance: SYS.provenance,
  'channels.scm': SYS.channels,
  'configuration.scm': SYS.configuration,
  profile: SYS.profile,
};

/** Store files with these texts (a member per text given). */
export function provenanceItems(texts: {
  provenance?: string | Buffer;
  channels?: string | Buffer;
  configuration?: string | Buffer;
}): Member[] {
  const out: Member[] = [];
  if (texts.provenance !== undefined) out.push({ name: rel(SYS.provenance), content: texts.provenance });
  if (texts.channels !== undefined) out.push({ name: rel(SYS.channels), content: texts.channels });
  if (texts.configuration !== undefined)
    out.push({ name: rel(SYS.configuration), content: texts.configuration });
  return out;
}

/** The system profile and a package, and the boot program. */
export function profileItems(): Member[] {
  return [
    { name: `${rel(SYS.boot)}`, content: '#!guile\n' },
    { name: `${rel(SYS.python)}/`, type: 'directory' },
    { name: `${rel(SYS.python)}/bin/python3`, content: 'python\n' },
    { name: `${rel(SYS.profile)}/`, type: 'directory' },
    { name: `${rel(SYS.profile)}/manifest`, content: SYSTEM_PROFILE_MANIFEST },
  ];
}

/** The root file system `populate-root-file-system` writes, `system-1-link` to `system`. */
export function rootMembers(system: string = SYS.system): Member[] {
  return [
    { name: 'etc/', type: 'directory' },
    { name: 'var/guix/profiles/', type: 'directory' },
    { name: 'var/guix/profiles/system-1-link', type: 'symlink', linkname: system },
    { name: 'var/guix/profiles/system', type: 'symlink', linkname: 'system-1-link' },
    { name: 'var/guix/gcroots/current-system', type: 'symlink', linkname: '/run/current-system' },
  ];
}

/** Every member of a plain system image with provenance, in one list. */
export function fullSystemMembers(): Member[] {
  return [
    ...profileItems(),
    ...provenanceItems(FIXTURE),
    ...systemDirMembers(DEFAULT_LINKS),
    ...rootMembers(),
  ];
}

/** The image config `system-docker-image` writes; `entrypoint: null` drops the entry point. */
export function systemConfig(
  opts: { entrypoint?: string[] | null; layers?: number } = {},
): Record<string, unknown> {
  const entrypoint = opts.entrypoint === undefined ? [SYS.boot, SYS.system] : opts.entrypoint;
  return {
    architecture: 'amd64',
    comment: 'Generated by GNU Guix',
    created: '1970-01-01T00:00:01Z',
    config: { env: [], ...(entrypoint !== null && { entrypoint }) },
    container_config: null,
    history: [{ created: '1970-01-01T00:00:01Z', created_by: 'guix pack -f docker', comment: 'guix pack' }],
    os: 'linux',
  };
}

/** An OCI image of these layers (bottom first), for scanImage through a MemorySource. */
export async function systemImage(
  layers: Member[][],
  opts: { entrypoint?: string[] | null } = {},
): Promise<BuiltImage> {
  const tars = await Promise.all(layers.map((l) => tarOf(l)));
  return imageOf(tars, systemConfig(opts));
}

/**
 * A docker-archive as `build-docker-image` writes it (uncompressed: the tests gzip it or not), for
 * the CLI and skopeo: one layer as `<sha256(system)>/layer.tar` with `repositories`, several as
 * `sha256:<diff-id>/layer.tar`.
 */
export async function systemDockerArchive(
  layers: Member[][],
  opts: { entrypoint?: string[] | null } = {},
): Promise<Buffer> {
  const tars = await Promise.all(layers.map((l) => tarOf(l)));
  const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
  const id = hex(SYS.system);
  const names = tars.length === 1 ? [`${id}/layer.tar`] : tars.map((t) => `sha256:${hex(t)}/layer.tar`);
  const config = {
    ...systemConfig(opts),
    rootfs: { type: 'layers', diff_ids: tars.map((t) => `sha256:${hex(t)}`) },
  };
  const members: Member[] = [];
  tars.forEach((t, i) => members.push({ name: names[i]!, content: t }));
  members.push({
    name: 'manifest.json',
    content: JSON.stringify([{ Config: 'config.json', RepoTags: ['guix:latest'], Layers: names }]),
  });
  members.push({ name: 'config.json', content: JSON.stringify(config) });
  if (tars.length === 1)
    members.push({ name: 'repositories', content: JSON.stringify({ guix: { latest: id } }) });
  return tarOf(members);
}
