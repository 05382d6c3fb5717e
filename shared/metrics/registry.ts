/**
 * A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Values live in a SampleStore keyed by the sample's exposition name (`name{a="x"}`), so the same
 * families can be counted in this process (MemorySampleStore) or shared by many processes through
 * Redis (redis-sample-store.ts: the workers count, the API renders). Recording never throws.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type Labels = Readonly<Record<string, string>>;

/** A metric family's definition. Names follow Prometheus rules; `help` is one line. */
export interface MetricDef {
  name: string;
  help: string;
  type: MetricType;
  /** Label names every sample carries (values are given when recording). */
  labels?: readonly string[];
  /** Histogram upper bounds, ascending (`+Inf` is implied). */
  buckets?: readonly number[];
}

/** Where sample values are kept: exposition sample key -> value. */
export interface SampleStore {
  /** Add `n` to each key (one batch, so a histogram observation lands together). */
  add(entries: readonly (readonly [string, number])[]): void;
  set(key: string, value: number): void;
  /** Every sample recorded so far. */
  snapshot(): Promise<Map<string, number>>;
}

/** Samples in this process's memory. */
export class MemorySampleStore implements SampleStore {
  readonly #values = new Map<string, number>();
  add(entries: readonly (readonly [string, number])[]): void {
    for (const [k, n] of entries) this.#values.set(k, (this.#values.get(k) ?? 0) + n);
  }
  set(key: string, value: number): void {
    this.#values.set(key, value);
  }
  async snapshot(): Promise<Map<string, number>> {
    return new Map(this.#values);
  }
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default histogram buckets for durations in seconds. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A number as the exposition format writes it. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** `name{a="x",b="y"}` with labels in the family's declared order (then `le` for buckets). */
export function sampleKey(name: string, labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return name;
  return `${name}{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/**
 * Label sets whose sample keys a metric keeps built. Recording runs on every request, and building
 * a histogram's keys (escaping, a key per bucket) cost more than the rest of a small request; label
 * values come from bounded sets (routes, status classes), so the cache is a bound, not an eviction
 * policy: past it, it starts over.
 */
const KEYS_CACHED = 1000;

abstract class Metric<K> {
  readonly #keys = new Map<string, K>();

  constructor(
    readonly def: MetricDef,
    protected readonly store: SampleStore,
  ) {}

  protected pairs(labels: Labels = {}): [string, string][] {
    // Labels a caller forgets become "" rather than a different series per call site.
    return (this.def.labels ?? []).map((k) => [k, String(labels[k] ?? '')]);
  }

  /** The sample keys of `labels`, made by `build` the first time a label set is seen. */
  protected keysOf(labels: Labels | undefined, build: (pairs: [string, string][]) => K): K {
    const names = this.def.labels ?? [];
    let id = ''; // each value with its length before it: no two label sets give the same id
    for (const k of names) {
      const v = String(labels?.[k] ?? '');
      id += `${v.length}:${v}`;
    }
    let keys = this.#keys.get(id);
    if (keys === undefined) {
      if (this.#keys.size >= KEYS_CACHED) this.#keys.clear();
      keys = build(this.pairs(labels));
      this.#keys.set(id, keys);
    }
    return keys;
  }
}

export class Counter extends Metric<string> {
  /** Add `n` (>= 0; negative or non-finite values are ignored). */
  inc(labels?: Labels, n = 1): void {
    if (!(n >= 0) || !Number.isFinite(n)) return;
    this.store.add([[this.keysOf(labels, (p) => sampleKey(this.def.name, p)), n]]);
  }
}

export class Gauge extends Metric<string> {
  set(labels: Labels | undefined, value: number): void {
    this.store.set(
      this.keysOf(labels, (p) => sampleKey(this.def.name, p)),
      value,
    );
  }
}

/** A histogram series' keys: one per bucket bound (ascending), then `+Inf`, `_sum` and `_count`. */
interface HistogramKeys {
  buckets: string[];
  inf: string;
  sum: string;
  count: string;
}

export class Histogram extends Metric<HistogramKeys> {
  observe(labels: Labels | undefined, value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.def.buckets ?? SECONDS_BUCKETS;
    const keys = this.keysOf(labels, (base) => ({
      buckets: bounds.map((b) => sampleKey(`${this.def.name}_bucket`, [...base, ['le', formatValue(b)]])),
      inf: sampleKey(`${this.def.name}_bucket`, [...base, ['le', '+Inf']]),
      sum: sampleKey(`${this.def.name}_sum`, base),
      count: sampleKey(`${this.def.name}_count`, base),
    }));
    const entries: [string, number][] = [];
    for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) entries.push([keys.buckets[i]!, 1]);
    entries.push([keys.inf, 1], [keys.sum, value], [keys.count, 1]);
    this.store.add(entries);
  }
}

/** Families registered in order, over one SampleStore. */
export class MetricsRegistry {
  readonly #defs: MetricDef[] = [];

  constructor(readonly store: SampleStore = new MemorySampleStore()) {}

  #register(def: MetricDef): void {
    if (!NAME_RE.test(def.name)) throw new Error(`bad metric name ${def.name}`);
    for (const l of def.labels ?? [])
      if (!LABEL_RE.test(l) || l === 'le' || l.startsWith('__'))
        throw new Error(`bad label ${l} of ${def.name}`);
    if (this.#defs.some((d) => d.name === def.name)) throw new Error(`metric ${def.name} registered twice`);
    this.#defs.push(def);
  }

  counter(def: Omit<MetricDef, 'type'>): Counter {
    const d: MetricDef = { ...def, type: 'counter' };
    this.#register(d);
    return new Counter(d, this.store);
  }
  gauge(def: Omit<MetricDef, 'type'>): Gauge {
    const d: MetricDef = { ...def, type: 'gauge' };
    this.#register(d);
    return new Gauge(d, this.store);
  }
  histogram(def: Omit<MetricDef, 'type'>): Histogram {
    const d: MetricDef = { ...def, type: 'histogram', buckets: def.buckets ?? SECONDS_BUCKETS };
    this.#register(d);
    return new Histogram(d, this.store);
  }

  get definitions(): readonly MetricDef[] {
    return this.#defs;
  }

  /** The exposition text of every family; families with no sample get only HELP and TYPE. */
  async render(): Promise<string> {
    return renderFamilies(this.#defs, await this.store.snapshot());
  }
}

/** Which family a sample key belongs to (histograms: strip `_bucket`, `_sum`, `_count`). */
function familyOf(key: string, names: ReadonlySet<string>): string | undefined {
  const brace = key.indexOf('{');
  const name = brace < 0 ? key : key.slice(0, brace);
  if (names.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  return m && names.has(m[1]!) ? m[1] : undefined;
}

/** Render families from a snapshot; samples of unknown families are dropped. */
export function renderFamilies(defs: readonly MetricDef[], samples: ReadonlyMap<string, number>): string {
  const names = new Set(defs.map((d) => d.name));
  const byFamily = new Map<string, [string, number][]>();
  for (const [k, v] of samples) {
    const f = familyOf(k, names);
    if (f === undefined) continue;
    const list = byFamily.get(f);
    if (list) list.push([k, v]);
    else byFamily.set(f, [[k, v]]);
  }
  const out: string[] = [];
  for (const d of defs) {
    out.push(`# HELP ${d.name} ${escapeHelp(d.help)}`, `# TYPE ${d.name} ${d.type}`);
    const list = byFamily.get(d.name) ?? [];
    if (d.type === 'histogram') out.push(...histogramLines(d, list));
    else for (const [k, v] of list.sort((a, b) => (a[0] < b[0] ? -1 : 1))) out.push(`${k} ${formatValue(v)}`);
  }
  return `${out.join('\n')}\n`;
}

/** A histogram's samples grouped by series: buckets ascending by `le`, then _sum and _count. */
function histogramLines(d: MetricDef, list: [string, number][]): string[] {
  const series = new Map<string, { buckets: [number, string, number][]; sum?: string; count?: string }>();
  const seriesOf = (labelPart: string) => {
    let s = series.get(labelPart);
    if (!s) series.set(labelPart, (s = { buckets: [] }));
    return s;
  };
  for (const [k, v] of list) {
    const brace = k.indexOf('{');
    const name = brace < 0 ? k : k.slice(0, brace);
    let labels = brace < 0 ? '' : k.slice(brace + 1, -1);
    if (name === `${d.name}_bucket`) {
      const m = /(?:^|,)le="([^"]*)"$/.exec(labels);
      if (!m) continue;
      labels = labels.slice(0, m.index);
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      seriesOf(labels).buckets.push([le, k, v]);
    } else if (name === `${d.name}_sum`) seriesOf(labels).sum = `${k} ${formatValue(v)}`;
    else if (name === `${d.name}_count`) seriesOf(labels).count = `${k} ${formatValue(v)}`;
  }
  const out: string[] = [];
  for (const key of [...series.keys()].sort()) {
    const s = series.get(key)!;
    // Every declared bucket is written (0 when never hit), so each series is complete.
    const have = new Map(s.buckets.map(([le, , v]) => [le, v]));
    const base = key === '' ? '' : `${key},`;
    for (const b of [...(d.buckets ?? SECONDS_BUCKETS), Infinity])
      out.push(`${d.name}_bucket{${base}le="${formatValue(b)}"} ${formatValue(have.get(b) ?? 0)}`);
    if (s.sum) out.push(s.sum);
    if (s.count) out.push(s.count);
  }
  return out;
}
