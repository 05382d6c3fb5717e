// Unit tests of the vendor senders: parse (sample payloads and variants) and authenticate.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isRecipeError } from '../../shared/errors.js';
import { acrSender, parseAcr } from '../../shared/webhooks/acr.js';
import { dockerHubSender, parseDockerHub } from '../../shared/webhooks/dockerhub.js';
import { githubSender, parseGithub } from '../../shared/webhooks/github.js';
import { gitlabSender } from '../../shared/webhooks/gitlab.js';
import { harborSender, parseHarbor } from '../../shared/webhooks/harbor.js';
import { parseQuay, quaySender } from '../../shared/webhooks/quay.js';
import { hostOf, isDigestTag } from '../../shared/webhooks/sender-helpers.js';
import type { WebhookRequest } from '../../shared/webhooks/sender.js';
import {
  SAMPLE_DIGEST,
  acrPush,
  distributionEnvelope,
  dockerHub,
  eventGridPushed,
  eventGridValidation,
  githubPackage,
  githubSignature,
  harborCloudEvent,
  harborDefault,
  quay,
} from './payloads.js';

const D2 = `sha256:${'ab'.repeat(32)}`;

function req(over: Partial<WebhookRequest> = {}): WebhookRequest {
  return { headers: {}, query: {}, rawBody: Buffer.from('{}'), ...over };
}

const parseError = (err: unknown): boolean => isRecipeError(err, 'parse-error');

