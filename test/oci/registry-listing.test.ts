/**
 * The registry's listings: the catalog and tag lists of a real docker-registry (the catalog paged
 * by its `Link` header), and, from an in-process fake, what a real registry will not send: links
 * that leave the listing, pages over the cap, answers that are not listings, names that are not
 * names, and the refusals that tell a registry without a catalog.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryClient } from '../../shared/oci/registry/registry-client.js';
import { catalogRefused } from '../../shared/oci/registry/catalog.js';
import { nextCursor } from '../../shared/oci/registry/listing.js';
import { registryEndpoint } from '../../shared/oci/registry/registry-endpoint.js';
import { isRecipeError } from '../../shared/errors.js';
import { startTestServer, type TestServer } from '../harness/fake-registry.js';
import { startRegistry, type RunningRegistry } from '../harness/registry.js';
import { copyImage, manifestOf } from '../harness/registry-copies.js';
import { pushFixture, tempDir } from '../harness/skopeo.js';

const signal = AbortSignal.timeout(60_000);
const FAST = { retries: { max: 1, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 100 } };

void describe('listings of a real docker-registry', () => {
  let reg: RunningRegistry;
  let client: RegistryClient;
  const repos = ['seed/app', 'team/a', 'team/b', 'team/c', 'zeta'];

  before(async () => {
    reg = await startRegistry();
    const pushed = await pushFixture('two-channels', `${reg.host}/seed/app:1`, 'oci', await tempDir());
    for (const r of repos.slice(1))
      await copyImage(reg.url, 'seed/app', r, manifestOf(pushed), ['1', '2', 'latest']);
    client = new RegistryClient({ registries: [registryEndpoint(`http://${reg.host}`)] });
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
  });

  void test('the catalog, two repositories a page, followed by its Link to the end', async () => {
    const seen: string[] = [];
    let page = await client.catalogPage(reg.host, { pageSize: 2 }, { signal });
    const cursors: string[] = [];
    for (;;) {
      assert.ok(page.items.length <= 2, JSON.stringify(page));
      seen.push(...page.items);
      if (page.next === undefined) break;
      cursors.push(page.next);
      page = await client.catalogPage(reg.host, { cursor: page.next }, { signal });
    }
    assert.deepEqual(seen, repos);
    assert.ok(cursors.length >= 2, 'more than one page');
    assert.match(cursors[0]!, /last=/);
  });

  void test('the tags of a repository', async () => {
    const page = await client.tagsPage(
      { registry: reg.host, repository: 'team/b' },
      { pageSize: 100 },
      { signal },
    );
    assert.deepEqual([...page.items].sort(), ['1', '2', 'latest']);
    assert.equal(page.invalid, 0);
  });

  void test('an unknown repository: not-found', async () => {
    await assert.rejects(
      client.tagsPage({ registry: reg.host, repository: 'no/such' }, {}, { signal }),
      (err) => isRecipeError(err, 'not-found'),
    );
  });
});

void describe('listings from a fake registry', () => {
  let fake: TestServer;
  let client: RegistryClient;
  before(async () => {
    fake = await startTestServer();
    client = new RegistryClient({
      registries: [registryEndpoint(`http://${fake.host}`)],
      settings: { ...FAST, limits: { listBytes: 4096 } },
    });
  });
  after(async () => {
    await client?.close();
    await fake?.close();
  });
  const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
    fake.clearIntercepts();
    fake.intercept((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
      return true;
    });
  };

  void test('a Link to another origin or another path is refused, never followed', async () => {
    for (const link of [
      '<http://198.51.100.7/v2/_catalog?last=x&n=2>; rel="next"',
      '</v2/other/tags/list?last=x>; rel="next"',
      '</v2/_catalog>; rel="next"',
    ]) {
      answer(200, '{"repositories":["a"]}', { link });
      const before = fake.requests.length;
      await assert.rejects(client.catalogPage(fake.host, {}, { signal }), (err) =>
        isRecipeError(err, 'registry-error'),
      );
      assert.equal(fake.requests.length, before + 1, link);
    }
  });

  void test('a page over the cap is size-limit; an answer that is not a listing is registry-error', async () => {
    answer(200, JSON.stringify({ repositories: Array.from({ length: 1000 }, (_, i) => `repo${i}`) }));
    await assert.rejects(client.catalogPage(fake.host, {}, { signal }), (err) =>
      isRecipeError(err, 'size-limit'),
    );
    for (const body of ['not json', '{"repositories":"a"}', '[]']) {
      answer(200, body);
      await assert.rejects(client.catalogPage(fake.host, {}, { signal }), (err) =>
        isRecipeError(err, 'registry-error'),
      );
    }
  });

  void test('names that are not repository names or tags are dropped and counted; null tags are none', async () => {
    answer(200, JSON.stringify({ repositories: ['ok/repo', 'Bad/Upper', '../etc', 7, 'x'] }));
    const c = await client.catalogPage(fake.host, {}, { signal });
    assert.deepEqual(c.items, ['ok/repo', 'x']);
    assert.equal(c.invalid, 3);
    answer(200, JSON.stringify({ name: 'x', tags: ['v1', '-bad', 'a'.repeat(200), 'v2'] }));
    const t = await client.tagsPage({ registry: fake.host, repository: 'x' }, {}, { signal });
    assert.deepEqual(t.items, ['v1', 'v2']);
    assert.equal(t.invalid, 2);
    answer(200, JSON.stringify({ name: 'x', tags: null }));
    assert.deepEqual(
      (await client.tagsPage({ registry: fake.host, repository: 'x' }, {}, { signal })).items,
      [],
    );
  });

  void test('the first page asks n; a cursor is sent back as it came', async () => {
    answer(200, '{"repositories":["a"]}', { link: '</v2/_catalog?last=a&n=1&extra=1>; rel="next"' });
    const p = await client.catalogPage(fake.host, { pageSize: 1 }, { signal });
    assert.equal(p.next, 'last=a&n=1&extra=1');
    assert.equal(fake.requests.at(-1)!.url, '/v2/_catalog?n=1');
    answer(200, '{"repositories":[]}');
    await client.catalogPage(fake.host, { cursor: p.next }, { signal });
    assert.equal(fake.requests.at(-1)!.url, '/v2/_catalog?last=a&n=1&extra=1');
  });

  void test('refusals: 404, 401 and UNSUPPORTED/DENIED say "no catalog"; 5xx does not', async () => {
    const refused = async (status: number, body: string) => {
      answer(status, body);
      try {
        await client.catalogPage(fake.host, {}, { signal });
        return 'answered';
      } catch (err) {
        return catalogRefused(err);
      }
    };
    assert.equal(await refused(404, '{"errors":[{"code":"NOT_FOUND"}]}'), true);
    assert.equal(await refused(401, '{"errors":[{"code":"UNAUTHORIZED"}]}'), true);
    assert.equal(await refused(405, '{"errors":[{"code":"UNSUPPORTED","message":"no catalog"}]}'), true);
    assert.equal(await refused(400, '{"errors":[{"code":"DENIED"}]}'), true);
    assert.equal(await refused(500, 'boom'), false);
  });

  void test('nextCursor reads the rel="next" link among others', () => {
    const base = new URL('http://r.example/v2/_catalog?n=2');
    assert.equal(
      nextCursor(
        '</v2/_catalog?last=q>; rel="prev", </v2/_catalog?last=z&n=2>; rel=next',
        base,
        '/v2/_catalog',
        'x',
      ),
      'last=z&n=2',
    );
    assert.equal(nextCursor(undefined, base, '/v2/_catalog', 'x'), undefined);
    assert.equal(nextCursor('</v2/_catalog?last=q>; rel="prev"', base, '/v2/_catalog', 'x'), undefined);
  });
});
