/**
 * GET /v1/diff?from=IMAGE&to=IMAGE: what changed between the recipes of two images (channels,
 * packages added, removed, changed version, rebuilt, transformations). JSON by default;
 * `text/plain` for people when the Accept header prefers it (or `?format=text`).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { diffRecipes } from '../../../shared/diff/recipe-diff.js';
import { renderDiffText } from '../../../shared/diff/render-diff.js';
import type { RecipeLookup } from '../../../shared/store/recipe-queries.js';
import { problemResponses } from '../schemas/common.js';
import { DiffQuery, DiffResponseSchema } from '../schemas/queries.js';

export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** The media type to answer with: text/plain only when Accept ranks it above JSON. */
export function prefersText(accept: string | undefined): boolean {
  if (!accept) return false;
  let text = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    const r = range.trim();
    if (r === 'text/plain' || r === 'text/*') text = Math.max(text, r === 'text/plain' ? q : q - 0.0001);
    if (r === 'application/json' || r === 'application/*') json = Math.max(json, q);
    if (r === '*/*') json = Math.max(json, q - 0.001);
  }
  return text > 0 && text > json;
}

const side = (l: RecipeLookup) => ({
  image: l.spec,
  digest: l.digest,
  recipeDigest: l.recipeDigest,
  platform: l.platform,
});

export default async function diffRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const queries = app.queries;
  app.get(
    '/v1/diff',
    {
      schema: {
        summary: 'What changed between two images',
        description:
          'Channels added, removed or moved (exported commit, other commits used), packages added, removed, changed version, rebuilt at the same version, and transformation changes. ' +
          '`Accept: text/plain` (or `format=text`) answers a line-per-change text for people.',
        tags: ['diff'],
        querystring: DiffQuery,
        response: {
          200: {
            description: 'The difference',
            content: {
              'application/json': { schema: DiffResponseSchema },
              'text/plain': { schema: Type.String() },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const [from, to] = await Promise.all([
        queries.recipeOf(q.from, q.platform),
        queries.recipeOf(q.to, q.platform),
      ]);
      const diff = diffRecipes(from.recipe, to.recipe);
      const text = q.format === 'text' || (q.format === undefined && prefersText(req.headers.accept));
      void reply.header('vary', 'Accept');
      if (text) {
        const label = (l: RecipeLookup) =>
          `${l.spec}${l.spec === l.recipeDigest ? '' : ` (${l.recipeDigest}${l.platform ? `, ${l.platform}` : ''})`}`;
        return reply.type(TEXT_CONTENT_TYPE).send(renderDiffText(diff, { from: label(from), to: label(to) }));
      }
      return reply.type('application/json; charset=utf-8').send({ from: side(from), to: side(to), diff });
    },
  );
}
