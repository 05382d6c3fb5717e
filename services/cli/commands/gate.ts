/**
 * `guix-recipes gate IMAGE`: allow or deny an image by what its recipe says, for CI pipelines and
 * deploy scripts. Standalone, it scans IMAGE here with the code `inspect` uses (any source `inspect`
 * reads) and judges it with the policy of `--policy FILE`, or the default policy; with `--server URL`
 * it asks a guix-recipes service instead (verdict-client.ts).
 *
 * Exit status, the gate's own table: 0 allow, 1 deny (reasons on standard error, one per line),
 * 2 usage (bad arguments or a policy document with mistakes), 3 could not decide (any other error:
 * the image could not be read, the server failed...; never reported as a deny), 130 interrupted.
 */
import { parseArgs } from 'node:util';
import { RecipeError } from '../../../shared/errors.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { parsePlatform, formatPlatform } from '../../../shared/content/platform.js';
import type { Platform } from '../../../shared/content/platform.js';
import { parseReference } from '../../../shared/oci/reference.js';
import { buildRecipe } from '../../../shared/guix/build-recipe.js';
import { scanImage } from '../../../shared/scan/scan-image.js';
import { MemoryLayerCache } from '../../../shared/scan/layer-cache.js';
import { compilePolicy, type CompiledPolicy } from '../../../shared/policy/compile-policy.js';
import { defaultPolicy } from '../../../shared/policy/default-policy.js';
import { evaluate } from '../../../shared/policy/evaluate.js';
import { formatIssue, policyIssuesOf } from '../../../shared/policy/policy-issues.js';
import type { PolicyDocument } from '../../../shared/policy/policy-schema.js';
import { POLICY_NAME_RE } from '../../../shared/policy/policy-schema.js';
import { readPolicyFile } from '../../../shared/policy/read-policy-file.js';
import { subjectFromRecipe, subjectFromScan, type Subject } from '../../../shared/policy/subject.js';
import type { VerdictJson } from '../../../shared/policy/verdict-schema.js';
import type { CliIO } from '../cli-io.js';
import type { Command } from '../command.js';
import { argumentError, skopeoTlsFlag } from '../command-arguments.js';
import { formatJson } from '../json-output.js';
import { HELP_OPTION, QUIET_OPTION } from '../help-text.js';
import { progressDisplay } from '../progress-display.js';
import { readLocalProfile } from '../profile-source.js';
import { printable } from '../terminal-text.js';
import { findTransport, TRANSPORTS } from '../transports.js';
import { DEFAULT_VERDICT_TIMEOUT_MS, requestVerdict } from '../verdict-client.js';
import { outcomeLine, reasonLines } from '../verdict-text.js';

/** The gate's exit statuses. */
export const GATE_EXIT = { allow: 0, deny: 1, usage: 2, undecided: 3 } as const;

/** Errors that mean "asked wrongly": everything else is "could not decide". */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['usage', 'invalid-reference', 'invalid-policy']);