void describe('harbor: parse', () => {
  void it('Default format sample: repository, digest, tag, host of resource_url', () => {
    const d = parseHarbor(
      harborDefault({
        host: 'harbor.example.com',
        repository: 'team/app',
        tag: '1.4.2',
        digest: SAMPLE_DIGEST,
      }),
    );
    assert.deepEqual(d.ignored, []);
    assert.deepEqual(d.pushes, [
      { repository: 'team/app', tag: '1.4.2', digest: SAMPLE_DIGEST, host: 'harbor.example.com' },
    ]);
  });

  void it('CloudEvents format: same pushes, event id kept', () => {
    const d = parseHarbor(
      harborCloudEvent(
        { host: 'harbor.example.com:8443', repository: 'team/app', tag: 'v1', digest: SAMPLE_DIGEST },
        'ev-1',
      ),
    );
    assert.deepEqual(d.pushes, [
      {
        repository: 'team/app',
        tag: 'v1',
        digest: SAMPLE_DIGEST,
        host: 'harbor.example.com:8443',
        eventId: 'ev-1',
      },
    ]);
  });

  void it('a push without a tag carries the digest in `tag`: read as no tag', () => {
    const body = harborDefault({ host: 'h.example', repository: 'team/app', digest: SAMPLE_DIGEST });
    const res = (body as { event_data: { resources: { tag: string; resource_url: string }[] } }).event_data
      .resources[0]!;
    assert.equal(res.tag, SAMPLE_DIGEST);
    assert.equal(res.resource_url, `h.example/team/app@${SAMPLE_DIGEST}`);
    const d = parseHarbor(body);
    assert.equal(d.pushes.length, 1);
    assert.equal(d.pushes[0]!.tag, undefined);
    assert.equal(d.pushes[0]!.digest, SAMPLE_DIGEST);
  });

  void it('several resources: one push each; malformed ones ignored with a reason', () => {
    const body = harborDefault({
      host: 'h.example',
      repository: 'team/app',
      tag: 'a',
      digest: SAMPLE_DIGEST,
    }) as {
      event_data: { resources: unknown[] };
    };
    body.event_data.resources.push({ digest: D2, tag: 'b', resource_url: 'h.example/team/app:b' });
    body.event_data.resources.push({ digest: 'sha256:short', tag: 'c' });
    body.event_data.resources.push('junk');
    const d = parseHarbor(body);
    assert.deepEqual(
      d.pushes.map((p) => [p.tag, p.digest]),
      [
        ['a', SAMPLE_DIGEST],
        ['b', D2],
      ],
    );
    assert.deepEqual(
      d.ignored.map((i) => i.reason),
      ['malformed digest', 'malformed resource'],
    );
  });

  void it('events other than pushes and deletions are acknowledged and ignored', () => {
    for (const body of [
      harborDefault({ host: 'h', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST }, 'PULL_ARTIFACT'),
      harborCloudEvent(
        { host: 'h', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST },
        'x',
        'harbor.scan.completed',
      ),
    ]) {
      const d = parseHarbor(body);
      assert.equal(d.pushes.length, 0);
      assert.equal(d.ignored.length, 1);
    }
  });

  void it('hostile names are ignored, not queued', () => {
    const d = parseHarbor(
      harborDefault({ host: 'h', repository: 'Team/../../etc', tag: 'a', digest: SAMPLE_DIGEST }),
    );
    assert.equal(d.pushes.length, 0);
    assert.equal(d.ignored[0]!.reason, 'malformed repository or tag');
    const e = parseHarbor(
      harborDefault({ host: 'h', repository: 'team/app', tag: 'a b', digest: SAMPLE_DIGEST }),
    );
    assert.equal(e.pushes.length, 0);
  });

  void it('malformed bodies are parse errors', () => {
    for (const body of [null, [], 'PUSH_ARTIFACT', { event_data: {} }, { type: 7 }])
      assert.throws(() => parseHarbor(body), parseError);
    // a push type without resources is acknowledged (nothing to scan), not an error
    assert.equal(parseHarbor({ type: 'PUSH_ARTIFACT', event_data: {} }).ignored.length, 1);
  });

  void it('authenticate: Authorization header verbatim or as Bearer', () => {
    const secrets = ['other', 's3cret'];
    assert.equal(harborSender.authenticate(req({ headers: { authorization: 's3cret' } }), secrets), 1);
    assert.equal(harborSender.authenticate(req({ headers: { authorization: 'Bearer s3cret' } }), secrets), 1);
    assert.equal(harborSender.authenticate(req({ headers: { authorization: 'Bearer wrong' } }), secrets), -1);
    assert.equal(harborSender.authenticate(req({ headers: {} }), secrets), -1);
    assert.equal(harborSender.authenticate(req({ headers: { authorization: '' } }), ['']), -1);
    // a query token is not Harbor's way
    assert.equal(harborSender.authenticate(req({ query: { token: 's3cret' } }), secrets), -1);
  });

  void it('delivery id: the CloudEvents id, else a hash of the exact bytes', () => {
    const ce = harborCloudEvent(
      { host: 'h', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST },
      'abc',
    );
    assert.equal(harborSender.deliveryId!(req(), ce), 'ce:abc');
    const raw = Buffer.from(
      JSON.stringify(harborDefault({ host: 'h', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST })),
    );
    const id = harborSender.deliveryId!(req({ rawBody: raw }), JSON.parse(raw.toString()));
    assert.equal(id, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    const later = Buffer.from(
      JSON.stringify(
        harborDefault(
          { host: 'h', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST },
          'PUSH_ARTIFACT',
          1795342900,
        ),
      ),
    );
    assert.notEqual(harborSender.deliveryId!(req({ rawBody: later }), JSON.parse(later.toString())), id);
  });
});

void describe('github: parse', () => {
  void it('package published: lower-cased owner/name, digest, tag, media type; no host from the body', () => {
    const d = parseGithub(githubPackage({ owner: 'Acme', name: 'app', tag: '1.4.2', digest: SAMPLE_DIGEST }));
    assert.deepEqual(d.pushes, [
      {
        repository: 'acme/app',
        tag: '1.4.2',
        digest: SAMPLE_DIGEST,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    ]);
    assert.equal(githubSender.ownRegistry, 'ghcr.io');
  });

  void it('registry_package (older name) and updated action are read the same way', () => {
    const d = parseGithub(
      githubPackage(
        { owner: 'acme', name: 'app', tag: 'v2', digest: D2 },
        { event: 'registry_package', action: 'updated' },
      ),
    );
    assert.deepEqual(
      d.pushes.map((p) => [p.repository, p.tag, p.digest]),
      [['acme/app', 'v2', D2]],
    );
  });

  void it('untagged version: digest only', () => {
    const d = parseGithub(githubPackage({ owner: 'acme', name: 'app', digest: SAMPLE_DIGEST }));
    assert.equal(d.pushes.length, 1);
    assert.equal(d.pushes[0]!.tag, undefined);
  });

  void it('non-container packages, other actions, pings are ignored', () => {
    const ignoredOnly = [
      githubPackage({ owner: 'acme', name: 'lib', digest: SAMPLE_DIGEST }, { packageType: 'npm' }),
      githubPackage({ owner: 'acme', name: 'app', digest: SAMPLE_DIGEST }, { action: 'deleted' }),
      { zen: 'Design for failure.', hook_id: 1, hook: {} },
      { action: 'opened', issue: {} },
    ];
    for (const b of ignoredOnly) {
      const d = parseGithub(b);
      assert.equal(d.pushes.length, 0);
      assert.equal(d.ignored.length, 1);
    }
  });

  void it('a version without a valid digest and without a tag is ignored', () => {
    const b = githubPackage({ owner: 'acme', name: 'app', digest: 'not-a-digest' });
    const d = parseGithub(b);
    assert.equal(d.pushes.length, 0);
    assert.equal(d.ignored[0]!.reason, 'neither a tag nor a digest');
  });

  void it('malformed bodies are parse errors', () => {
    for (const b of [null, [], 'x', 3]) assert.throws(() => parseGithub(b), parseError);
  });

  void it('authenticate: HMAC-SHA256 of the raw bytes; a re-serialised body fails', () => {
    const body = githubPackage({ owner: 'Acme', name: 'app', tag: '1', digest: SAMPLE_DIGEST });
    // As GitHub sends it: pretty-printed, so JSON.stringify(JSON.parse(raw)) differs from raw.
    const raw = Buffer.from(JSON.stringify(body, null, 2));
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString())));
    assert.notDeepEqual(raw, reserialised);
    const sig = githubSignature('s3cret', raw);
    const headers = { 'x-hub-signature-256': sig };
    assert.equal(githubSender.authenticate(req({ headers, rawBody: raw }), ['nope', 's3cret']), 1);
    assert.equal(githubSender.authenticate(req({ headers, rawBody: reserialised }), ['s3cret']), -1);
    assert.equal(githubSender.authenticate(req({ headers, rawBody: raw }), ['wrong']), -1);
    assert.equal(githubSender.authenticate(req({ rawBody: raw }), ['s3cret']), -1);
    // upper-case hex is the same signature; other encodings are not
    assert.equal(
      githubSender.authenticate(
        req({
          headers: { 'x-hub-signature-256': sig.toUpperCase().replace('SHA256=', 'sha256=') },
          rawBody: raw,
        }),
        ['s3cret'],
      ),
      0,
    );
    assert.equal(
      githubSender.authenticate(req({ headers: { 'x-hub-signature-256': sig.slice(7) }, rawBody: raw }), [
        's3cret',
      ]),
      -1,
    );
    // the legacy SHA-1 header alone is not accepted, nor the secret itself in a header
    assert.equal(
      githubSender.authenticate(req({ headers: { 'x-hub-signature': 'sha1=00' }, rawBody: raw }), ['s3cret']),
      -1,
    );
    assert.equal(
      githubSender.authenticate(req({ headers: { authorization: 'Bearer s3cret' }, rawBody: raw }), [
        's3cret',
      ]),
      -1,
    );
  });

  void it('delivery id from X-GitHub-Delivery', () => {
    assert.equal(githubSender.deliveryId!(req({ headers: { 'x-github-delivery': 'd-1' } }), {}), 'd-1');
    assert.equal(githubSender.deliveryId!(req(), {}), undefined);
  });
});

