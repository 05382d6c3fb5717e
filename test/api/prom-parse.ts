/**
 * A strict parser of the Prometheus text exposition format 0.0.4 for tests: every line must be a
 * HELP, a TYPE or a sample of a declared family; label syntax and values are checked; histogram
 * buckets must be cumulative with a +Inf bucket equal to _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the sample with exactly these labels (undefined when absent). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

export function parseExposition(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ')[0]!;
      if (helps.has(name)) throw new Error(`line ${i + 1}: second HELP for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!name || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? ''))
        throw new Error(`line ${i + 1}: bad TYPE ${line}`);
      if (types.has(name)) throw new Error(`line ${i + 1}: second TYPE for ${name}`);
      types.set(name, type!);
      continue;
    }
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const labels: Record<string, string> = {};
    if (m[3] !== undefined && m[3] !== '') {
      LABEL_RE.lastIndex = 0;
      const body = m[3];
      while (LABEL_RE.lastIndex < body.length) {
        const lm = LABEL_RE.exec(body);
        if (!lm) throw new Error(`line ${i + 1}: bad labels ${body}`);
        labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
      }
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`line ${i + 1}: bad value ${m[4]}`);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family);
    if (!type) throw new Error(`line ${i + 1}: sample of undeclared family ${name}`);
    if (family !== name && type !== 'histogram' && type !== 'summary')
      throw new Error(`line ${i + 1}: ${name} suffix on a ${type}`);
    if (type === 'counter' && value < 0) throw new Error(`line ${i + 1}: negative counter`);
    samples.push({ name, labels, value });
  }
  // Histograms: cumulative buckets, +Inf == _count.
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { le: number; v: number }[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), { le: le === '+Inf' ? Infinity : Number(le), v: s.value }]);
    }
    for (const [k, buckets] of series) {
      buckets.sort((a, b) => a.le - b.le);
      for (let j = 1; j < buckets.length; j++)
        if (buckets[j]!.v < buckets[j - 1]!.v) throw new Error(`${family}${k}: buckets not cumulative`);
      const inf = buckets.at(-1)!;
      if (inf.le !== Infinity) throw new Error(`${family}${k}: no +Inf bucket`);
      const count = samples.find((x) => x.name === `${family}_count` && JSON.stringify(x.labels) === k);
      if (!count || count.value !== inf.v) throw new Error(`${family}${k}: _count differs from +Inf bucket`);
    }
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const want = JSON.stringify(Object.entries(labels).sort());
      return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)
        ?.value;
    },
  };
}
