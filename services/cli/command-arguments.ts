/**
 * The command line's argument conventions, shared by every command that parses its arguments with
 * node:util `parseArgs`: a parse error is one usage line naming the command's `--help`, and skopeo's
 * spelling of the TLS flag is accepted.
 */
import { RecipeError } from '../../shared/errors.js';

/**
 * A `parseArgs` error as the command's usage error. Node's first sentence is the point ("Unknown
 * option '--x'"); the rest advises `--` for positionals starting with '-', which no argument of ours is.
 */
export function argumentError(command: string, err: unknown): RecipeError {
  const first = String((err as Error).message ?? err)
    .split('\n')[0]!
    .split(/\.\s/)[0]!;
  return new RecipeError('usage', `${first}; see 'guix-recipes ${command} --help'`, { cause: err });
}

/** skopeo spells the flag `--tls-verify` (true) or `--tls-verify=false`; parseArgs wants a value. */
export function skopeoTlsFlag(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '--tls-verify' ? '--tls-verify=true' : a));
}
