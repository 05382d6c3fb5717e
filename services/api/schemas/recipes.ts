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
