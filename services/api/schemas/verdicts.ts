/** Schemas of the verdict routes: a verdict request, a verdict, the page of images a policy denies. */
import { Type } from 'typebox';
import { POLICY_NAME_RE } from '../../../shared/policy/policy-schema.js';
import { ReasonSchema, VerdictSchema } from '../../../shared/policy/verdict-schema.js';
import { PlatformQuerySchema } from './common.js';
import { PageInfo, PagingQuery } from './queries.js';

/** A stored policy's name (a DNS label). */
export const PolicyNameSchema = Type.String({
  pattern: POLICY_NAME_RE.source,
  maxLength: 63,
  description: 'a stored policy',
});

const ImageRefSchema = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'host/repo:tag or host/repo@digest (a tag is resolved through the registry, cached)',
});

export const VerdictRequestSchema = Type.Object(
  {
    image: ImageRefSchema,
    policy: Type.Optional(
      Type.Union([
        PolicyNameSchema,
        Type.Object(
          {},
          {
            additionalProperties: true,
            description: 'an inline policy document (docs/policies.md), checked like a stored one',
          },
        ),
      ]),
    ),
    platform: Type.Optional(PlatformQuerySchema),
  },
  { additionalProperties: false },
);

/** A verdict (shared/policy/verdict-schema.ts), with the image it judged. */
export const VerdictResponseSchema = Type.Object(
  {
    ...VerdictSchema.properties,
    image: Type.Optional(
      Type.String({ description: 'registry/repo@digest judged (absent: the reference could not be pinned)' }),
    ),
    tag: Type.Optional(Type.String({ description: 'the tag the request named, resolved to that digest' })),
    scanQueued: Type.Optional(
      Type.Boolean({
        description: 'this request queued the scan the policy asks for (unscanned.action: scan)',
      }),
    ),
  },
  { title: 'Verdict' },
);

export const VerdictsQuery = Type.Object(
  {
    image: Type.Optional(ImageRefSchema),
    policy: Type.Optional(PolicyNameSchema),
    platform: Type.Optional(PlatformQuerySchema),
    outcome: Type.Optional(
      Type.Literal('deny', { description: 'without image: list the images the policy denies now' }),
    ),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

const IndexedVerdictSchema = Type.Object(
  {
    image: Type.String({ description: 'registry/repo@digest' }),
    outcome: Type.String(),
    reasons: Type.Array(Type.Pick(ReasonSchema, ['code', 'message', 'platform']), {
      description: 'the first reasons (facts left out: GET the image verdict for them)',
    }),
    reasonCount: Type.Integer(),
    recipeDigests: Type.Array(Type.String()),
    evaluatedAt: Type.String(),
    links: Type.Object({ verdict: Type.String() }),
  },
  { additionalProperties: false },
);

export const DeniedPageSchema = Type.Object(
  {
    policy: Type.Object({ name: Type.String(), version: Type.String(), generation: Type.Integer() }),
    outcome: Type.Literal('deny'),
    complete: Type.Boolean({
      description: "false while the images are being judged again under the policy's current version",
    }),
    items: Type.Array(IndexedVerdictSchema),
    ...PageInfo,
  },
  { title: 'DeniedImages', additionalProperties: false },
);
