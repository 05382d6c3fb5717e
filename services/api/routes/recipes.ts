/**
 * GET /v1/recipes/{digest}: the stored recipe (an index digest: its per-platform roll-up).
 * GET /v1/recipes/{digest}/channels.scm and /manifest.scm: the texts, byte-identical to the CLI
 * (rendered once, when the scan was stored), as text/x-scheme; for an index, `?platform=`.
 * GET /v1/recipes/{digest}/configuration.scm: a Guix system image's operating-system declaration,
 * byte for byte as the system stores it (its channels.scm is served by the route above; its
 * manifest.scm is refused with what to ask for instead).
 * GET /v1/recipes/{digest}/sbom (CycloneDX, SPDX) and /slsa (in-toto + SLSA provenance): documents
 * byte-identical to `inspect --output cyclonedx|spdx|slsa` for the same scan (docs/sbom.md).
 * GET /v1/recipes/{digest}/rebuild.sh: the script that writes both and runs the rebuild command, the
 * bytes `inspect --output rebuild` prints (shared/scan/rebuild-script.ts), as text/x-shellscript.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RecipeError } from '../../../shared/errors.js';
import {
  AttestationDocument,
  ChannelsQuery,
  ConfigurationQuery,
  DigestParams,
  ManifestQuery,
  RebuildQuery,
  RecipeDocumentSchema,
  SCHEME_CONTENT_TYPE,
  SbomQuery,
  SchemeText,
  SlsaQuery,
  SHELL_CONTENT_TYPE,
  ShellScriptText,
} from '../schemas/recipes.js';
import { problemResponses } from '../schemas/common.js';

export default async function recipeRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const queries = app.queries;

  app.get(
    '/v1/recipes/:digest',
    {
      schema: {
        summary: 'The recipe of a manifest digest',
        tags: ['recipes'],
        params: DigestParams,
        response: { 200: RecipeDocumentSchema, ...problemResponses },
      },
    },
    async (req) => {
      const { result: r, images } = await queries.resultOf(req.params.digest);
      if (r.kind === 'index')
        return {
          digest: r.digest,
          kind: 'index' as const,
          manifest: r.manifest,
          scannedAt: r.scannedAt,
          platforms: r.platforms.map((p) => ({ ...p, links: { recipe: `/v1/recipes/${p.digest}` } })),
          images,
        };
      if (r.kind !== 'recipe')
        throw new RecipeError(
          'no-guix-profile',
          `${r.digest}: ${r.kind === 'not-guix' ? 'not a Guix image' : 'no Guix profile found'}: ${r.reason}`,
          { details: { kind: r.kind } },
        );
      const { digest, manifest, scannedAt, platform, verified, recipe, rebuild } = r;
      return {
        digest,
        kind: 'recipe' as const,
        manifest,
        scannedAt,
        platform,
        verified,
        recipe,
        ...(rebuild !== undefined && { rebuild }),
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
        params: DigestParams,
        querystring: ChannelsQuery,
        response: { 200: SchemeText, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { platform, printer = 'classic' } = req.query;
      const text = await queries.text(req.params.digest, { file: 'channels.scm', printer }, platform);
      return reply.type(SCHEME_CONTENT_TYPE).send(text);
    },
  );

  app.get(
    '/v1/recipes/:digest/manifest.scm',
    {
      schema: {
        summary: 'manifest.scm, as guix package --export-manifest prints it',
        tags: ['recipes'],
        params: DigestParams,
        querystring: ManifestQuery,
        response: { 200: SchemeText, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { platform, printer = 'classic', style = 'pinned' } = req.query;
      const text = await queries.text(req.params.digest, { file: 'manifest.scm', style, printer }, platform);
      return reply.type(SCHEME_CONTENT_TYPE).send(text);
    },
  );

  app.get(
    '/v1/recipes/:digest/configuration.scm',
    {
      schema: {
        summary: "configuration.scm, a Guix system image's operating-system declaration as it stores it",
        tags: ['recipes'],
        params: DigestParams,
        querystring: ConfigurationQuery,
        response: { 200: SchemeText, ...problemResponses },
      },
    },
    async (req, reply) => {
      const text = await queries.text(req.params.digest, { file: 'configuration.scm' }, req.query.platform);
      return reply.type(SCHEME_CONTENT_TYPE).send(text);
    },
  );

  app.get(
    '/v1/recipes/:digest/sbom',
    {
      schema: {
        summary: 'An SBOM of the recipe: CycloneDX 1.6 (default) or 1.7, or SPDX 2.3',
        tags: ['recipes'],
        params: DigestParams,
        querystring: SbomQuery,
        response: { 200: AttestationDocument, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { format, platform, image } = req.query;
      const doc = await queries.attestation(req.params.digest, SBOM_FORMATS[format], { platform, image });
      // A Buffer: Fastify sends the standard media type as it is (no charset added, no quoting).
      return reply.header('content-type', doc.mediaType).send(Buffer.from(doc.body));
    },
  );

  app.get(
    '/v1/recipes/:digest/slsa',
    {
      schema: {
        summary: 'An in-toto Statement with a SLSA Provenance v1 predicate, recovered from the image',
        tags: ['recipes'],
        params: DigestParams,
        querystring: SlsaQuery,
        response: { 200: AttestationDocument, ...problemResponses },
      },
    },
    async (req, reply) => {
      const doc = await queries.attestation(req.params.digest, 'slsa', req.query);
      // A Buffer: Fastify sends the standard media type as it is (no charset added, no quoting).
      return reply.header('content-type', doc.mediaType).send(Buffer.from(doc.body));
    },
  );

  app.get(
    '/v1/recipes/:digest/rebuild.sh',
    {
      schema: {
        summary:
          'A shell script that writes channels.scm and manifest.scm (a system: configuration.scm) and runs the rebuild command',
        tags: ['recipes'],
        params: DigestParams,
        querystring: RebuildQuery,
        response: { 200: ShellScriptText, ...problemResponses },
      },
    },
    async (req, reply) => {
      const { platform, printer = 'classic', style = 'pinned' } = req.query;
      const script = await queries.rebuildScript(req.params.digest, { style, printer }, platform);
      return reply.type(SHELL_CONTENT_TYPE).send(script);
    },
  );
}

/** The `?format=` words, as the CLI's `--output` spells them. */
const SBOM_FORMATS = {
  cyclonedx: 'cyclonedx-1.6',
  'cyclonedx-1.6': 'cyclonedx-1.6',
  'cyclonedx-1.7': 'cyclonedx-1.7',
  spdx: 'spdx-2.3',
} as const;
