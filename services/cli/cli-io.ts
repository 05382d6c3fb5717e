/**
 * What a command gets from the outside world. `runCli` takes it as an argument so that tests run the
 * CLI in-process with captured output, and main.ts passes the real process streams.
 */

/** Something text can be written to (process.stdout, or a test's collector). */
export interface TextSink {
  write(chunk: string): unknown;
  /** A terminal (process streams say so); absent: not one. */
  isTTY?: boolean;
}

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  env: Record<string, string | undefined>;
  /** Relative paths in arguments resolve against this directory. */
  cwd: string;
  /** Aborted when the user interrupts (SIGINT); commands pass it to every I/O call. Default: never. */
  signal?: AbortSignal;
  /**
   * The terminal a progress display may draw on: standard error when it is a terminal (main.ts), else
   * absent, and then nothing but the commands' own lines reaches standard error.
   */
  progressTerminal?: NodeJS.WriteStream;
}
