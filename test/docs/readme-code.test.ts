/**
 * The README held to the code it describes: every option and output of the CLI synopses is one the
 * command's own help documents; every route of the API table and of the curl examples is in the
 * committed OpenAPI document (which test/api/contract.test.ts holds to the app); every variable of the
 * configuration table is read by loadConfig, with the defaults the table says; and the architecture
 * is a Mermaid diagram of the parts that exist.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from '../cli/capture.js';
import { loadConfig } from '../../shared/config/load-config.js';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of the README in `lang`. */
const blocks = (lang: string) =>
  [...README.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);

/** The README's section that starts with `heading` (up to the next heading of its level or above). */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `the README has ${heading}`);
  const level = /^#+/.exec(heading)![0];
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The rows of the first Markdown table in `text`, as cells (header and rule left out). */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim()),
  );
}

void test('the CLI synopses: every option and output is one the command documents in its --help', async () => {
  const synopses = blocks('sh').filter((b) => /^bin\/guix-recipes (inspect|gate) [A-Z]+ \[/.test(b));
  assert.equal(synopses.length, 2, 'the inspect and gate synopses');
  for (const synopsis of synopses) {
    const command = /^bin\/guix-recipes (\w+)/.exec(synopsis)![1]!;
    const help = (await cli([command, '--help'])).stdout;
    const options = [...synopsis.matchAll(/\[(--[a-z-]+)/g)].map((m) => m[1]!);
    assert.ok(options.length >= 6, `${command}: the options are found`);
    for (const o of options) assert.match(help, new RegExp(`^\\s+(-\\w, )?${o}\\b`, 'm'), `${command} ${o}`);
    const outputs = /--output ([a-z0-9|.-]+)\]/.exec(synopsis)![1]!.split('|');
    for (const o of outputs) assert.ok(new RegExp(`\\b${o}\\b`).test(help), `${command} --output ${o}`);
  }
  // Each inspect output the README names is accepted (not a usage error), on a real fixture.
  const inspect = synopses.find((s) => s.startsWith('bin/guix-recipes inspect'))!;
  const img = 'docker-archive:test/fixtures/guix-images/two-channels/image.tar.gz';
  // configuration.scm is a system image's recipe, so that output is tried on the system fixture.
  const system = 'docker-archive:test/fixtures/system-images/system-basic/image.tar.gz';
  for (const o of /--output ([a-z0-9|.-]+)\]/.exec(inspect)![1]!.split('|')) {
    const r = await cli(['inspect', o === 'configuration' ? system : img, '--output', o, '--quiet'], {
      cwd: ROOT,
      env: { SOURCE_DATE_EPOCH: '0' },
    });
    assert.equal(r.code, 0, `--output ${o}: ${r.stderr}`);
    assert.notEqual(r.stdout, '');
  }
});

