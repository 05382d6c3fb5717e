// End to end for a Guix system image: a real docker-registry whose notifications point at the
// service's webhook, the service started as users start it (`guix-recipes start`, its own
// redis-server), the system image pushed with skopeo; the service scans it on the push alone and
// serves the system's channels.scm and configuration.scm byte for byte, and the recipe naming the
// provenance file's commits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { startRegistry, freePort, type RunningRegistry } from '../harness/registry.js';
import { pushArchive, tempDir } from '../harness/skopeo.js';
import { imageId } from '../../shared/oci/reference.js';
import { spawnService, waitFor, waitReady, type ServiceProcess } from './service-process.js';
import { FIXTURE, FIXTURE_COMMIT, SYS, SYSTEM_FIXTURE_ARCHIVE } from '../scan/system-image-builder.js';

const SECRET = 'e2e-system-webhook-secret';

void describe('a pushed Guix system image, end to end through the webhook', () => {
  let reg: RunningRegistry;
  let svc: ServiceProcess;
  let base: string;
  let work: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    reg = await startRegistry({
      notifications: [
        {
          url: `${base}/v1/webhooks/distribution`,
          headers: { Authorization: [`Bearer ${SECRET}`] },
          ignoredMediaTypes: ['application/octet-stream'],
          ignoredActions: ['pull'],
          backoff: '500ms',
        },
      ],
    });
    work = await tempDir('gr-e2e-system-');
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

  void it('scans the push and serves the system recipe byte for byte', async () => {
    const archive = join(work, 'system-basic.tar');
    await pipeline(createReadStream(SYSTEM_FIXTURE_ARCHIVE), createGunzip(), createWriteStream(archive));
    const pushed = await pushArchive(archive, `${reg.host}/guix/system:latest`, 'v2s2');
    const id = imageId({ registry: reg.host, repository: 'guix/system', digest: pushed.digest });
    const status = await waitFor('the scan of the pushed system image', async () => {
      const r = await fetch(`${base}/v1/scans/${id}`);
      if (r.status === 404) return undefined;
      const j = (await r.json()) as { state: string };
      return j.state === 'done' || j.state === 'failed' ? j : undefined;
    });
    assert.equal(status.state, 'done', JSON.stringify(status));

    const doc = (await (await fetch(`${base}/v1/recipes/${pushed.digest}`)).json()) as {
      verified: boolean;
      recipe: {
        kind: string;
        system: {
          directory: string;
          provenance: { channels: { commit: string }[]; configurationFile: string };
        };
      };
    };
    assert.equal(doc.verified, true);
    assert.equal(doc.recipe.kind, 'system');
    assert.equal(doc.recipe.system.directory, FIXTURE.system);
    assert.deepEqual(
      doc.recipe.system.provenance.channels.map((c) => c.commit),
      [FIXTURE_COMMIT],
    );
    assert.equal(doc.recipe.system.provenance.configurationFile, SYS.configuration);

    const ch = await fetch(`${base}/v1/recipes/${pushed.digest}/channels.scm`);
    assert.equal(ch.status, 200);
    assert.equal(ch.headers.get('content-type'), 'text/x-scheme; charset=utf-8');
    assert.equal(await ch.text(), FIXTURE.channels);
    const conf = await fetch(`${base}/v1/recipes/${pushed.digest}/configuration.scm`);
    assert.equal(conf.status, 200);
    assert.equal(await conf.text(), FIXTURE.configuration);
    const manifest = await fetch(`${base}/v1/recipes/${pushed.digest}/manifest.scm`);
    assert.equal(manifest.status, 400);
  });
});
