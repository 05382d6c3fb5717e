/**
 * A RecipeDiff as text for people (the diff route's text/plain): one line per change, `+` added,
 * `-` removed, `~` changed; full commits and store items so lines can be copied into Guix commands.
 * A system's recipe adds a line when its configuration.scm changed (or the kind of recipe did).
 */
import type { ChannelRef, PackageRef, PackageSide, RecipeDiff } from './recipe-diff.js';

/** What the two sides were (shown in the header); free text, e.g. `host/repo:tag (sha256:…)`. */
export interface DiffSides {
  from: string;
  to: string;
}

const spec = (p: { name: string; version: string; output: string }): string =>
  `${p.name}${p.version === '' ? '' : `@${p.version}`}${p.output === 'out' ? '' : `:${p.output}`}`;

const transformations = (p: PackageSide): string =>
  p.transformationsSexp !== undefined
    ? `'${p.transformationsSexp}`
    : p.transformations.length === 0
      ? '(none)'
      : p.transformations.map((t) => `--${t.option}=${t.value}`).join(' ');

/** A commit as shown; a channel recorded without one (`#f`) reads `(no commit)`. */
const commit = (c: string | null): string => c ?? '(no commit)';

const channelLine = (sign: string, c: ChannelRef): string =>
  `  ${sign} ${c.name} ${c.url} ${commit(c.commit)}` +
  (c.commits.length > 1 ? ` (also ${c.commits.slice(1).map(commit).join(', ')})` : '');

const packageLine = (sign: string, p: PackageRef): string => `  ${sign} ${spec(p)} ${p.storePath}`;

/** The diff as lines of text, ending with a newline. */
export function renderDiffText(diff: RecipeDiff, sides: DiffSides): string {
  const out: string[] = [`--- ${sides.from}`, `+++ ${sides.to}`];
  if (diff.identical) {
    out.push(`no differences (${diff.packages.unchanged} packages, same channels)`);
    return `${out.join('\n')}\n`;
  }
  const { channels, packages, system } = diff;
  if (system !== undefined) {
    if (system.kinds.from !== system.kinds.to) out.push(`kind: ${system.kinds.from} -> ${system.kinds.to}`);
    if (system.configurationChanged)
      out.push(
        `configuration.scm: ${system.configurations.from ?? '(none)'} -> ${system.configurations.to ?? '(none)'}`,
      );
  }
  if (channels.added.length + channels.removed.length + channels.changed.length > 0) {
    out.push('channels:');
    for (const c of channels.added) out.push(channelLine('+', c));
    for (const c of channels.removed) out.push(channelLine('-', c));
    for (const c of channels.changed) {
      const parts: string[] = [];
      if (c.urlChanged) parts.push(`url ${c.from.url} -> ${c.to.url}`);
      parts.push(
        c.commitMoved
          ? `commit ${commit(c.from.commit)} -> ${commit(c.to.commit)}`
          : `commit ${commit(c.to.commit)} (unchanged)`,
      );
      if (c.commitsAdded.length > 0) parts.push(`commits used + ${c.commitsAdded.map(commit).join(', ')}`);
      if (c.commitsRemoved.length > 0)
        parts.push(`commits used - ${c.commitsRemoved.map(commit).join(', ')}`);
      out.push(`  ~ ${c.name}: ${parts.join('; ')}`);
    }
  }
  if (packages.added.length + packages.removed.length + packages.changed.length > 0) {
    out.push('packages:');
    for (const p of packages.added) out.push(packageLine('+', p));
    for (const p of packages.removed) out.push(packageLine('-', p));
    for (const c of packages.changed) {
      const name = `${c.name}${c.output === 'out' ? '' : `:${c.output}`}`;
      const parts: string[] = [];
      if (c.change === 'version') parts.push(`${c.from.version} -> ${c.to.version}`);
      else if (c.change === 'rebuilt') parts.push(`${c.to.version} rebuilt`);
      if (c.from.storePath !== c.to.storePath) parts.push(`${c.from.storePath} -> ${c.to.storePath}`);
      if (c.transformationsChanged)
        parts.push(`transformations ${transformations(c.from)} -> ${transformations(c.to)}`);
      out.push(`  ~ ${name}: ${parts.join('; ')}`);
    }
  }
  out.push(
    `${packages.added.length} added, ${packages.removed.length} removed, ${packages.changed.length} changed, ${packages.unchanged} unchanged`,
  );
  return `${out.join('\n')}\n`;
}