const OPTIONS = {
  policy: { type: 'string' },
  'policy-name': { type: 'string' },
  server: { type: 'string' },
  output: { type: 'string', short: 'o' },
  platform: { type: 'string' },
  'tls-verify': { type: 'string' },
  creds: { type: 'string' },
  authfile: { type: 'string' },
  'deep-scan': { type: 'boolean' },
  timeout: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type GateOutput = 'text' | 'json';

/** The parsed, validated options of one `gate` run. */
export interface GateOptions {
  image: string;
  /** A policy file (standalone: judged here; with a server: sent inline). */
  policyFile?: string;
  /** A policy stored on the server (only with `server`). */
  policyName?: string;
  server?: string;
  /** Default `text`. */
  output: GateOutput;
  /** Judge only this platform of an index (default: every platform). */
  platform?: Platform;
  /** Default true. */
  tlsVerify: boolean;
  creds?: string;
  authfile?: string;
  /** Default false. */
  deepScan: boolean;
  /** With a server: deadline of the call, ms. Default DEFAULT_VERDICT_TIMEOUT_MS. */
  timeoutMs: number;
  /** No progress display. Default false. */
  quiet: boolean;
}

const HELP = `Usage: guix-recipes gate IMAGE [--policy FILE] [--server URL] [OPTIONS...]

Allow or deny IMAGE by what its recipe says: its channels, commits, packages (propagated inputs
included) and transformations, judged by a policy (docs/policies.md). Without --policy, the default
policy allows exactly the images whose recipe is known and carries provenance.

Standalone (no --server), IMAGE is any source 'inspect' reads, scanned here:
  ${'profile:PATH'.padEnd(36)} a Guix profile directory, or its manifest file
${TRANSPORTS.map((t) => `  ${t.syntax.padEnd(36)} ${t.description}`).join('\n')}

With --server URL, IMAGE is a registry reference (HOST/REPO[:TAG|@DIGEST], docker:// optional) and the
service answers from what it has stored; GUIX_RECIPES_TOKEN, when set, is sent as a bearer token.

Options:
      --policy FILE          the policy (YAML or JSON); with --server it is sent inline
      --policy-name NAME     with --server: a policy stored on the server
      --server URL           ask this guix-recipes service (POST URL/v1/verdicts)
  -o, --output WHAT          text (default): the outcome on standard output; json: the verdict as JSON
      --platform OS/ARCH[/VARIANT]
                             judge only this platform of a multi-platform image (default: every
                               platform, as the policy's platforms rule says)
      --tls-verify=false     standalone: do not verify the registry's TLS certificate
      --creds USER:PASS      standalone: registry credentials
      --authfile FILE        standalone: registry credentials from a Docker config.json / auth.json
      --deep-scan            standalone: read the layers even of images that do not look like Guix
      --timeout SECONDS      with --server: how long to wait for the answer (default ${DEFAULT_VERDICT_TIMEOUT_MS / 1000})
${QUIET_OPTION}
${HELP_OPTION}

Exit status:
  0  allow
  1  deny; every reason on standard error, one per line: 'deny: [PLATFORM: ]CODE: MESSAGE'
  2  usage error, or a policy document with mistakes (each on standard error, with its line)
  3  could not decide: the image could not be read, the server failed or has not scanned it yet, ...
     (an error, never reported as a deny)
  130 interrupted (Ctrl-C)

Examples:
  guix-recipes gate docker-archive:pack.tar.gz --policy policy.yaml
  guix-recipes gate docker://registry.example.org/team/app:1.2 --policy policy.yaml --platform linux/arm64
  GUIX_RECIPES_TOKEN=... guix-recipes gate registry.example.org/team/app:1.2 --server https://recipes.example.org --policy-name production
`;

function usage(message: string): RecipeError {
  return new RecipeError('usage', message);
}

/** Parse `gate`'s arguments; RecipeError `usage` on anything wrong. */
export function parseGateArgs(argv: string[]): GateOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: skopeoTlsFlag(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw argumentError('gate', err);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw usage(
      positionals.length === 0
        ? "gate needs an IMAGE; see 'guix-recipes gate --help'"
        : `gate takes one IMAGE (got ${positionals.length})`,
    );
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw usage(`--output must be text or json (got '${output}')`);
  const tls = values['tls-verify'];
  if (tls !== undefined && tls !== 'true' && tls !== 'false')
    throw usage(`--tls-verify must be true or false (got '${tls}')`);
  if (values.creds !== undefined && !values.creds.includes(':')) throw usage('--creds must be USER:PASS');
  let timeoutMs = DEFAULT_VERDICT_TIMEOUT_MS;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(values.timeout) || !(s > 0) || s > 3600)
      throw usage(`--timeout must be a number of seconds, at most 3600 (got '${values.timeout}')`);
    timeoutMs = Math.round(s * 1000);
  }
  const opts: GateOptions = {
    image: positionals[0]!,
    output,
    tlsVerify: tls !== 'false',
    deepScan: values['deep-scan'] ?? false,
    timeoutMs,
    quiet: values.quiet ?? false,
  };
  if (values.policy !== undefined) opts.policyFile = values.policy;
  if (values['policy-name'] !== undefined) opts.policyName = values['policy-name'];
  if (values.server !== undefined) opts.server = values.server;
  if (values.platform !== undefined) opts.platform = parsePlatform(values.platform);
  if (values.creds !== undefined) opts.creds = values.creds;
  if (values.authfile !== undefined) opts.authfile = values.authfile;

  if (opts.policyFile !== undefined && opts.policyName !== undefined)
    throw usage('give --policy FILE or --policy-name NAME, not both');
  if (opts.server === undefined) {
    if (opts.policyName !== undefined)
      throw usage('--policy-name names a policy stored on a server: it needs --server');
    if (values.timeout !== undefined) throw usage('--timeout applies to --server');
  } else {
    for (const flag of ['tls-verify', 'creds', 'authfile', 'deep-scan'] as const)
      if (values[flag] !== undefined)
        throw usage(`--${flag} applies to standalone scans; with --server the service reads the registry`);
    if (opts.policyName !== undefined && !POLICY_NAME_RE.test(opts.policyName))
      throw usage(
        `--policy-name must be a policy name (lower-case letters, digits and -), got '${opts.policyName}'`,
      );
  }
  return opts;
}

async function loadPolicy(file: string, io: CliIO, signal: AbortSignal): Promise<PolicyDocument> {
  try {
    return await readPolicyFile(file, { cwd: io.cwd, signal });
  } catch (err) {
    // A missing or unreadable --policy file is the caller's mistake, like a bad document.
    if (err instanceof RecipeError && err.code === 'not-found') throw new RecipeError('usage', err.message);
    throw err;
  }
}