void describe('dockerhub: parse', () => {
  void it('sample: repository and tag, no digest, callback_url unused', () => {
    const d = parseDockerHub(dockerHub('acme/app', '1.4.2'));
    assert.deepEqual(d.pushes, [{ repository: 'acme/app', tag: '1.4.2' }]);
    assert.equal(dockerHubSender.ownRegistry, 'docker.io');
    assert.ok(!JSON.stringify(d).includes('registry.hub.docker.com'));
  });

  void it('official images get their library/ namespace', () => {
    const body = dockerHub('library/nginx', 'latest') as { repository: Record<string, unknown> };
    body.repository.repo_name = 'nginx';
    assert.equal(parseDockerHub(body).pushes[0]!.repository, 'library/nginx');
  });

  void it('no tag or a malformed one: ignored', () => {
    assert.equal(parseDockerHub(dockerHub('acme/app', '')).pushes.length, 0);
    assert.equal(parseDockerHub(dockerHub('acme/app', 'a:b')).pushes.length, 0);
    assert.equal(parseDockerHub(dockerHub('Acme/App', 'v1')).pushes.length, 0);
  });

  void it('malformed bodies are parse errors', () => {
    for (const b of [null, [], {}, { repository: {} }, { push_data: {} }])
      assert.throws(() => parseDockerHub(b), parseError);
  });

  void it('authenticate: the token query parameter only', () => {
    assert.equal(dockerHubSender.authenticate(req({ query: { token: 'tok' } }), ['x', 'tok']), 1);
    assert.equal(dockerHubSender.authenticate(req({ query: { token: 'bad' } }), ['tok']), -1);
    assert.equal(dockerHubSender.authenticate(req({ query: { token: '' } }), ['tok']), -1);
    assert.equal(dockerHubSender.authenticate(req(), ['tok']), -1);
    assert.equal(
      dockerHubSender.authenticate(req({ headers: { authorization: 'Bearer tok' } }), ['tok']),
      -1,
    );
  });
});

