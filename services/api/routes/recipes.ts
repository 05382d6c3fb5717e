/**
 * GET /v1/recipes/{digest}: the stored recipe (an index digest: its per-platform roll-up).
 * GET /v1/recipes/{digest}/channels.scm and /manifest.scm: the texts, byte-identical to the CLI
 * (the same render functions), as text/x-scheme; for an index, `?platform=` (default linux/amd64).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { RecipeError } from '../../../shared/errors.js';
import { parsePlatform } from '../../../shared/content/platform.js';
import { type Digest } from '../../../shared/content/digest.js';
import { renderChannels, renderManifest } from '../../../shared/guix/build-recipe.js';
import type { StoredResult } from '../../../shared/store/recipe-store.js';
import { DescriptorSchema, DigestSchema, PlatformSchema, RecipeSchema } from '../schemas/common.js';
import { ProblemSchema } from '../problem.js';
import { withTimeout } from '../with-timeout.js';

export const SCHEME_CONTENT_TYPE = 'text/x-scheme; charset=utf-8';
const DEFAULT_PLATFORM = 'linux/amd64';

const Params = Type.Object({ digest: DigestSchema });
const PlatformQuery = Type.String({
  pattern: '^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$',
  description: 'os/arch[/variant], for an index',
});
const Printer = Type.Union([Type.Literal('classic'), Type.Literal('modern')], { default: 'classic' });
const ChannelsQuery = Type.Object({
  platform: Type.Optional(PlatformQuery),
  printer: Type.Optional(Printer),
});
const ManifestQuery = Type.Object({
  platform: Type.Optional(PlatformQuery),
  printer: Type.Optional(Printer),
  style: Type.Optional(Type.Union([Type.Literal('pinned'), Type.Literal('guix')], { default: 'pinned' })),
});

export const RecipeDocumentSchema = Type.Object(
  {
    digest: Type.String(),
    kind: Type.Union([Type.Literal('recipe'), Type.Literal('index')]),
    manifest: DescriptorSchema,
    scannedAt: Type.String(),
    platform: Type.Optional(Type.Union([PlatformSchema, Type.Null()])),
    verified: Type.Optional(Type.Boolean()),
    recipe: Type.Optional(RecipeSchema),
    platforms: Type.Optional(
      Type.Array(
        Type.Object({
          platform: Type.Union([PlatformSchema, Type.Null()]),
          digest: Type.String(),
          kind: Type.String(),
          links: Type.Object({ recipe: Type.String() }),
        }),
      ),
    ),
    images: Type.Array(Type.String(), {
      description: 'registry/repo@digest of every image holding this digest',
    }),
  },
  { title: 'RecipeDocument' },
);
const TextResponse = Type.String({ description: 'Guile Scheme source', contentMediaType: 'text/x-scheme' });

function noRecipe(r: StoredResult): RecipeError {
  if (r.kind === 'no-profile' || r.kind === 'not-guix')
    return new RecipeError(
      'no-guix-profile',
      `${r.digest}: ${r.kind === 'not-guix' ? 'not a Guix image' : 'no Guix profile found'}: ${r.reason}`,
      {
        details: { kind: r.kind },
      },
    );
  return new RecipeError('internal', `unexpected result kind ${r.kind}`);
}

export default async function recipeRoutes(app: FastifyInstance): Promise<void> {
  const ms = app.config.redis.commandTimeoutMs;
  const load = async (digest: Digest): Promise<StoredResult> => {
    const r = await withTimeout(app.store.getResult(digest), ms, 'store');
    if (!r) throw new RecipeError('not-found', `no recipe for ${digest}`);
    return r;
  };
  /** The recipe of an image digest, or of one platform of an index. */
  const recipeOf = async (digest: Digest, platform: string | undefined) => {
    let r = await load(digest);
    if (r.kind === 'index') {
      const want = parsePlatform(platform ?? DEFAULT_PLATFORM);
      const child = await withTimeout(app.store.getPlatformResult(digest, want), ms, 'store');
      if (!child)
        throw new RecipeError('platform-not-found', `${digest} has no ${platform ?? DEFAULT_PLATFORM} image`);
      r = child;
    }
    if (r.kind !== 'recipe') throw noRecipe(r);
    return r.recipe;
  };
  const errors = { '4xx': ProblemSchema, '5xx': ProblemSchema };

  app.get(
    '/v1/recipes/:digest',
    {
      schema: {
        summary: 'The recipe of a manifest digest',
        tags: ['recipes'],
        params: Params,
        response: { 200: RecipeDocumentSchema, ...errors },
      },
    },
    async (req) => {
      const { digest } = req.params as Static<typeof Params>;
      const r = await load(digest as Digest);
      const images = await withTimeout(app.store.imagesOf(digest as Digest), ms, 'store');
      if (r.kind === 'index')
        return {
          digest: r.digest,
          kind: 'index' as const,
          manifest: r.manifest,
          scannedAt: r.scannedAt,
          platforms: r.platforms.map((p) => ({ ...p, links: { recipe: `/v1/recipes/${p.digest}` } })),
          images,
        };
      if (r.kind !== 'recipe') throw noRecipe(r);
      return {
        digest: r.digest,
        kind: 'recipe' as const,
        manifest: r.manifest,
        scannedAt: r.scannedAt,
        platform: r.platform,
        verified: r.verified,
        recipe: r.recipe,
        images,
      };
    },
  );

  app.get(
    '/v1/recipes/:digest/channels.scm',
    {
      schema: {
        summary: 'channels.scm, as guix package --export-channels prints it',
        tags: ['recipes'],
        params: Params,
        querystring: ChannelsQuery,
        response: { 200: TextResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { digest } = req.params as Static<typeof Params>;
      const q = req.query as Static<typeof ChannelsQuery>;
      const recipe = await recipeOf(digest as Digest, q.platform);
      const text = renderChannels(recipe, { printer: q.printer ?? 'classic' });
      return reply.type(SCHEME_CONTENT_TYPE).send(text);
    },
  );

  app.get(
    '/v1/recipes/:digest/manifest.scm',
    {
      schema: {
        summary: 'manifest.scm, as guix package --export-manifest prints it',
        tags: ['recipes'],
        params: Params,
        querystring: ManifestQuery,
        response: { 200: TextResponse, ...errors },
      },
    },
    async (req, reply) => {
      const { digest } = req.params as Static<typeof Params>;
      const q = req.query as Static<typeof ManifestQuery>;
      const recipe = await recipeOf(digest as Digest, q.platform);
      const text = renderManifest(recipe, {
        style: q.style ?? 'pinned',
        printer: q.printer ?? 'classic',
      });
      return reply.type(SCHEME_CONTENT_TYPE).send(text);
    },
  );
}
