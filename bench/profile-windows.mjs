// Summarise a V8 CPU profile (.cpuprofile), whole or a window of it, the way docs/performance.md
// shows them: busy time, then the functions with the most self time and the files with the most
// inclusive time (each file counted once per sample). `--seconds` prints busy ms per second of the
// profile, to find where each load ran (a benchmark runs its loads one after another).
//
//   node bench/profile-windows.mjs PROFILE --seconds
//   node bench/profile-windows.mjs PROFILE [FROM_S TO_S] [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seconds: { type: 'boolean' }, top: { type: 'string', default: '20' } },
});
const [file, fromText, toText] = positionals;
if (!file)
  throw new Error('usage: node bench/profile-windows.mjs PROFILE [FROM_S TO_S] [--top N] [--seconds]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** node_modules packages, the project's own files (under dist/), Node's modules by name. */
const fileOf = (url) => {
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return `npm:${dep[1]}`;
  const own = /\/dist\/(.*)$/.exec(url);
  if (own) return own[1];
  return url.startsWith('node:') ? url : '';
};
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${fileOf(n.callFrame.url)}`.trim();

const length = (profile.endTime - profile.startTime) / 1e6;
const from = fromText === undefined ? 0 : Number(fromText);
const to = toText === undefined ? length : Number(toText);
const self = new Map();
const inclusive = new Map();
const perSecond = new Map();
let busy = 0;
let t = profile.startTime;
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i];
  const at = (t - profile.startTime) / 1e6;
  const ms = profile.timeDeltas[i] / 1000;
  const n = nodes.get(id);
  if (n.callFrame.functionName === '(idle)') return;
  perSecond.set(Math.floor(at), (perSecond.get(Math.floor(at)) ?? 0) + ms);
  if (at < from || at >= to) return;
  busy += ms;
  self.set(label(n), (self.get(label(n)) ?? 0) + ms);
  const seen = new Set();
  for (let up = id; up !== undefined; up = parent.get(up)) {
    const f = fileOf(nodes.get(up).callFrame.url);
    if (f && !seen.has(f)) {
      seen.add(f);
      inclusive.set(f, (inclusive.get(f) ?? 0) + ms);
    }
  }
});

if (values.seconds) {
  console.log(`busy ms per second of ${length.toFixed(1)} s:`);
  console.log([...perSecond].map(([s, ms]) => `${s}:${ms.toFixed(0)}`).join(' '));
} else {
  const top = Number(values.top);
  const show = (title, m) => {
    console.log(title);
    for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%  ${k}`);
  };
  console.log(`${file}, ${from}-${to.toFixed(1)} s: busy ${busy.toFixed(0)} ms`);
  show('self time', self);
  show('inclusive time, by file', inclusive);
}
