/** Schemas of the recipe routes: the recipe document and the text and script routes' parameters. */
import { Type } from 'typebox';
import {
  DescriptorSchema,
  DigestSchema,
  PlatformQuerySchema,
  PlatformSchema,
  RecipeSchema,
} from './common.js';

export const DigestParams = Type.Object({ digest: DigestSchema });

const Printer = Type.Union([Type.Literal('classic'), Type.Literal('modern')], { default: 'classic' });

export const ChannelsQuery = Type.Object({
  platform: Type.Optional(PlatformQuerySchema),
  printer: Type.Optional(Printer),
});

export const ConfigurationQuery = Type.Object({
  platform: Type.Optional(PlatformQuerySchema),
});

export const ManifestQuery = Type.Object({
  platform: Type.Optional(PlatformQuerySchema),
  printer: Type.Optional(Printer),
  style: Type.Optional(Type.Union([Type.Literal('pinned'), Type.Literal('guix')], { default: 'pinned' })),
});

export const RebuildQuery = Type.Object({
  platform: Type.Optional(PlatformQuerySchema),
  printer: Type.Optional(Printer),
  style: Type.Optional(Type.Union([Type.Literal('pinned'), Type.Literal('guix')], { default: 'pinned' })),
});

const UnknownOptionSchema = Type.Object({ option: Type.String(), reason: Type.String() });

/** The rebuild command (shared/scan/rebuild.ts): options as data, what is unknown, argv and text. */
export const RebuildSchema = Type.Object(
  {
    kind: Type.String({ description: 'pack, or system-image' }),
    format: Type.Union([Type.String(), Type.Null()]),
    options: Type.Object(
      {
        entryPoint: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        entryPointArguments: Type.Optional(Type.Array(Type.String())),
        symlinks: Type.Optional(Type.Array(Type.Object({ source: Type.String(), target: Type.String() }))),
        maxLayers: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
        imageTag: Type.Optional(Type.Union([Type.String(), Type.Null()])),
        localStateDir: Type.Optional(Type.Boolean()),
        compression: Type.Optional(Type.String()),
        relocatable: Type.Optional(Type.Union([Type.Literal('R'), Type.Literal('RR'), Type.Null()])),
        system: Type.Optional(Type.String()),
        saveProvenance: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: true },
    ),
    unknown: Type.Array(UnknownOptionSchema),
    command: Type.Array(Type.String()),
    text: Type.String(),
  },
  { title: 'Rebuild', additionalProperties: true },
);

export const RecipeDocumentSchema = Type.Object(
  {
    digest: Type.String(),
    kind: Type.Union([Type.Literal('recipe'), Type.Literal('index')]),
    manifest: DescriptorSchema,
    scannedAt: Type.String(),
    platform: Type.Optional(Type.Union([PlatformSchema, Type.Null()])),
    verified: Type.Optional(Type.Boolean()),
    recipe: Type.Optional(RecipeSchema),
    rebuild: Type.Optional(RebuildSchema),
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

export const SchemeText = Type.String({
  description: 'Guile Scheme source',
  contentMediaType: 'text/x-scheme',
});

export const SCHEME_CONTENT_TYPE = 'text/x-scheme; charset=utf-8';

/** Which image holding the digest names the documents' subject, as `registry/repository`. */
const ImagePick = Type.String({
  minLength: 3,
  maxLength: 512,
  description:
    'registry/repository of the image to name as the subject (default: the first holding the digest)',
});

export const SbomQuery = Type.Object(
  {
    format: Type.Union(
      [
        Type.Literal('cyclonedx'),
        Type.Literal('cyclonedx-1.6'),
        Type.Literal('cyclonedx-1.7'),
        Type.Literal('spdx'),
      ],
      { default: 'cyclonedx', description: 'cyclonedx (1.6), cyclonedx-1.7, or spdx (2.3)' },
    ),
    platform: Type.Optional(PlatformQuerySchema),
    image: Type.Optional(ImagePick),
  },
  { additionalProperties: false },
);

export const SlsaQuery = Type.Object(
  { platform: Type.Optional(PlatformQuerySchema), image: Type.Optional(ImagePick) },
  { additionalProperties: false },
);

export const AttestationDocument = Type.Unknown({
  description: 'The document (CycloneDX, SPDX or in-toto JSON), as its media type says',
});
export const ShellScriptText = Type.String({
  description: 'POSIX shell script',
  contentMediaType: 'text/x-shellscript',
});

export const SHELL_CONTENT_TYPE = 'text/x-shellscript; charset=utf-8';
