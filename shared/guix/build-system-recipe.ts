/**
 * From what a system directory holds to its Recipe (`kind: 'system'`, recipe.ts). The recipe is
 * the stored `channels.scm` and `configuration.scm`, kept as they are; the `provenance` file is read
 * and reported beside them. The system profile's manifest gives the packages, which record no
 * provenance of their own: each takes the system's channels (Guix's `guix system describe` reports
 * those same channels for the whole system).
 *
 * Which channels the Recipe lists: the stored `channels.scm`'s (they carry introductions) when it
 * has Guix's shape; else the `provenance` file's. When both are read and disagree, a warning says so.
 */
import { buildRecipe, packageSpec } from './build-recipe.js';
import type { RecipeChannel, SystemFacts, SystemProvenanceFile, SystemRecipe } from './recipe.js';
import type { ReaderOptions } from './sexp/reader.js';
import {
  provenanceChannels,
  readProvenanceFile,
  readSystemChannels,
  systemChannelsText,
} from './system-provenance.js';

/** A file of the system directory: the store item its link leads to, and its text. */
export interface SystemFile {
  path: string;
  text: string;
}

/** What the scan found for one system directory. */
export interface SystemEvidence {
  /** `/gnu/store/<hash>-system`. */
  directory: string;
  foundBy: SystemFacts['foundBy'];
  provenance?: SystemFile;
  channels?: SystemFile;
  configuration?: SystemFile;
  /** The system profile (`<system>/profile`) and its manifest's text. */
  profile?: { path: string; manifest: string };
  /** Reader bounds, passed through to `readDatum`. */
  reader?: Partial<ReaderOptions>;
}

/** The system's Recipe. Throws RecipeError only for a system profile manifest that does not read. */
export function buildSystemRecipe(e: SystemEvidence): SystemRecipe {
  const warnings: string[] = [];
  const provenance: SystemProvenanceFile | null =
    e.provenance === undefined ? null : readProvenanceFile(e.provenance.text, e.reader);
  if (provenance !== null && provenance.status !== 'read')
    warnings.push(`the provenance file ${e.provenance!.path} is ${provenance.status}: ${provenance.reason}`);

  let channels: RecipeChannel[] = [];
  let stored: RecipeChannel[] | undefined;
  if (e.channels !== undefined) {
    const read = readSystemChannels(e.channels.text, e.reader);
    if (typeof read === 'string')
      warnings.push(`channels.scm (${e.channels.path}) is not the form Guix writes (${read})`);
    else stored = read;
  }
  const recorded = provenance?.status === 'read' ? provenanceChannels(provenance.channels) : undefined;
  if (stored !== undefined) channels = stored;
  else if (recorded !== undefined) channels = recorded;
  if (stored !== undefined && recorded !== undefined && !sameChannels(stored, recorded))
    warnings.push('channels.scm and the provenance file name different channels or commits');
  if (provenance?.status === 'read') {
    const named = provenance.configurationFile;
    const linked = e.configuration?.path ?? null;
    if (named !== linked)
      warnings.push(
        `the provenance file names the configuration ${named ?? '#f'}, the system links to ${linked ?? 'none'}`,
      );
  }

  const refs = channels.map((c) => ({ name: c.name, url: c.url, commit: c.commit }));
  const profile =
    e.profile === undefined
      ? undefined
      : buildRecipe(e.profile.manifest, {
          profile: e.profile.path,
          ...(e.reader !== undefined && { reader: e.reader }),
        });
  const packages = (profile?.packages ?? []).map((p) =>
    p.channels.length > 0 ? p : { ...p, channels: refs.map((r) => ({ ...r })) },
  );

  const texts: SystemRecipe['texts'] = {};
  if (e.channels !== undefined) texts.channels = e.channels.text;
  else if (channels.length > 0) texts.channels = systemChannelsText(channels, 'classic');
  if (e.configuration !== undefined) texts.configuration = e.configuration.text;

  return {
    schemaVersion: 1,
    kind: 'system',
    profile: e.profile?.path ?? null,
    manifestVersion: profile?.manifestVersion ?? null,
    packages,
    channels,
    packagesWithoutProvenance: packages.filter((p) => p.channels.length === 0).map(packageSpec),
    system: {
      directory: e.directory,
      foundBy: e.foundBy,
      files: {
        provenance: e.provenance?.path ?? null,
        channels: e.channels?.path ?? null,
        configuration: e.configuration?.path ?? null,
      },
      provenance,
      savedProvenance:
        e.provenance !== undefined || e.channels !== undefined || e.configuration !== undefined,
      warnings,
    },
    texts,
  };
}

/** Same names, URLs and commits, in the same order (introductions aside: the provenance file has none). */
function sameChannels(a: readonly RecipeChannel[], b: readonly RecipeChannel[]): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => c.name === b[i]!.name && c.url === b[i]!.url && c.commit === b[i]!.commit)
  );
}