void describe('quay: parse', () => {
  void it('sample: one tag-only push per updated tag, host of docker_url', () => {
    const d = parseQuay(quay('quay.io', 'acme/app', ['1.4.2', 'latest']));
    assert.deepEqual(d.pushes, [
      { repository: 'acme/app', tag: '1.4.2', host: 'quay.io' },
      { repository: 'acme/app', tag: 'latest', host: 'quay.io' },
    ]);
  });

  void it('self-hosted quay with a port; old map form of updated_tags', () => {
    const d = parseQuay(quay('quay.example.com:8443', 'acme/app', { v1: 'imageid1', v2: 'imageid2' }));
    assert.deepEqual(
      d.pushes.map((p) => [p.host, p.tag]),
      [
        ['quay.example.com:8443', 'v1'],
        ['quay.example.com:8443', 'v2'],
      ],
    );
  });

  void it('notifications without updated tags are ignored; bad tags ignored one by one', () => {
    assert.equal(
      parseQuay({ repository: 'acme/app', docker_url: 'quay.io/acme/app', build_id: 'x' }).pushes.length,
      0,
    );
    const d = parseQuay(quay('quay.io', 'acme/app', ['ok', 'bad tag', 7]));
    assert.deepEqual(
      d.pushes.map((p) => p.tag),
      ['ok'],
    );
    assert.equal(d.ignored.length, 2);
  });

  void it('the host is only what docker_url names (homepage is not used)', () => {
    const body = quay('quay.io', 'acme/app', ['v1']) as Record<string, unknown>;
    body.homepage = 'https://169.254.169.254/latest/meta-data';
    assert.equal(parseQuay(body).pushes[0]!.host, 'quay.io');
    delete body.docker_url;
    assert.equal(parseQuay(body).pushes[0]!.host, undefined);
  });

  void it('malformed bodies are parse errors', () => {
    for (const b of [null, [], {}, { updated_tags: ['x'] }]) assert.throws(() => parseQuay(b), parseError);
  });

  void it('authenticate: the token query parameter only', () => {
    assert.equal(quaySender.authenticate(req({ query: { token: 'tok' } }), ['tok']), 0);
    assert.equal(quaySender.authenticate(req({ query: { token: 'tok2' } }), ['tok']), -1);
    assert.equal(quaySender.authenticate(req({ headers: { authorization: 'tok' } }), ['tok']), -1);
  });
});