async function standaloneSubject(opts: GateOptions, io: CliIO, signal: AbortSignal): Promise<Subject> {
  if (opts.image.startsWith('profile:')) {
    const path = opts.image.slice('profile:'.length);
    const local = await readLocalProfile(path, { signal, cwd: io.cwd });
    try {
      return subjectFromRecipe(buildRecipe(local.text, { profile: local.profile }));
    } catch (err) {
      if (err instanceof RecipeError)
        throw new RecipeError(err.code, `${path}: ${err.message}`, { cause: err });
      throw err;
    }
  }
  const found = findTransport(opts.image);
  if (found === undefined) {
    const known = ['profile:', ...TRANSPORTS.map((t) => t.prefix)].join(', ');
    throw usage(`unknown source '${opts.image}': it must start with one of ${known}`);
  }
  const source = await found.transport.open(found.rest, {
    signal,
    tlsVerify: opts.tlsVerify,
    cwd: io.cwd,
    env: io.env,
    ...(opts.creds === undefined ? {} : { creds: opts.creds }),
    ...(opts.authfile === undefined ? {} : { authfile: opts.authfile }),
  });
  const progress = progressDisplay(io, opts.quiet);
  try {
    const scan = await scanImage(source, {
      signal,
      deepScan: opts.deepScan,
      layerCache: new MemoryLayerCache(),
      ...(opts.platform === undefined ? {} : { platform: opts.platform }),
      ...(progress && { onProgress: progress.listener }),
    });
    return subjectFromScan(scan);
  } finally {
    progress?.stop();
    await source.close?.();
  }
}

async function standaloneVerdict(opts: GateOptions, io: CliIO, signal: AbortSignal): Promise<VerdictJson> {
  // The policy first: a mistake in it is reported before any image is read.
  const policy: CompiledPolicy =
    opts.policyFile === undefined
      ? defaultPolicy()
      : compilePolicy(await loadPolicy(opts.policyFile, io, signal));
  return evaluate(policy, await standaloneSubject(opts, io, signal));
}

async function serverVerdict(opts: GateOptions, io: CliIO, signal: AbortSignal): Promise<VerdictJson> {
  const image = opts.image.startsWith('docker://') ? opts.image.slice('docker://'.length) : opts.image;
  if (image.startsWith('profile:') || (findTransport(opts.image) && !opts.image.startsWith('docker://')))
    throw usage(
      `with --server, IMAGE must be a registry reference (HOST/REPO[:TAG|@DIGEST]), not '${opts.image}'`,
    );
  parseReference(image);
  const policy =
    opts.policyFile !== undefined ? await loadPolicy(opts.policyFile, io, signal) : opts.policyName;
  const token = io.env.GUIX_RECIPES_TOKEN;
  return requestVerdict(
    {
      image,
      ...(policy === undefined ? {} : { policy }),
      ...(opts.platform === undefined ? {} : { platform: formatPlatform(opts.platform) }),
    },
    { server: opts.server!, signal, timeoutMs: opts.timeoutMs, ...(token ? { token } : {}) },
  );
}

/** One line on standard error, as run-cli.ts writes errors. */
function errorLine(message: string): string {
  return `guix-recipes: ${printable(message)}\n`;
}

export const gateCommand: Command = {
  name: 'gate',
  summary: 'allow or deny an image by its recipe, under a policy (exit 0 allow, 1 deny)',
  help: HELP,
  async run(argv, io) {
    const opts = parseGateArgs(argv);
    const signal = io.signal ?? new AbortController().signal;
    let verdict: VerdictJson;
    try {
      verdict =
        opts.server === undefined
          ? await standaloneVerdict(opts, io, signal)
          : await serverVerdict(opts, io, signal);
    } catch (err) {
      // Every mistake of a policy document on its own line, with its line and column.
      const issues = err instanceof RecipeError ? policyIssuesOf(err) : [];
      if (issues.length === 0 || signal.aborted) throw err;
      const source = (err as RecipeError).details?.source;
      for (const issue of issues)
        io.stderr.write(errorLine(formatIssue(issue, typeof source === 'string' ? source : undefined)));
      return GATE_EXIT.usage;
    }
    if (opts.output === 'json') io.stdout.write(formatJson({ image: opts.image, ...verdict }));
    else io.stdout.write(outcomeLine(opts.image, verdict));
    io.stderr.write(reasonLines(verdict));
    if (verdict.outcome === 'needs-scan') {
      const wait = verdict.scan ? ` (the policy waits up to ${verdict.scan.waitSeconds} s for a scan)` : '';
      io.stderr.write(errorLine(`could not decide: the image has not been scanned yet${wait}`));
      return GATE_EXIT.undecided;
    }
    return verdict.outcome === 'allow' ? GATE_EXIT.allow : GATE_EXIT.deny;
  },
  exitCodeFor(err) {
    return USAGE_CODES.has(err.code) ? GATE_EXIT.usage : GATE_EXIT.undecided;
  },
};
