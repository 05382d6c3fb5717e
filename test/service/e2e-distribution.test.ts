// End to end: a real docker-registry whose notifications point at the service's webhook, the
// service started as users start it (`guix-recipes start`, its own redis-server under ./var), every
// fixture pushed with skopeo, each recipe then served byte-identical to Guix's own output, by digest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startRegistry, freePort, type RunningRegistry } from '../harness/registry.js';
import { pushFixture, tempDir, FIXTURES_DIR, type PushedImage } from '../harness/skopeo.js';
import { imageId } from '../../shared/oci/reference.js';
import { spawnService, waitFor, waitReady, type ServiceProcess } from './service-process.js';

const SECRET = 'e2e-webhook-secret';
const FIXTURES = [
  'seed-python-numpy',
  'multi-output',
  'two-channels',
  'mixed-commits',
  'transformations',
  'no-provenance',
  'propagated',
  'layered',
  'v3',
];
const fx = (name: string, file: string): string => readFileSync(join(FIXTURES_DIR, name, file), 'utf8');

void describe('push to recipe, end to end', () => {
  let reg: RunningRegistry;
  let svc: ServiceProcess;
  let base: string;
  let work: string;
  const pushed = new Map<string, PushedImage>();
  // A second notification endpoint that records what the registry announces (to the service too).
  let recorder: Server;
  const recorded: { action: string; repository: string; useragent: string }[] = [];

  before(async () => {
    const recorderPort = await freePort();
    recorder = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        try {
          for (const e of (
            JSON.parse(b) as {
              events: { action: string; target: { repository: string }; request: { useragent: string } }[];
            }
          ).events)
            recorded.push({
              action: e.action,
              repository: e.target.repository,
              useragent: e.request.useragent,
            });
        } catch {
          /* counted as nothing */
        }
        res.end();
      });
    });
    await new Promise<void>((r) => recorder.listen(recorderPort, '127.0.0.1', r));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    reg = await startRegistry({
      notifications: [
        {
          url: `${base}/v1/webhooks/distribution`,
          headers: { Authorization: [`Bearer ${SECRET}`] },
          // Deliver everything, blobs and pulls (our own) included: the service must ignore them.
          ignoredMediaTypes: [],
          ignoredActions: [],
          backoff: '500ms',
        },
        {
          url: `http://127.0.0.1:${recorderPort}/`,
          ignoredMediaTypes: ['application/octet-stream'],
          ignoredActions: [],
          backoff: '500ms',
        },
      ],
    });
    work = await tempDir('gr-e2e-');
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(port),
      GUIX_RECIPES_REGISTRIES: `http://${reg.host}`,
      GUIX_RECIPES_WEBHOOK_SECRET: SECRET,
      GUIX_RECIPES_LOG_LEVEL: 'info', // the default: where its own redis-server keeps its data is an info line
    };
    delete env.REDIS_URL;
    delete env.GUIX_RECIPES_CONFIG;
    svc = spawnService('start', { cwd: work, env });
    await waitReady(base, svc);
  });
  after(async () => {
    const code = await svc?.stop();
    await reg?.stop();
    await new Promise((r) => recorder?.close(r));
    if (work) rmSync(work, { recursive: true, force: true });
    assert.equal(code, 0, `start exits 0 on SIGTERM; output:\n${svc?.output()}`);
  });

  void it('says it started its own redis-server, with AOF, under ./var', () => {
    assert.match(svc.output(), /no REDIS_URL: started redis-server with its data in .*var\/redis \(AOF on\)/);
    assert.ok(existsSync(join(work, 'var/redis/redis.sock')));
  });

  void it('turns every pushed fixture into a stored recipe, served byte-identical by digest', async () => {
    for (const name of FIXTURES) {
      const format = name === 'two-channels' ? 'oci-zstd' : name === 'propagated' ? 'oci' : 'v2s2';
      pushed.set(name, await pushFixture(name, `${reg.host}/guix/${name}:v1`, format, work));
    }
    for (const name of FIXTURES) {
      const p = pushed.get(name)!;
      const id = imageId({ registry: reg.host, repository: `guix/${name}`, digest: p.digest });
      const status = await waitFor(`scan of ${name}`, async () => {
        const r = await fetch(`${base}/v1/scans/${id}`);
        const j = (await r.json()) as { state: string; error?: unknown };
        return j.state === 'done' || j.state === 'failed' ? j : undefined;
      });
      assert.equal(status.state, 'done', `${name}: ${JSON.stringify(status)}`);

      const doc = (await (await fetch(`${base}/v1/recipes/${p.digest}`)).json()) as {
        kind: string;
        verified: boolean;
        recipe: { profile: string };
      };
      assert.equal(doc.kind, 'recipe', name);
      assert.equal(doc.verified, true, name);
      assert.equal(doc.recipe.profile, fx(name, 'profile-path').trim(), name);

      const ch = await fetch(`${base}/v1/recipes/${p.digest}/channels.scm`);
      if (existsSync(join(FIXTURES_DIR, name, 'export-channels.error'))) {
        assert.equal(ch.status, 422, name);
        assert.equal(((await ch.json()) as { code: string }).code, 'no-provenance');
      } else {
        assert.equal(ch.status, 200, name);
        assert.equal(ch.headers.get('content-type'), 'text/x-scheme; charset=utf-8');
        assert.equal(await ch.text(), fx(name, 'export-channels.scm'), `${name} channels.scm`);
        assert.equal(
          await (await fetch(`${base}/v1/recipes/${p.digest}/channels.scm?printer=modern`)).text(),
          fx(name, 'export-channels.guile310.scm'),
          `${name} channels.scm modern`,
        );
      }
      assert.equal(
        await (await fetch(`${base}/v1/recipes/${p.digest}/manifest.scm`)).text(),
        fx(name, 'manifest-pinned.scm'),
        `${name} pinned`,
      );
      assert.equal(
        await (await fetch(`${base}/v1/recipes/${p.digest}/manifest.scm?style=guix`)).text(),
        fx(name, 'export-manifest.scm'),
        `${name} guix style`,
      );
      assert.equal(
        await (await fetch(`${base}/v1/recipes/${p.digest}/manifest.scm?style=pinned&printer=modern`)).text(),
        fx(name, 'manifest-pinned.guile310.scm'),
        `${name} pinned modern`,
      );
    }
  });

  void it('does not loop on its own pulls: each image is scanned exactly once', async () => {
    assert.ok(pushed.size > 0);
    // Our scans pulled manifests; the registry announces those pulls. Give them time to arrive.
    const ours = (repo: string) =>
      recorded.some((e) => e.action === 'pull' && e.repository === repo && !e.useragent.startsWith('skopeo'));
    await waitFor(
      'the registry to announce our own pulls',
      async () => ([...pushed.keys()].every((n) => ours(`guix/${n}`)) ? true : undefined),
      20000,
    );
    // The same announcements went to the service's endpoint; let them land before counting.
    await new Promise((r) => setTimeout(r, 2000));
    for (const [name, p] of pushed) {
      const id = imageId({ registry: reg.host, repository: `guix/${name}`, digest: p.digest });
      const j = (await (await fetch(`${base}/v1/scans/${id}`)).json()) as { state: string; scans: number };
      assert.equal(j.state, 'done', name);
      assert.equal(j.scans, 1, `${name} scanned ${j.scans} times`);
    }
  });

  void it('resolves a tag given to POST /v1/scans to the digest the registry serves', async () => {
    const p = pushed.get('two-channels')!;
    const res = await fetch(`${base}/v1/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: `${reg.host}/guix/two-channels:v1` }),
    });
    assert.equal(res.status, 202);
    const j = (await res.json()) as { digest: string; id: string };
    assert.equal(j.digest, p.digest);
  });

  void it('refuses wrong secrets and acknowledges unconfigured hosts on the running server', async () => {
    const body = readFileSync(
      new URL('../fixtures/webhooks/distribution/push-manifest-docker-v2.json', import.meta.url),
      'utf8',
    );
    const headers = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };
    const wrong = await fetch(`${base}/v1/webhooks/distribution`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer nope' },
      body,
    });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${base}/v1/webhooks/distribution`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${SECRET}` },
      body,
    });
    assert.equal(ok.status, 200, 'the capture names 127.0.0.1:5000, which is not configured');
    assert.equal(((await ok.json()) as { unconfigured: number }).unconfigured, 1);
    const digest = JSON.parse(body).events[0].target.digest as `sha256:${string}`;
    const id = imageId({ registry: '127.0.0.1:5000', repository: 'science/python-numpy', digest });
    assert.equal((await fetch(`${base}/v1/scans/${id}`)).status, 404, 'nothing queued, nothing fetched');
  });
});
