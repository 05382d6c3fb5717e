// `guix-recipes start` with no REDIS_URL and no redis-server on PATH: one line saying what to do.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDir } from '../harness/skopeo.js';
import { spawnService } from './service-process.js';

void it('stops with one line naming apt-get install -y redis-server or REDIS_URL', async () => {
  const cwd = await tempDir('gr-noredis-');
  try {
    const env: Record<string, string | undefined> = { ...process.env, PATH: cwd, PORT: '0' };
    delete env.REDIS_URL;
    delete env.GUIX_RECIPES_CONFIG;
    const p = spawnService('start', { cwd, env });
    const code = await p.exited;
    assert.notEqual(code, 0);
    const lines = p.output().trimEnd().split('\n');
    assert.equal(lines.length, 1, p.output());
    assert.match(lines[0]!, /redis-server.*apt-get install -y redis-server.*REDIS_URL/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
