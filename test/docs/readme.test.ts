/**
 * The README's pasteable parts, held to what they claim: the registry's notification block is the
 * same in the README, docs/webhooks.md and docs/configuration.md, and a real docker-registry started
 * with it as written announces pushes (with the secret) and not pulls; every `inspect $img` example
 * runs, and each one that says it prints what Guix prints does, byte for byte; the files and folders
 * the README and the fixtures' READMEs point at exist; the tool the bench README names has a
 * command line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { cli } from '../cli/capture.js';
import { freePort, startRegistry, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, skopeo, tempDir } from '../harness/skopeo.js';
import { rm } from 'node:fs/promises';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const README = read('README.md');

/** The fenced blocks of a Markdown text in `lang`. */
function blocks(md: string, lang: string): string[] {
  return [...md.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

/** The `notifications:` block of a document (exactly one). */
function notificationsBlock(path: string): string {
  const found = blocks(read(path), 'yaml').filter((b) => b.startsWith('notifications:'));
  assert.equal(found.length, 1, `${path}: one yaml block starting with notifications:`);
  return found[0]!;
}

void test('the registry notification block is the same in the README and the docs', () => {
  const readme = notificationsBlock('README.md');
  assert.equal(notificationsBlock('docs/webhooks.md'), readme);
  assert.equal(notificationsBlock('docs/configuration.md'), readme);
  // It names the quick start's service and secret.
  assert.match(readme, /url: http:\/\/127\.0\.0\.1:8080\/v1\/webhooks\/distribution\n/);
  assert.match(README, /GUIX_RECIPES_WEBHOOK_SECRET=s3cret npm start/);
  assert.match(readme, /Authorization: \[Bearer s3cret\]/);
  // A delivery that may wait forever is not one to paste: a timeout above zero.
  assert.match(readme, /^ {6}timeout: [1-9]\d*(ms|s)$/m);
});

// Its own suite, so that the registry it starts (and a README without the block) concern only its
// test: the other checks of the README stand or fall by themselves.
void describe('the registry block as the README prints it', () => {
  let reg: RunningRegistry | undefined;
  let receiver: Server;
  let work: string;
  const deliveries: {
    headers: IncomingHttpHeaders;
    events: { action: string; target: { mediaType: string } }[];
  }[] = [];

  before(async () => {
    work = await tempDir('guix-recipes-readme-');
    const port = await freePort();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          deliveries.push({ headers: req.headers, events: (JSON.parse(body) as { events: [] }).events });
        } catch {
          /* not an envelope: counted as nothing */
        }
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    // The block as the README prints it, with only its service address pointed at the receiver.
    const block = notificationsBlock('README.md').replace(
      'http://127.0.0.1:8080/',
      `http://127.0.0.1:${port}/`,
    );
    reg = await startRegistry({ extraYaml: block });
  });
  after(async () => {
    await reg?.stop();
    await new Promise((r) => receiver?.close(r));
    if (work) await rm(work, { recursive: true, force: true });
  });

  void test('a real docker-registry started with that block announces pushes with the secret, not pulls', async () => {
    await pushFixture('two-channels', `${reg!.host}/team/app:1`, 'v2s2', work);
    const pushes = async () => {
      for (let i = 0; i < 100; i++) {
        const found = deliveries.filter((d) => d.events.some((e) => e.action === 'push'));
        if (found.length > 0) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    };
    const pushed = await pushes();
    assert.ok(pushed.length > 0, `no push announced; registry log:\n${reg!.logs()}`);
    for (const d of pushed) assert.equal(d.headers.authorization, 'Bearer s3cret');
    const manifests = pushed.flatMap((d) => d.events).filter((e) => /manifest/.test(e.target.mediaType));
    assert.ok(manifests.length > 0, 'the manifest push is announced');
    assert.ok(
      pushed.flatMap((d) => d.events).every((e) => e.target.mediaType !== 'application/octet-stream'),
      'blob pushes are not',
    );
    // A pull (what the scanner does) is not announced.
    await skopeo(['inspect', '--tls-verify=false', `docker://${reg!.host}/team/app:1`]);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(
      deliveries.flatMap((d) => d.events).filter((e) => e.action === 'pull'),
      [],
    );
  });
});

/** The sh block of the README that defines `img=`, and that value. */
function inspectExamples(): { img: string; lines: { args: string[]; comment: string }[] } {
  const block = blocks(README, 'sh').find((b) => /^img=/m.test(b));
  assert.ok(block, 'the README has the img= example block');
  const img = /^img=(\S+)$/m.exec(block)![1]!;
  const lines = block
    .split('\n')
    .filter((l) => l.startsWith('bin/guix-recipes inspect $img'))
    .map((l) => {
      const hash = l.indexOf('  #');
      const command = (hash < 0 ? l : l.slice(0, hash)).replace(/>\s*\S+\s*$/, '').trim();
      const words = command.split(/\s+/).slice(1); // after bin/guix-recipes
      return {
        args: words.map((w) => (w === '$img' ? img : w)),
        comment: hash < 0 ? '' : l.slice(hash + 3).trim(),
      };
    });
  return { img, lines };
}

void test("every inspect $img example runs; those that say they print Guix's output do, byte for byte", async () => {
  const { img, lines } = inspectExamples();
  const fixture = img.replace(/^docker-archive:/, '').replace(/\/image\.tar\.gz$/, '');
  assert.ok(existsSync(join(ROOT, fixture)), fixture);
  assert.ok(lines.length >= 8, 'the examples are found');
  let compared = 0;
  for (const { args, comment } of lines) {
    const r = await cli(args, { cwd: ROOT, env: { SOURCE_DATE_EPOCH: '0' } });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    const says = /as 'guix package --export-(channels|manifest)'/.exec(comment);
    if (says) {
      assert.equal(r.stdout, read(`${fixture}/export-${says[1]}.scm`), `${args.join(' ')} # ${comment}`);
      compared++;
    }
    if (/^pinned/.test(comment)) {
      assert.equal(r.stdout, read(`${fixture}/manifest-pinned.scm`), `${args.join(' ')} # ${comment}`);
      compared++;
    }
  }
  assert.equal(compared, 3, 'channels, manifest as Guix prints it, and the pinned manifest');
});

void test('the paths the README names exist', () => {
  const links = [...README.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((l) => !/^[a-z]+:/.test(l));
  const paths = [...README.matchAll(/((?:test\/fixtures|docs)\/[A-Za-z0-9_./-]*[A-Za-z0-9_])/g)].map(
    (m) => m[1]!,
  );
  const missing = [...links, ...paths].filter((p) => !existsSync(join(ROOT, p)));
  assert.deepEqual(missing, []);
  assert.ok(links.length >= 8 && paths.length >= 8);
  // A link into a section names a heading of that document (GitHub's anchors: lower case, spaces to
  // dashes, punctuation dropped).
  const anchors = [...README.matchAll(/\]\((docs\/[^)#]+)#([^)]+)\)/g)];
  assert.ok(anchors.length >= 2, 'the reliability links go to their sections');
  for (const [, doc, anchor] of anchors) {
    const headings = [...read(doc!).matchAll(/^#+ (.+)$/gm)].map((h) =>
      h[1]!
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    );
    assert.ok(headings.includes(anchor!), `${doc}#${anchor}`);
  }
});

void test("the fixtures' READMEs point only at files that are in the repository", () => {
  const dir = join(ROOT, 'test/fixtures');
  const readmes = readdirSync(dir)
    .map((d) => join(dir, d, 'README.md'))
    .filter((p) => existsSync(p));
  assert.ok(readmes.length >= 4);
  const missing: string[] = [];
  for (const p of readmes) {
    const text = readFileSync(p, 'utf8');
    for (const m of text.matchAll(/(\.\.\/[A-Za-z0-9_./-]*[A-Za-z0-9_])/g))
      if (!existsSync(resolve(dirname(p), m[1]!))) missing.push(`${p}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
});

void test('bench/generate-image.ts, which the bench README names, has a command line', () => {
  assert.match(read('bench/README.md'), /generate-image\.ts/);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/generate-image.ts', '--help'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: node --import tsx bench\/generate-image\.ts/);
  assert.match(r.stdout, /--mib N/);
  assert.match(r.stdout, /Examples:/);
  const bad = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/generate-image.ts', '--position', 'top'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--position must be start, middle or end/);
});
