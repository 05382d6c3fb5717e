// GET /v1/recipes/{digest}/sbom and /slsa: the documents of a scanned image, with their media types,
// byte-identical to `inspect docker://... --output cyclonedx|cyclonedx-1.7|spdx|slsa` run with the
// scan's own time (SOURCE_DATE_EPOCH), through a real registry, redis-server and worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../cli/capture.js';
import { startApiEnv, type ApiEnv } from './api-env.js';

const CASES = [
  { url: 'sbom', output: 'cyclonedx', type: 'application/vnd.cyclonedx+json; version=1.6' },
  {
    url: 'sbom?format=cyclonedx-1.7',
    output: 'cyclonedx-1.7',
    type: 'application/vnd.cyclonedx+json; version=1.7',
  },
  { url: 'sbom?format=spdx', output: 'spdx', type: 'application/spdx+json' },
  { url: 'slsa', output: 'slsa', type: 'application/vnd.in-toto+json' },
];

void describe('SBOM and SLSA routes', { timeout: 240_000 }, () => {
  let env: ApiEnv;
  let digest: string;
  let epoch: string;
  before(async () => {
    env = await startApiEnv();
    await env.push('two-channels', 'team/app', '1');
    ({ digest } = await env.scan(`${env.reg.host}/team/app:1`));
    const doc = (await env.get(`/v1/recipes/${digest}`)).json<{ scannedAt: string }>();
    epoch = String(Math.floor(Date.parse(doc.scannedAt) / 1000));
  });
  after(async () => env?.stop());

  for (const c of CASES)
    void it(`${c.url}: ${c.type}, the same bytes as --output ${c.output}`, async () => {
      const res = await env.get(`/v1/recipes/${digest}/${c.url}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], c.type);
      const run = await cli(
        [
          'inspect',
          `docker://${env.reg.host}/team/app@${digest}`,
          '--tls-verify=false',
          '--output',
          c.output,
        ],
        { env: { SOURCE_DATE_EPOCH: epoch } },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(res.body, run.stdout);
      assert.match(res.body, new RegExp(`${env.reg.host.replace(/[.:]/g, '\\$&')}/team/app`));
    });

  void it('an image that does not hold the digest is not-found, naming the ones that do', async () => {
    const res = await env.get(`/v1/recipes/${digest}/sbom?image=${env.reg.host}/other/app`);
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json<{ details: { images: string[] } }>().details.images, [
      `${env.reg.host}/team/app`,
    ]);
  });

  void it('an unknown format is a 400 and an unknown digest a 404', async () => {
    assert.equal((await env.get(`/v1/recipes/${digest}/sbom?format=swid`)).statusCode, 400);
    assert.equal((await env.get(`/v1/recipes/sha256:${'0'.repeat(64)}/slsa`)).statusCode, 404);
  });
});
