/** `guix-recipes export DIR` and `guix-recipes import DIR`: the store as files, and back. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { RecipeError } from '../../../shared/errors.js';
import { RecipeStore } from '../../../shared/store/recipe-store.js';
import { closeRedis } from '../../../shared/store/redis-connection.js';
import type { Command } from '../command.js';
import { argumentError } from '../command-arguments.js';
import type { CliIO } from '../cli-io.js';
import { commandConfig, connectStore } from '../store-access.js';
import { examplesSection, HELP_OPTION, optionLine } from '../help-text.js';

const QUIET = optionLine('-q, --quiet', 'print nothing on success (errors still go to standard error)');

const CONFIG_HELP = `The store is the service's: REDIS_URL, GUIX_RECIPES_CONFIG (redis.keyPrefix...), as for
'guix-recipes serve' (docs/configuration.md). Its schema is checked first, as when the service
starts: an older store is migrated, a newer one refused.`;

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  force: { type: 'boolean' },
} as const;

/** The arguments of `export` and `import`: one folder, --quiet, and (import only) --force. */
function parse(name: 'export' | 'import', argv: string[]) {
  const see = `see 'guix-recipes ${name} --help'`;
  let r;
  try {
    r = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw argumentError(name, err);
  }
  if (name === 'export' && r.values.force !== undefined)
    throw new RecipeError('usage', `Unknown option '--force'; ${see}`);
  if (r.positionals.length !== 1)
    throw new RecipeError('usage', `${name} takes one folder (got ${r.positionals.length}); ${see}`);
  return r;
}

async function withStore<T>(io: CliIO, quiet: boolean, f: (store: RecipeStore) => Promise<T>): Promise<T> {
  const config = commandConfig(io);
  const { ensureStoreSchema } = await import('../../../shared/store/store-schema.js');
  const redis = await connectStore(config, io.signal ? { signal: io.signal } : {});
  try {
    await ensureStoreSchema(redis, {
      prefix: config.redis.keyPrefix,
      ...(io.signal ? { signal: io.signal } : {}),
      log: (m) => (quiet ? undefined : io.stderr.write(`guix-recipes: ${m}\n`)),
    });
    return await f(new RecipeStore(redis, { prefix: config.redis.keyPrefix }));
  } finally {
    await closeRedis(redis);
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write every recipe of the store as files (JSON, channels.scm, manifest.scm, rebuild.sh)',
  help: `Usage: guix-recipes export DIR [--quiet]

Writes every stored result, image record, tag (with its history) and API-stored policy as files
under DIR, in a stable layout meant to be read by people and kept in git: the same store exported
twice gives the same bytes (docs/configuration.md, "Export and import"). DIR must not exist, be
empty, or hold an earlier export, which is then brought up to date (files of things no longer in
the store are removed; anything else in DIR is left alone). Scans still queued or running are
listed as pending, not exported.

${CONFIG_HELP}

Options:
${QUIET}
${HELP_OPTION}

${examplesSection([
  'REDIS_URL=redis://127.0.0.1:6379 guix-recipes export recipes/',
  'cd recipes && git add -A && git commit -m "recipes of $(date -I)"',
  'REDIS_URL=redis://127.0.0.1:6379 guix-recipes export recipes/ --quiet',
])}`,
  async run(argv, io) {
    const { positionals, values } = parse('export', argv);
    const quiet = values.quiet === true;
    const dir = resolve(io.cwd, positionals[0]!);
    const { exportStore } = await import('../../../shared/store/store-export.js');
    const { STORE_SCHEMA_VERSION } = await import('../../../shared/store/store-schema.js');
    // withStore brought the store to this program's schema: that is what the values mean now.
    const summary = await withStore(io, quiet, (store) =>
      exportStore(store, dir, {
        storeSchema: STORE_SCHEMA_VERSION,
        ...(io.signal ? { signal: io.signal } : {}),
      }),
    );
    if (!quiet)
      io.stdout.write(
        `exported ${summary.results} results, ${summary.images} images, ${summary.repositories} repositories' tags, ${summary.policies} policies to ${dir}` +
          (summary.pending > 0 ? ` (${summary.pending} scans still pending, not exported)` : '') +
          '\n',
      );
    return 0;
  },
};

export const importCommand: Command = {
  name: 'import',
  summary: 'restore an export into an empty store',
  help: `Usage: guix-recipes import DIR [--force] [--quiet]

Writes an export made by 'guix-recipes export' back into the store: results, image records, tags
with their history, the indexes queries read (in the same order), API-stored policies (their
verdict indexes are rebuilt by the API). Every API answer about the exported recipes is then what
it was, byte for byte. The store must be empty; --force writes over a store that is not. An export
of an older store schema is imported and then migrated.

${CONFIG_HELP}

Options:
${optionLine('--force', 'import into a store that already holds keys')}
${QUIET}
${HELP_OPTION}

${examplesSection([
  'REDIS_URL=redis://127.0.0.1:6379 guix-recipes import recipes/',
  'REDIS_URL=redis://127.0.0.1:6379 guix-recipes import recipes/ --force --quiet',
])}`,
  async run(argv, io) {
    const { positionals, values } = parse('import', argv);
    const quiet = values.quiet === true;
    const dir = resolve(io.cwd, positionals[0]!);
    const { importStore } = await import('../../../shared/store/store-import.js');
    const { ensureStoreSchema } = await import('../../../shared/store/store-schema.js');
    const summary = await withStore(io, quiet, async (store) => {
      const r = await importStore(store, dir, {
        force: values.force === true,
        ...(io.signal ? { signal: io.signal } : {}),
      });
      await ensureStoreSchema(store.redis, {
        prefix: store.keys.prefix,
        log: (m) => (quiet ? undefined : io.stderr.write(`guix-recipes: ${m}\n`)),
      });
      return r;
    });
    if (!quiet)
      io.stdout.write(
        `imported ${summary.results} results, ${summary.images} images, ${summary.tags} tags, ${summary.policies} policies from ${dir}\n`,
      );
    return 0;
  },
};
