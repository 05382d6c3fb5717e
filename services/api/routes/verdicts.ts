/**
 * POST /v1/verdicts {"image", "policy"?: NAME | DOCUMENT, "platform"?}: allow or deny an image, from
 * what the store knows (docs/policies.md). GET /v1/verdicts?image=&policy=: the same, by stored
 * policy name. GET /v1/verdicts?policy=NAME&outcome=deny: the images the policy denies now, one page
 * at a time, from the verdict index (never recomputed per request).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RecipeError } from '../../../shared/errors.js';
import { parsePlatform } from '../../../shared/content/platform.js';
import { clampPage } from '../../../shared/store/recipe-store.js';
import type { DeniedPage } from '../../../shared/store/verdict-index.js';
import { withRequestDeadline } from '../request-deadline.js';
import { problemResponses } from '../schemas/common.js';
import {
  DeniedPageSchema,
  VerdictRequestSchema,
  VerdictResponseSchema,
  VerdictsQuery,
} from '../schemas/verdicts.js';
import { Type } from 'typebox';

function deniedAnswer(found: DeniedPage, page: { offset: number; limit: number }) {
  const { name, version, generation } = found.policy;
  const end = page.offset + page.limit;
  const next = new URLSearchParams({
    policy: name,
    outcome: 'deny',
    limit: String(page.limit),
    offset: String(end),
  });
  return {
    policy: { name, version, generation },
    outcome: 'deny' as const,
    complete: found.complete,
    items: found.items.map((v) => ({
      ...v,
      links: { verdict: `/v1/verdicts?${new URLSearchParams({ image: v.image, policy: name }).toString()}` },
    })),
    total: found.total,
    offset: page.offset,
    limit: page.limit,
    next: end >= found.total ? null : `/v1/verdicts?${next.toString()}`,
  };
}

export default async function verdictRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { verdicts, verdictIndex, config } = app;
  const scanWaitMs = config.policies.verdictScanWaitSeconds * 1000;
  const deadlineMs = config.http.requestTimeoutMs > 0 ? config.http.requestTimeoutMs : 30_000;

  const judge = (image: string, policy: string | object | undefined, platform?: string) =>
    withRequestDeadline(deadlineMs, async (signal) => {
      const compiled = await verdicts.policy(policy, { signal });
      const j = await verdicts.judge(image, compiled, {
        signal,
        scanWaitMs,
        ...(platform ? { platform: parsePlatform(platform) } : {}),
      });
      return {
        ...j.verdict,
        ...(j.image ? { image: j.image } : {}),
        ...(j.tag ? { tag: j.tag } : {}),
        ...(j.scanQueued ? { scanQueued: true } : {}),
      };
    });

  app.post(
    '/v1/verdicts',
    {
      bodyLimit: config.http.bodyLimitBytes,
      schema: {
        summary: 'Allow or deny an image under a policy',
        description:
          'The policy is a stored one (by name), an inline document, or the configured default. Answered from the store: the only registry call resolves a tag (cached). With `unscanned.action: scan` the image is scanned and waited for, within `policies.verdictScanWaitSeconds`.',
        tags: ['verdicts'],
        body: VerdictRequestSchema,
        response: { 200: VerdictResponseSchema, ...problemResponses },
      },
    },
    async (req) => judge(req.body.image, req.body.policy, req.body.platform),
  );

  app.get(
    '/v1/verdicts',
    {
      schema: {
        summary: "An image's verdict, or the images a policy denies now",
        description:
          "`image` (and optionally `policy`, `platform`): that image's verdict. Without `image`, `outcome=deny`: every known image the policy (default: the configured one) denies now, from the verdict index, which is updated when a policy or a recipe changes; `complete` is false while a re-evaluation runs.",
        tags: ['verdicts'],
        querystring: VerdictsQuery,
        response: { 200: Type.Union([VerdictResponseSchema, DeniedPageSchema]), ...problemResponses },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.image !== undefined) {
        if (q.outcome !== undefined) throw new RecipeError('usage', 'give image or outcome, not both');
        return judge(q.image, q.policy, q.platform);
      }
      if (q.outcome === undefined)
        throw new RecipeError('usage', 'give image (a verdict) or outcome=deny (the images a policy denies)');
      const page = clampPage(q);
      const found = await verdictIndex.denied(q.policy ?? config.policies.default, page);
      return deniedAnswer(found, page);
    },
  );
}
