/**
 * The policy document: its TypeBox schema and its TypeScript type. docs/policies.md documents every
 * field. The schema checks the structure (fields, types, sizes); the values that have a grammar of
 * their own (package ranges, commits, fingerprints, names) are checked by policy-semantics.ts, whose
 * messages say which grammar. Defaults are applied when a document is compiled (compile-policy.ts),
 * not written into it, so that a stored document stays as its author wrote it.
 *
 * TypeBox because it is the project's schema library: the same schema gives the static type here,
 * and the API's request and response schemas (OpenAPI included) through Fastify's TypeBox provider.
 */
import { Type, type Static } from 'typebox';

/** The `apiVersion` every policy document carries. */
export const POLICY_API_VERSION = 'guix-recipes/v1';
/** The `kind` every policy document carries. */
export const POLICY_KIND = 'Policy';

/** Policy names: a DNS label (they appear in URLs and metric labels). */
export const POLICY_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Caps on the lists, so that a document's size bounds its compiled form and each evaluation. */
export const POLICY_LIMITS = {
  channels: 256,
  commits: 10000,
  packages: 10000,
  stringLength: 2048,
  waitSecondsMax: 600,
} as const;

const Str = (description: string) => Type.String({ maxLength: POLICY_LIMITS.stringLength, description });
const Bool = (description: string) => Type.Boolean({ description });
const Strict = { additionalProperties: false } as const;

export const IntroductionSchema = Type.Object(
  {
    commit: Str('the first signed commit of the channel (40 hex digits)'),
    signer: Str("the OpenPGP fingerprint of that commit's signer (spaces and case ignored)"),
  },
  { ...Strict, description: "the channel's introduction, which must match the recorded one exactly" },
);

export const ChannelRuleSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: POLICY_LIMITS.stringLength,
      description: 'the channel URL, compared with the recorded one exactly',
    }),
    introduction: Type.Optional(IntroductionSchema),
    commits: Type.Optional(
      Type.Object(
        {
          allow: Type.Optional(
            Type.Array(Str('a commit, or a prefix of at least 7 hex digits'), {
              maxItems: POLICY_LIMITS.commits,
              description: 'when given, only these commits are allowed',
            }),
          ),
          deny: Type.Optional(
            Type.Array(Str('a commit, or a prefix of at least 7 hex digits'), {
              maxItems: POLICY_LIMITS.commits,
              description: 'these commits are denied (deny wins over allow)',
            }),
          ),
        },
        { ...Strict, description: 'commit allow and deny lists of this channel' },
      ),
    ),
  },
  Strict,
);

export const PolicyRulesSchema = Type.Object(
  {
    recipe: Type.Optional(
      Type.Object(
        { required: Type.Optional(Bool('deny images with no Guix recipe (default true)')) },
        Strict,
      ),
    ),
    provenance: Type.Optional(
      Type.Object(
        {
          required: Type.Optional(Bool('deny recipes without provenance (channels) (default true)')),
          allowPartial: Type.Optional(
            Bool('allow recipes in which some packages carry no provenance (default false)'),
          ),
        },
        Strict,
      ),
    ),
    channels: Type.Optional(
      Type.Object(
        {
          allowed: Type.Optional(
            Type.Array(ChannelRuleSchema, {
              maxItems: POLICY_LIMITS.channels,
              description: 'when given, only these channels are allowed (default: any channel)',
            }),
          ),
          allowWithoutIntroduction: Type.Optional(
            Bool('allow channels recorded without an introduction (default true)'),
          ),
        },
        Strict,
      ),
    ),
    packages: Type.Optional(
      Type.Object(
        {
          deny: Type.Optional(
            Type.Array(Str('NAME, NAME@VERSION, NAME@<V, NAME@<=V, NAME@>V, NAME@>=V or NAME@A..B'), {
              maxItems: POLICY_LIMITS.packages,
              description: 'packages denied anywhere in the profile, propagated inputs included',
            }),
          ),
        },
        Strict,
      ),
    ),
    transformations: Type.Optional(
      Type.Object(
        { allowed: Type.Optional(Bool('allow packages built with transformations (default true)')) },
        Strict,
      ),
    ),
    platforms: Type.Optional(
      Type.Object(
        {
          require: Type.Optional(
            Type.Enum(['all', 'any'], {
              description: 'all (default): every platform of an index must pass; any: at least one',
            }),
          ),
        },
        Strict,
      ),
    ),
    unscanned: Type.Optional(
      Type.Object(
        {
          action: Type.Optional(
            Type.Enum(['deny', 'allow', 'scan'], {
              description:
                'what to answer for an image never scanned, being scanned, or whose scan failed (default deny)',
            }),
          ),
          waitSeconds: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: POLICY_LIMITS.waitSecondsMax,
              description: 'with action scan: how long to wait for the scan (default 60)',
            }),
          ),
        },
        Strict,
      ),
    ),
  },
  Strict,
);

export const PolicyDocumentSchema = Type.Object(
  {
    apiVersion: Type.Literal(POLICY_API_VERSION),
    kind: Type.Literal(POLICY_KIND),
    name: Type.String({ maxLength: 63, description: 'a DNS label: lower-case letters, digits and -' }),
    description: Type.Optional(Str('for people')),
    mode: Type.Optional(
      Type.Enum(['enforce', 'warn'], {
        description: 'enforce (default): deny what fails; warn: allow, with the reasons as warnings',
      }),
    ),
    rules: Type.Optional(PolicyRulesSchema),
  },
  { ...Strict, $id: 'PolicyDocument' },
);

export type PolicyDocument = Static<typeof PolicyDocumentSchema>;
export type PolicyRules = Static<typeof PolicyRulesSchema>;
export type ChannelRule = Static<typeof ChannelRuleSchema>;
