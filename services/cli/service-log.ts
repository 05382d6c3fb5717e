/**
 * The log of the long-running modes (`serve`, `worker`, `start`): one pino logger for the API and the
 * workers, written to standard output in one format. `logFormat: auto` (the default) picks readable
 * lines (pino-pretty) when standard output is a terminal and one JSON object a line otherwise, so a
 * log collector never meets a plain line and a person never reads JSON. Standard error carries only
 * the one-line error the process ends with.
 */
import { pino, type Logger } from 'pino';
import { prettyFactory, isColorSupported } from 'pino-pretty';
import type { Config } from '../../shared/config/config-schema.js';
import { serviceLoggerOptions } from '../api/logger.js';
import type { TextSink } from './cli-io.js';

/** Whether the log is written as readable lines rather than JSON. */
export function prettyLog(config: Pick<Config, 'logFormat'>, stdout: TextSink): boolean {
  return config.logFormat === 'pretty' || (config.logFormat === 'auto' && stdout.isTTY === true);
}

/** The process's logger, writing to `stdout` (the process's standard output). */
export function serviceLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, stdout: TextSink): Logger {
  const options = serviceLoggerOptions(config);
  if (!prettyLog(config, stdout)) return pino(options, { write: (line: string) => stdout.write(line) });
  const format = prettyFactory({
    colorize: stdout.isTTY === true && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return pino(options, { write: (line: string) => stdout.write(format(line)) });
}