void describe('acr: parse', () => {
  void it('webhook push sample: target and request.host', () => {
    const d = parseAcr(
      acrPush({ host: 'acmeprod.azurecr.io', repository: 'team/app', tag: '1.4.2', digest: SAMPLE_DIGEST }),
    );
    assert.deepEqual(d.pushes, [
      {
        repository: 'team/app',
        tag: '1.4.2',
        digest: SAMPLE_DIGEST,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        host: 'acmeprod.azurecr.io',
        eventId: '7e1c3f9a-0d4b-4b8e-a1d2-6f0e9c8b7a65',
      },
    ]);
  });

  void it('webhook: ping, chart pushes and non-image media types are ignored', () => {
    const base = { host: 'a.azurecr.io', repository: 'team/app', tag: 'v', digest: SAMPLE_DIGEST };
    for (const body of [
      acrPush(base, 'i', 'ping'),
      acrPush(base, 'i', 'chart_push'),
      acrPush({ ...base, mediaType: 'application/vnd.cncf.helm.config.v1+json' }),
    ]) {
      const d = parseAcr(body);
      assert.equal(d.pushes.length, 0, JSON.stringify(body));
      assert.equal(d.ignored.length, 1);
    }
  });

  void it('Event Grid: an array of ImagePushed and ImageDeleted events, others ignored', () => {
    const d = parseAcr([
      eventGridPushed(
        { host: 'acmeprod.azurecr.io', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST },
        'eg-1',
      ),
      eventGridPushed({ host: 'acmeprod.azurecr.io', repository: 'team/other', digest: D2 }, 'eg-2'),
      {
        ...eventGridPushed({ host: 'x', repository: 'team/app', digest: D2 }, 'eg-3'),
        eventType: 'Microsoft.ContainerRegistry.ImageDeleted',
      },
      7,
    ]);
    assert.deepEqual(
      d.pushes.map((p) => [p.repository, p.tag, p.digest, p.eventId, p.host]),
      [
        ['team/app', 'a', SAMPLE_DIGEST, 'eg-1', 'acmeprod.azurecr.io'],
        ['team/other', undefined, D2, 'eg-2', 'acmeprod.azurecr.io'],
      ],
    );
    // The event type decides: an ImageDeleted event is a deletion whatever its data's action says.
    assert.deepEqual(d.deletes, [{ repository: 'team/app', digest: D2, host: 'x', eventId: 'eg-3' }]);
    assert.equal(d.ignored.length, 1);
    assert.equal(d.reply, undefined);
  });

  void it('Event Grid subscription validation: the handshake reply, nothing else', () => {
    const d = parseAcr([eventGridValidation('512d38b6-c7b8-40c8-89fe-f46f9e9622b6')]);
    assert.deepEqual(d.reply, { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
    assert.equal(d.pushes.length, 0);
    const bad = parseAcr([{ eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: {} }]);
    assert.equal(bad.reply, undefined);
    assert.equal(bad.ignored.length, 1);
  });

  void it('CloudEvents-schema events are read as well', () => {
    const ev = eventGridPushed(
      { host: 'a.azurecr.io', repository: 'team/app', tag: 'a', digest: SAMPLE_DIGEST },
      'ce-1',
    );
    const ce = { specversion: '1.0', id: 'ce-1', source: ev.topic, type: ev.eventType, data: ev.data };
    assert.equal(parseAcr(ce).pushes.length, 1);
    assert.equal(parseAcr([ce]).pushes.length, 1);
  });

  void it('malformed bodies are parse errors', () => {
    for (const b of [null, 'x', {}, { target: {} }]) assert.throws(() => parseAcr(b), parseError);
  });

  void it('authenticate: Authorization header (verbatim or Bearer) or token query parameter', () => {
    assert.equal(acrSender.authenticate(req({ headers: { authorization: 'Bearer k' } }), ['k']), 0);
    assert.equal(acrSender.authenticate(req({ headers: { authorization: 'k' } }), ['k']), 0);
    assert.equal(acrSender.authenticate(req({ query: { token: 'k' } }), ['j', 'k']), 1);
    assert.equal(acrSender.authenticate(req({ headers: { authorization: 'Bearer j' } }), ['k']), -1);
    assert.equal(acrSender.authenticate(req(), ['k']), -1);
  });

  void it('delivery id: the event ids, stable in any order', () => {
    const a = eventGridPushed({ host: 'x', repository: 'team/app', digest: D2 }, 'e1');
    const b = eventGridPushed({ host: 'x', repository: 'team/app', digest: D2 }, 'e2');
    assert.equal(acrSender.deliveryId!(req(), [a, b]), acrSender.deliveryId!(req(), [b, a]));
    assert.equal(
      acrSender.deliveryId!(req(), acrPush({ host: 'x', repository: 'r/a', digest: D2 }, 'w1')),
      'w1',
    );
    assert.equal(acrSender.deliveryId!(req(), [a, { eventType: 'x' }]), undefined);
  });
});

void describe('gitlab: the distribution envelope under its own name', () => {
  void it('parses the envelope and authenticates by bearer token', () => {
    assert.equal(gitlabSender.name, 'gitlab');
    const d = gitlabSender.parse(
      distributionEnvelope({
        host: 'gitlab.example.com:5050',
        repository: 'group/project/app',
        tag: 'v1',
        digest: SAMPLE_DIGEST,
      }),
    );
    assert.deepEqual(
      d.pushes.map((p) => [p.repository, p.tag, p.digest, p.host]),
      [['group/project/app', 'v1', SAMPLE_DIGEST, 'gitlab.example.com:5050']],
    );
    assert.equal(gitlabSender.authenticate(req({ headers: { authorization: 'Bearer k' } }), ['k']), 0);
    assert.equal(gitlabSender.authenticate(req({ headers: { authorization: 'k' } }), ['k']), -1);
  });
});

void describe('helpers', () => {
  void it('isDigestTag', () => {
    assert.ok(isDigestTag(SAMPLE_DIGEST));
    assert.ok(!isDigestTag('1.4.2'));
    assert.ok(!isDigestTag('sha256-abc'));
  });
  void it('hostOf: first segment, lower case; junk is undefined', () => {
    assert.equal(hostOf('Harbor.Example.com/team/app:1'), 'harbor.example.com');
    assert.equal(hostOf('https://quay.io/repository/acme/app'), 'quay.io');
    assert.equal(hostOf('127.0.0.1:5000/a@sha256:00'), '127.0.0.1:5000');
    assert.equal(hostOf('a b/c'), undefined);
    assert.equal(hostOf(''), undefined);
    assert.equal(hostOf(undefined), undefined);
  });
});
