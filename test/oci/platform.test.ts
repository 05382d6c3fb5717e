import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlatform, platformMatches } from '../../shared/content/platform.js';

void test('platform matching: os and architecture must match; a variant only when asked', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  assert.equal(platformMatches(amd64, parsePlatform('linux/amd64')), true);
  assert.equal(platformMatches(amd64, parsePlatform('linux/arm64')), false);
  assert.equal(platformMatches(amd64, parsePlatform('windows/amd64')), false);
  assert.equal(platformMatches(undefined, parsePlatform('linux/amd64')), false);
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm')),
    true,
  );
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm/v7')),
    false,
  );
});

void test('platform matching normalises the implied variants (arm64 = v8, amd64 = v1, arm = v7)', () => {
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')),
    true,
  );
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64/v8')),
    true,
  );
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/amd64/v1')),
    true,
  );
  assert.equal(
    platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/amd64/v3')),
    false,
  );
  assert.equal(platformMatches({ os: 'linux', architecture: 'arm' }, parsePlatform('linux/arm/v7')), true);
});
