import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { TokenBuckets } from '../../shared/metrics/token-bucket.js';
import { parseExposition } from './prom-parse.js';

void test('counters, gauges and histograms render as parseable exposition text', async () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 't_events_total', help: 'Events.\nTwo lines', labels: ['kind'] });
  const g = r.gauge({ name: 't_depth', help: 'Depth.' });
  const h = r.histogram({ name: 't_seconds', help: 'Time.', labels: ['stage'], buckets: [0.1, 1] });
  c.inc({ kind: 'a "quoted"\\ value\n' });
  c.inc({ kind: 'a "quoted"\\ value\n' }, 2);
  c.inc({ kind: 'b' }, -5); // ignored
  g.set(undefined, 7);
  h.observe({ stage: 'scan' }, 0.05);
  h.observe({ stage: 'scan' }, 0.5);
  h.observe({ stage: 'scan' }, 5);
  const e = parseExposition(await r.render());
  assert.equal(e.types.get('t_seconds'), 'histogram');
  assert.equal(e.value('t_events_total', { kind: 'a "quoted"\\ value\n' }), 3);
  assert.equal(e.value('t_events_total', { kind: 'b' }), undefined);
  assert.equal(e.value('t_depth'), 7);
  assert.equal(e.value('t_seconds_bucket', { stage: 'scan', le: '0.1' }), 1);
  assert.equal(e.value('t_seconds_bucket', { stage: 'scan', le: '1' }), 2);
  assert.equal(e.value('t_seconds_bucket', { stage: 'scan', le: '+Inf' }), 3);
  assert.equal(e.value('t_seconds_count', { stage: 'scan' }), 3);
  assert.equal(e.value('t_seconds_sum', { stage: 'scan' }), 5.55);
  assert.throws(() => r.counter({ name: 't_depth', help: 'again' }), /twice/);
  assert.throws(() => r.counter({ name: 'bad-name', help: 'x' }), /bad metric name/);
  assert.throws(() => parseExposition('x 1\n'), /undeclared/);
});

void test('sample keys built once per label set: distinct sets stay distinct, past the cache too', async () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: 't_pairs_total', help: 'Pairs.', labels: ['a', 'b'] });
  const h = r.histogram({ name: 't_pair_seconds', help: 'Time.', labels: ['a', 'b'], buckets: [0.1, 1] });
  // Label sets a plain join of the values would run together.
  const sets = [
    { a: 'x1:', b: 'y' },
    { a: 'x', b: '1:y' },
    { a: 'x\u0000', b: 'y' },
    { a: 'x', b: '\u0000y' },
  ];
  for (const l of sets) {
    c.inc(l);
    h.observe(l, 0.5);
  }
  c.inc(sets[0]); // seen before: the same series
  // More label sets than the metric keeps built, then the first ones again.
  for (let i = 0; i < 2500; i++) c.inc({ a: `n${i}`, b: '' });
  for (const l of sets) h.observe(l, 0.05);
  c.inc(sets[1]);
  const e = parseExposition(await r.render());
  assert.deepEqual(
    sets.map((l) => e.value('t_pairs_total', l)),
    [2, 2, 1, 1],
  );
  for (const l of sets) {
    assert.equal(e.value('t_pair_seconds_bucket', { ...l, le: '0.1' }), 1);
    assert.equal(e.value('t_pair_seconds_bucket', { ...l, le: '1' }), 2);
    assert.equal(e.value('t_pair_seconds_count', l), 2);
    assert.equal(e.value('t_pair_seconds_sum', l), 0.55);
  }
  assert.equal(e.value('t_pairs_total', { a: 'n0', b: '' }), 1);
  assert.equal(e.value('t_pairs_total', { a: 'n2499', b: '' }), 1);
});

void test('token buckets: burst, refill, Retry-After, memory bound', () => {
  let now = 0;
  const b = new TokenBuckets({ burst: 3, perSecond: 2, maxKeys: 2, now: () => now });
  assert.deepEqual(
    [1, 2, 3].map(() => b.take('k').allowed),
    [true, true, true],
  );
  const refused = b.take('k');
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 500);
  assert.equal(b.take('other').allowed, true, 'buckets are per key');
  now += 500;
  assert.equal(b.take('k').allowed, true);
  assert.equal(b.take('k').allowed, false);
  b.take('third');
  assert.equal(b.size, 2);
});
