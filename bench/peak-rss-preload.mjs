// Preloaded (`node --import`) into a measured Node process: at exit it writes its peak RSS (VmHWM)
// to standard error as `bench-peak-rss <bytes>`, the last line, for bench/processes.ts to read.
import { readFileSync, writeSync } from 'node:fs';

process.on('exit', () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m) writeSync(2, `\nbench-peak-rss ${Number(m[1]) * 1024}\n`);
});
