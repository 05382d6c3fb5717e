/**
 * GET /v1/recipes?image=|package=|channel=&commit=|store-path=: which images match, one page at a
 * time (offset + limit; order: first indexed first, ties by name; see shared/store/recipe-queries.ts).
 * GET /v1/images?state=: images by scan state (e.g. the failed ones, to retry them).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { RecipeError } from '../../../shared/errors.js';
import { RecipeQueries, type ImageSummary, type PageRequest } from '../../../shared/store/recipe-queries.js';
import type { PageResult } from '../../../shared/store/recipe-store.js';
import { withTimeout } from '../with-timeout.js';
import { ImagePageSchema, PagingQuery, problemResponses } from '../schemas/queries.js';

const RecipesQuery = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'host/repo:tag, host/repo@digest or a digest',
      }),
    ),
    package: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        pattern: '^[^\\s@]+(@[^\\s@]+)?$',
        description: 'name or name@version',
      }),
    ),
    channel: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'Channel URL (with commit)' }),
    ),
    commit: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{40,64}$', description: 'Channel commit (with channel)' }),
    ),
    'store-path': Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 4096,
        pattern: '^/\\S+$',
        description: 'A store item, e.g. /gnu/store/…-python-3.10.7',
      }),
    ),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

const ImagesQuery = Type.Object(
  {
    state: Type.Union(
      [Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')],
      { description: 'Scan state' },
    ),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

type Selector = Record<string, string>;

function withLinks(s: ImageSummary) {
  return { ...s, links: { recipe: `/v1/recipes/${s.digest}`, scan: `/v1/scans/${s.id}` } };
}

function nextLink(
  path: string,
  q: Record<string, string | number | undefined>,
  total: number,
): string | null {
  const offset = Number(q.offset ?? 0);
  const limit = Number(q.limit);
  if (offset + limit >= total) return null;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && k !== 'offset') p.set(k, String(v));
  p.set('offset', String(offset + limit));
  return `${path}?${p.toString()}`;
}

export default async function queryRoutes(app: FastifyInstance): Promise<void> {
  const queries = new RecipeQueries(app.store);
  const ms = app.config.redis.commandTimeoutMs;

  app.get(
    '/v1/recipes',
    {
      schema: {
        summary: 'Which images match: by image, package, channel commit or store path',
        description:
          'Give exactly one selector: `image`, `package`, `channel` with `commit`, or `store-path`. ' +
          'Pages: `offset` + `limit`; images are listed in the order they were first indexed (oldest first, ties by name), so pages stay stable as images are added.',
        tags: ['recipes'],
        querystring: RecipesQuery,
        response: { 200: ImagePageSchema, ...problemResponses },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof RecipesQuery>;
      const page: PageRequest = { offset: q.offset ?? 0, limit: q.limit ?? 50 };
      const given = (['image', 'package', 'channel', 'store-path'] as const).filter(
        (k) => q[k] !== undefined,
      );
      if (given.length !== 1)
        throw new RecipeError(
          'usage',
          'give exactly one of image, package, channel (with commit) or store-path',
          { details: { given } },
        );
      if ((q.channel === undefined) !== (q.commit === undefined))
        throw new RecipeError('usage', 'channel and commit go together');
      let selector: Selector;
      let found: PageResult<string>;
      if (q.image !== undefined) {
        selector = { image: q.image };
        found = await withTimeout(queries.findByImage(q.image, page), ms, 'store');
      } else if (q.package !== undefined) {
        selector = { package: q.package };
        found = await withTimeout(queries.findByPackage(q.package, page), ms, 'store');
      } else if (q.channel !== undefined) {
        selector = { channel: q.channel, commit: q.commit! };
        found = await withTimeout(queries.findByChannel(q.channel, q.commit!, page), ms, 'store');
      } else {
        selector = { 'store-path': q['store-path']! };
        found = await withTimeout(queries.findByStorePath(q['store-path']!, page), ms, 'store');
      }
      const items = await withTimeout(queries.describe(found.items), ms, 'store');
      return {
        query: selector,
        items: items.map(withLinks),
        total: found.total,
        offset: page.offset!,
        limit: page.limit!,
        next: nextLink('/v1/recipes', { ...selector, limit: page.limit, offset: page.offset }, found.total),
      };
    },
  );

  app.get(
    '/v1/images',
    {
      schema: {
        summary: 'Images by scan state (e.g. state=failed, to retry them)',
        description: 'Pages as for /v1/recipes; images are listed by when they entered the state.',
        tags: ['images'],
        querystring: ImagesQuery,
        response: { 200: ImagePageSchema, ...problemResponses },
      },
    },
    async (req) => {
      const q = req.query as Static<typeof ImagesQuery>;
      const page = { offset: q.offset ?? 0, limit: q.limit ?? 50 };
      const found = await withTimeout(queries.findByState(q.state, page), ms, 'store');
      return {
        query: { state: q.state },
        items: found.items.map(withLinks),
        total: found.total,
        offset: page.offset,
        limit: page.limit,
        next: nextLink('/v1/images', { state: q.state, limit: page.limit, offset: page.offset }, found.total),
      };
    },
  );
}