/** The OpenAPI document's operations, as `METHOD /path`. */
function operations(): Set<string> {
  const doc = JSON.parse(readFileSync(join(ROOT, 'openapi/openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const ops = new Set<string>();
  for (const [path, methods] of Object.entries(doc.paths))
    for (const m of Object.keys(methods)) ops.add(`${m.toUpperCase()} ${path}`);
  return ops;
}

/** `a{b,c}d` as `abd`, `acd`. */
function expandBraces(s: string): string[] {
  const m = /\{([^{}]*,[^{}]*)\}/.exec(s);
  if (!m) return [s];
  return m[1]!
    .split(',')
    .flatMap((alt) => expandBraces(s.slice(0, m.index) + alt + s.slice(m.index + m[0].length)));
}

void test("the API table's routes and the curl examples' paths are in the OpenAPI document", () => {
  const ops = operations();
  const paths = new Set([...ops].map((o) => o.slice(o.indexOf(' ') + 1)));
  const rows = tableRows(section('### The API'));
  assert.ok(rows.length >= 8, 'the table is found');
  let checked = 0;
  for (const [route] of rows) {
    // `METHOD /path` (method optional: then any); after `(+`, suffixes of the path before it.
    const plus = route!.indexOf('(+');
    let base = '';
    for (const m of route!.matchAll(/(?:(GET|POST|PUT|DELETE) )?(\/[A-Za-z0-9_{},./-]*)/g)) {
      const [method, raw] = [m[1], m[2]!.replace(/[.,]$/, '')];
      const suffix = plus >= 0 && m.index > plus;
      const spelled = suffix ? base + raw : raw;
      if (!suffix) base = raw;
      for (const path of expandBraces(spelled)) {
        if (path === '/openapi.json' || path === '/docs') continue; // the documentation's own routes
        if (method) assert.ok(ops.has(`${method} ${path}`), `${method} ${path} (${route})`);
        else assert.ok(paths.has(path), `${path} (${route})`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 20, `${checked} routes checked`);

  const curls = blocks('sh')
    .flatMap((b) => b.split('\n'))
    .filter((l) => l.startsWith('curl '));
  assert.ok(curls.length >= 5);
  for (const l of curls) {
    const url = /localhost:8080(\/[^\s'?]*)/.exec(l)![1]!.replace(/sha256:…/, '{digest}');
    const method = /-XPOST/.test(l) ? 'POST' : 'GET';
    assert.ok(ops.has(`${method} ${url}`), `${method} ${url}: ${l}`);
  }
});

/** A value each variable of the configuration table accepts, and where loadConfig puts it. */
const SAMPLES: Record<string, { value: string; read: (c: ReturnType<typeof loadConfig>) => unknown }> = {
  GUIX_RECIPES_REGISTRIES: { value: 'http://127.0.0.1:5000', read: (c) => c.registries.map((r) => r.host) },
  GUIX_RECIPES_WEBHOOK_SECRET: { value: 's3cret', read: (c) => c.webhooks.secret },
  GUIX_RECIPES_API_TOKENS: { value: 'abcdefgh:read', read: (c) => c.apiTokens.length },
  REDIS_URL: { value: 'redis://127.0.0.1:6390', read: (c) => c.redis.url },
  PORT: { value: '9000', read: (c) => c.port },
  HOST: { value: '::1', read: (c) => c.host },
  GUIX_RECIPES_LOG_LEVEL: { value: 'debug', read: (c) => c.logLevel },
  GUIX_RECIPES_LOG_FORMAT: { value: 'json', read: (c) => c.logFormat },
};

void test("the configuration table's variables are read by loadConfig, with the defaults it says", () => {
  const rows = tableRows(section('## Configuration'));
  const names = rows.flatMap(([cell]) => {
    const spelled = [...cell!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!);
    // `GUIX_RECIPES_LOG_LEVEL`, `_LOG_FORMAT`: the second shares the first one's prefix.
    return spelled.map((n) => (n.startsWith('_') ? spelled[0]!.replace(/_[A-Z]+_[A-Z]+$/, '') + n : n));
  });
  assert.ok(names.length >= 8, names.join(' '));
  const defaults = loadConfig({ env: {}, file: {} });
  for (const name of names) {
    const sample = SAMPLES[name];
    assert.ok(sample, `${name}: a variable this test does not know; add a sample`);
    const set = loadConfig({ env: { [name]: sample.value }, file: {} });
    assert.notDeepEqual(sample.read(set), sample.read(defaults), `${name} is read`);
  }
  const table = Object.fromEntries(rows.map((r) => [r[0], r[1]]));
  assert.match(table['`PORT`, `HOST`'], new RegExp(`^\`${defaults.port}\`, \`${defaults.host}\``));
  assert.match(
    table['`GUIX_RECIPES_LOG_LEVEL`, `_LOG_FORMAT`'],
    new RegExp(`^\`${defaults.logLevel}\`; \`${defaults.logFormat}\``),
  );
  assert.equal(defaults.webhooks.secret, undefined, 'no secret by default');
  assert.equal(defaults.redis.url, undefined, 'no REDIS_URL by default');
});

void test('the architecture is a Mermaid diagram of parts that exist', () => {
  const diagrams = blocks('mermaid');
  assert.equal(diagrams.length, 1);
  const d = diagrams[0]!;
  assert.match(d, /^flowchart /);
  for (const part of ['registry', 'api', 'workers', 'redis', 'cli'])
    assert.match(d, new RegExp(`^\\s+${part}\\b`, 'm'));
  for (const [name, path] of [
    ['Fastify', 'services/api/app.ts'],
    ['BullMQ', 'workers'],
    ['guix-recipes inspect / gate', 'services/cli/commands/gate.ts'],
    ['guix-recipes start (or serve + worker)', 'services/cli/commands/worker.ts'],
  ] as const) {
    assert.ok(d.includes(name), name);
    assert.ok(existsSync(join(ROOT, path)), path);
  }
  // It comes before the quick start, after the three sentences of what and why.
  assert.ok(README.indexOf('```mermaid') < README.indexOf('## Quick start'));
});
