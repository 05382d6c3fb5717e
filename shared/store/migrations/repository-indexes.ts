/**
 * Store schema 1 → 2: the repository indexes. Schema 2 keeps, next to the image records and tags,
 * the sets a walk of the store starts from (reconciliation, retention, deletions of a repository,
 * exports): the registries known, the repositories of each, the digests and the tags of each
 * repository. This step fills them from what schema 1 holds: every image record key
 * (`image:{<digest>}:<registry>/<repo>`) and every tag key (`tag:{<registry>/<repo>:<tag>}` and its
 * history). SADD only: running it again, or after a crash part-way, is harmless.
 */
import { scanKeys } from '../scan-keys.js';
import type { MigrationStep } from './migration-step.js';

export const repositoryIndexes: MigrationStep = {
  from: 1,
  description:
    'the repository indexes: registries, repositories, and the digests and tags of each repository',
  async run({ redis, keys, signal }) {
    for await (const batch of scanKeys(redis, `${keys.root}:image:{*}:*`, { signal })) {
      for (const key of batch) {
        const img = keys.parseImageKey(key);
        if (!img) continue;
        await redis.sadd(keys.registries(), img.registry);
        await redis.sadd(keys.repositories(img.registry), img.repository);
        await redis.sadd(keys.repositoryImages(img), img.digest);
      }
    }
    for await (const batch of scanKeys(redis, `${keys.root}:tag:{*}*`, { signal })) {
      for (const key of batch) {
        const ref = keys.parseTagKey(key)?.ref;
        if (!ref) continue;
        await redis.sadd(keys.registries(), ref.registry);
        await redis.sadd(keys.repositories(ref.registry), ref.repository);
        await redis.sadd(keys.repositoryTags(ref), ref.tag);
      }
    }
  },
};
