/** Schemas of the recipe routes: the recipe document and the text routes' parameters. */
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

export const ManifestQuery = Type.Object({
  platform: Type.Optional(PlatformQuerySchema),
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
