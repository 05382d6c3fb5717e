// Preloaded (`NODE_OPTIONS=--import=./bench/cpu-profile-preload.mjs`) into the service's processes while
// a benchmark runs: a `serve` or `worker` process records a CPU profile (V8's sampling profiler, 0.5 ms
// interval) and writes it at exit to $BENCH_CPU_PROFILE_DIR/<serve|worker>-<pid>.cpuprofile. Node 20
// refuses `--cpu-prof` in NODE_OPTIONS, and the benchmark starts these processes itself. Other
// processes (the benchmark, the CLI) are left alone. Read the profiles with bench/profile-windows.mjs.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
const role = process.argv.slice(2).find((a) => a === 'serve' || a === 'worker');
if (dir && role) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // A session in the process's own thread answers synchronously: the profile is written before exit.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
