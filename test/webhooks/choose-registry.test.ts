import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../shared/config/load-config.js';
import { chooseRegistry, senderSecrets } from '../../shared/config/webhook-routing.js';

const config = loadConfig({
  env: { GUIX_RECIPES_WEBHOOK_SECRET: 'global-secret' },
  file: {
    registries: [
      { host: 'harbor.example.org', webhook: { sender: 'harbor', secret: 'harbor-secret' } },
      { host: 'plain.example.org' },
    ],
  },
});

void test("a registry's own secret is accepted only on its sender's route", () => {
  assert.deepEqual(
    senderSecrets(config, 'harbor', 'harbor.example.org').map((s) => s.secret),
    ['harbor-secret'],
  );
  assert.deepEqual(senderSecrets(config, 'dockerhub', 'harbor.example.org'), []);
  assert.deepEqual(senderSecrets(config, 'distribution', 'harbor.example.org'), []);
});

void test('without ?registry= the global secret and the per-registry secrets of that sender count', () => {
  const harbor = senderSecrets(config, 'harbor', undefined);
  assert.deepEqual(
    harbor.map((s) => [s.secret, s.registry?.host]),
    [
      ['global-secret', undefined],
      ['harbor-secret', 'harbor.example.org'],
    ],
  );
  assert.deepEqual(
    senderSecrets(config, 'quay', undefined).map((s) => s.secret),
    ['global-secret'],
  );
  // A registry without its own secret takes the global one.
  assert.deepEqual(
    senderSecrets(config, 'quay', 'plain.example.org').map((s) => s.secret),
    ['global-secret'],
  );
});

void test('the registry comes from configuration only: query, bound secret, own registry, event host', () => {
  assert.equal(chooseRegistry(config, { queryRegistry: 'plain.example.org' })?.host, 'plain.example.org');
  assert.equal(
    chooseRegistry(config, { queryRegistry: 'evil.example.org', eventHost: 'plain.example.org' }),
    undefined,
  );
  assert.equal(chooseRegistry(config, { eventHost: 'harbor.example.org' })?.host, 'harbor.example.org');
  assert.equal(chooseRegistry(config, { eventHost: '169.254.169.254' }), undefined);
  assert.equal(chooseRegistry(config, { ownRegistry: 'docker.io' }), undefined);
});
