// End to end for Apptainer images: a real docker-registry whose notifications point at the service's
// webhook, the service started as users start it (`guix-recipes start`, its own redis-server), and
// every SIF and squashfs file of test/fixtures/apptainer pushed in its manifest shape as
// `apptainer push` / `oras push` store them. Each push is scanned from its webhook like any image:
// the recipe stored and verified, channels.scm served byte for byte as Guix exported it, the images
// found by package and store path, and the SIF and squashfs of one profile without a difference.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startRegistry, freePort, type RunningRegistry } from '../harness/registry.js';
import type { Digest } from '../harness/oras-push.js';
import {
  APPTAINER_CHANNELS,
  APPTAINER_PROFILE,
  APPTAINER_PUSHES,
  APPTAINER_REPO,
  pushFixtureArtifact,
} from '../harness/apptainer-pushes.js';
import { tempDir } from '../harness/skopeo.js';
import { imageId } from '../../shared/oci/reference.js';
import { spawnService, waitFor, waitReady, type ServiceProcess } from './service-process.js';

const SECRET = 'e2e-apptainer-secret';
const REPO = APPTAINER_REPO;

void describe('Apptainer images pushed to a registry, to recipes served by the service', () => {
  let reg: RunningRegistry;
  let svc: ServiceProcess;
  let base: string;
  let work: string;
  const pushed = new Map<string, Digest>();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    reg = await startRegistry({
      notifications: [
        {
          url: `${base}/v1/webhooks/distribution`,
          headers: { Authorization: [`Bearer ${SECRET}`] },
          backoff: '500ms',
        },
      ],
    });
    work = await tempDir('gr-e2e-apptainer-');
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(port),
      GUIX_RECIPES_REGISTRIES: `http://${reg.host}`,
      GUIX_RECIPES_WEBHOOK_SECRET: SECRET,
      GUIX_RECIPES_LOG_LEVEL: 'warn',
    };
    delete env.REDIS_URL;
    delete env.GUIX_RECIPES_CONFIG;
    svc = spawnService('start', { cwd: work, env });
    await waitReady(base, svc);
  });
  after(async () => {
    const code = await svc?.stop();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    assert.equal(code, 0, `start exits 0 on SIGTERM; output:\n${svc?.output()}`);
  });

  void it('scans every pushed artifact from its webhook, and serves channels.scm byte for byte', async () => {
    assert.equal(APPTAINER_PUSHES.length, 8);
    for (const p of APPTAINER_PUSHES) {
      const digest = await pushFixtureArtifact(reg.url, p);
      if (p.expectedDigest !== undefined) assert.equal(digest, p.expectedDigest, p.tag);
      pushed.set(p.tag, digest);
    }
    for (const p of APPTAINER_PUSHES) {
      const digest = pushed.get(p.tag)!;
      const id = imageId({ registry: reg.host, repository: REPO, digest });
      const status = await waitFor(`scan of ${p.tag}`, async () => {
        const r = await fetch(`${base}/v1/scans/${id}`);
        if (r.status !== 200) return undefined;
        const j = (await r.json()) as { state: string; error?: unknown };
        return j.state === 'done' || j.state === 'failed' ? j : undefined;
      });
      assert.equal(status.state, 'done', `${p.tag} (shape ${p.shape}): ${JSON.stringify(status)}`);

      const doc = (await (await fetch(`${base}/v1/recipes/${digest}`)).json()) as {
        kind: string;
        verified: boolean;
        recipe: { profile: string };
      };
      assert.equal(doc.kind, 'recipe', p.tag);
      assert.equal(doc.verified, true, p.tag);
      assert.equal(doc.recipe.profile, APPTAINER_PROFILE, p.tag);
      const ch = await fetch(`${base}/v1/recipes/${digest}/channels.scm`);
      assert.equal(ch.status, 200, p.tag);
      assert.equal(await ch.text(), APPTAINER_CHANNELS, `${p.tag} channels.scm`);
    }
  });

  void it('finds them by package and by store path', async () => {
    const names = [...pushed.values()].map((d) => `${reg.host}/${REPO}@${d}`).sort();
    for (const query of ['package=python-numpy', `store-path=${encodeURIComponent(APPTAINER_PROFILE)}`]) {
      const page = (await (await fetch(`${base}/v1/recipes?${query}`)).json()) as {
        items: { image: string }[];
        total: number;
      };
      assert.deepEqual(page.items.map((i) => i.image).sort(), names, query);
    }
  });

  void it('the SIF built by Apptainer and the bare squashfs pack have the same recipe (diff)', async () => {
    const from = `${reg.host}/${REPO}@${pushed.get('gz-build')!}`;
    const to = `${reg.host}/${REPO}@${pushed.get('gz-squashfs')!}`;
    const res = await fetch(`${base}/v1/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    assert.equal(res.status, 200);
    const j = (await res.json()) as { diff: { identical: boolean } };
    assert.equal(j.diff.identical, true);
  });
});
