/**
 * GET /v1/recipes?image=|package=|channel=&commit=|store-path=: which images match, one page at a
 * time (offset + limit; order: first indexed first, ties by name; see shared/store/recipe-queries.ts).
 * GET /v1/images[?state=]: every image the service knows, or those in one scan state (e.g. the failed
 * ones, to retry them).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { imageSelector, type ImageSummary } from '../../../shared/store/recipe-queries.js';
import { clampPage, type PageResult } from '../../../shared/store/recipe-store.js';
import { problemResponses } from '../schemas/common.js';
import { ImagePageSchema, ImagesQuery, RecipesQuery } from '../schemas/queries.js';

function withLinks(s: ImageSummary) {
  return { ...s, links: { recipe: `/v1/recipes/${s.digest}`, scan: `/v1/scans/${s.id}` } };
}

/** A page as both routes answer it: the selector echoed, the items with links, the next page's URL. */
function pageAnswer(
  path: string,
  selector: Record<string, string>,
  page: { offset: number; limit: number },
  found: PageResult<ImageSummary>,
) {
  const end = page.offset + page.limit;
  const next = new URLSearchParams({ ...selector, limit: String(page.limit), offset: String(end) });
  return {
    query: selector,
    items: found.items.map(withLinks),
    total: found.total,
    offset: page.offset,
    limit: page.limit,
    next: end >= found.total ? null : `${path}?${next.toString()}`,
  };
}

export default async function queryRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const queries = app.queries;

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
      const selector = imageSelector(req.query);
      const page = clampPage(req.query);
      const found = await queries.find(selector, page);
      return pageAnswer('/v1/recipes', selector, page, found);
    },
  );

  app.get(
    '/v1/images',
    {
      schema: {
        summary: 'Every image, or the images in one scan state (e.g. state=failed, to retry them)',
        description:
          'Pages as for /v1/recipes. Without `state`, every image the service has a record of, first recorded first; with it, images by when they entered that state.',
        tags: ['images'],
        querystring: ImagesQuery,
        response: { 200: ImagePageSchema, ...problemResponses },
      },
    },
    async (req) => {
      const page = clampPage(req.query);
      const state = req.query.state;
      if (state === undefined) return pageAnswer('/v1/images', {}, page, await queries.findAll(page));
      return pageAnswer('/v1/images', { state }, page, await queries.findByState(state, page));
    },
  );
}
