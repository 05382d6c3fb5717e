/** TypeBox schemas shared by routes (they feed the OpenAPI contract). */
import { Type } from 'typebox';
import type { Digest } from '../../../shared/content/digest.js';
import { ProblemSchema } from '../problem.js';

/** A manifest digest; typed as the Digest it is checked to be. */
export const DigestSchema = Type.Unsafe<Digest>(
  Type.String({
    pattern: '^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$',
    description: 'A manifest digest',
  }),
);

/** `os/arch[/variant]` in a query string (e.g. `?platform=linux/arm64`), for an index. */
export const PlatformQuerySchema = Type.String({
  pattern: '^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)?$',
  description: 'os/arch[/variant] picked from an index (default linux/amd64)',
});

/** Where a scan stands (shared/store: queued -> running -> done | failed). */
export const ScanStateSchema = Type.Union([
  Type.Literal('queued'),
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
]);

/** The last error of a scan, as stored. */
export const ScanErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  at: Type.String(),
});

export const PlatformSchema = Type.Object(
  {
    architecture: Type.String(),
    os: Type.String(),
    variant: Type.Optional(Type.String()),
    'os.version': Type.Optional(Type.String()),
  },
  { title: 'Platform', additionalProperties: true },
);

export const DescriptorSchema = Type.Object(
  {
    mediaType: Type.String(),
    digest: Type.String(),
    size: Type.Integer(),
    platform: Type.Optional(PlatformSchema),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    artifactType: Type.Optional(Type.String()),
  },
  { title: 'Descriptor', additionalProperties: true },
);

/** A commit, or null where the provenance recorded `#f` (no commit). */
const Commit = Type.Union([Type.String(), Type.Null()]);

const ChannelRef = Type.Object(
  { name: Type.String(), url: Type.String(), commit: Commit },
  { additionalProperties: true },
);

/** A RecipeDependency; recursive (its `propagated` holds more of them), so items are left open here. */
const Dependency = Type.Object(
  {
    name: Type.String(),
    version: Type.String(),
    output: Type.String(),
    storePath: Type.String(),
    propagated: Type.Array(Type.Unknown(), { description: 'RecipeDependency[]' }),
    repeated: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

/** A system recipe's `system` (shared/guix/recipe.ts: SystemFacts). */
const SystemFactsSchema = Type.Object(
  {
    directory: Type.String({ description: '/gnu/store/<hash>-system' }),
    foundBy: Type.Union([Type.Literal('entry-point'), Type.Literal('system-link')]),
    files: Type.Object(
      {
        provenance: Type.Union([Type.String(), Type.Null()]),
        channels: Type.Union([Type.String(), Type.Null()]),
        configuration: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: true },
    ),
    provenance: Type.Union([
      Type.Object(
        {
          status: Type.String({ description: 'read, unrecognised or unreadable' }),
          channels: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  name: Type.String(),
                  url: Type.String(),
                  branch: Type.Union([Type.String(), Type.Null()]),
                  commit: Commit,
                },
                { additionalProperties: true },
              ),
            ),
          ),
          configurationFile: Type.Optional(Type.Union([Type.String(), Type.Null()])),
          reason: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
      Type.Null(),
    ]),
    savedProvenance: Type.Boolean(),
    warnings: Type.Array(Type.String()),
  },
  { title: 'SystemFacts', additionalProperties: true },
);

/** shared/guix/recipe.ts as JSON Schema: a profile's recipe, or (kind `system`) a system's. */
export const RecipeSchema = Type.Object(
  {
    schemaVersion: Type.Integer(),
    kind: Type.String({ description: 'profile, or system' }),
    profile: Type.Union([Type.String(), Type.Null()]),
    manifestVersion: Type.Union([Type.Integer(), Type.Null()], {
      description: 'null only for a system image without system profile',
    }),
    packages: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          version: Type.String(),
          output: Type.String(),
          storePath: Type.String(),
          channels: Type.Array(ChannelRef),
          transformations: Type.Array(Type.Object({ option: Type.String(), value: Type.String() })),
          emptyTransformations: Type.Optional(Type.Boolean()),
          transformationsSexp: Type.Optional(Type.String()),
          propagated: Type.Array(Dependency),
        },
        { additionalProperties: true },
      ),
    ),
    channels: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          url: Type.String(),
          branch: Type.Union([Type.String(), Type.Null()]),
          commit: Commit,
          introduction: Type.Union([
            Type.Object({ commit: Type.String(), signer: Type.String() }),
            Type.Null(),
          ]),
          commits: Type.Array(Commit),
        },
        { additionalProperties: true },
      ),
    ),
    packagesWithoutProvenance: Type.Array(Type.String()),
    texts: Type.Object(
      {
        channels: Type.Optional(Type.String()),
        manifest: Type.Optional(Type.String({ description: 'a profile recipe always has it' })),
        configuration: Type.Optional(Type.String({ description: "a system's stored configuration.scm" })),
      },
      { additionalProperties: true },
    ),
    system: Type.Optional(SystemFactsSchema),
  },
  { title: 'Recipe', additionalProperties: true },
);

/** Error responses of every route: problem+json (services/api/plugins/swagger.ts documents them so). */
export const problemResponses = { '4xx': ProblemSchema, '5xx': ProblemSchema };

/** /healthz and /readyz. */
export const StatusSchema = Type.Object({ status: Type.String() });
