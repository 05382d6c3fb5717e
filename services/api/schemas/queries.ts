/** TypeBox schemas of the query API (lookups, images by state, diffs): the contract's source. */
import { Type } from 'typebox';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../../shared/store/recipe-store.js';
import { PlatformQuerySchema, ScanErrorSchema, ScanStateSchema } from './common.js';

export const PagingQuery = {
  offset: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'Items to skip' }),
  ),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE_LIMIT,
      default: DEFAULT_PAGE_LIMIT,
      description: `Items per page (at most ${MAX_PAGE_LIMIT})`,
    }),
  ),
};

export const ImageSummarySchema = Type.Object(
  {
    image: Type.String({ description: 'registry/repository@digest' }),
    registry: Type.String(),
    repository: Type.String(),
    digest: Type.String(),
    id: Type.String({ description: 'The scan id' }),
    state: Type.Optional(ScanStateSchema),
    kind: Type.Optional(Type.String()),
    error: Type.Optional(ScanErrorSchema),
    updatedAt: Type.Optional(Type.String()),
    deleted: Type.Optional(
      Type.Boolean({
        description: 'The registry deleted the image (its recipe is kept; no tag points at it)',
      }),
    ),
    deletedAt: Type.Optional(Type.String()),
    links: Type.Object({ recipe: Type.String(), scan: Type.String() }),
  },
  { title: 'ImageSummary', additionalProperties: false },
);

export const PageInfo = {
  total: Type.Integer({ description: 'Matching items in all pages' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  next: Type.Union([Type.String(), Type.Null()], { description: 'The next page, or null on the last one' }),
};

export const ImagePageSchema = Type.Object(
  {
    query: Type.Record(Type.String(), Type.String(), { description: 'The selector answered' }),
    items: Type.Array(ImageSummarySchema),
    ...PageInfo,
  },
  { title: 'ImagePage', additionalProperties: false },
);

const Transformation = Type.Object(
  { option: Type.String(), value: Type.String() },
  { additionalProperties: false },
);
const PackageRef = Type.Object(
  { name: Type.String(), version: Type.String(), output: Type.String(), storePath: Type.String() },
  { title: 'PackageRef', additionalProperties: false },
);
const PackageSide = Type.Object(
  {
    version: Type.String(),
    storePath: Type.String(),
    transformations: Type.Array(Transformation),
    transformationsSexp: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
/** A commit, or null where the provenance recorded `#f` (no commit). */
const Commit = Type.Union([Type.String(), Type.Null()]);
const ChannelRef = Type.Object(
  { name: Type.String(), url: Type.String(), commit: Commit, commits: Type.Array(Commit) },
  { title: 'ChannelRef', additionalProperties: false },
);

export const RecipeDiffSchema = Type.Object(
  {
    channels: Type.Object(
      {
        added: Type.Array(ChannelRef),
        removed: Type.Array(ChannelRef),
        changed: Type.Array(
          Type.Object(
            {
              name: Type.String(),
              from: ChannelRef,
              to: ChannelRef,
              commitMoved: Type.Boolean(),
              urlChanged: Type.Boolean(),
              commitsAdded: Type.Array(Commit),
              commitsRemoved: Type.Array(Commit),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    packages: Type.Object(
      {
        added: Type.Array(PackageRef),
        removed: Type.Array(PackageRef),
        changed: Type.Array(
          Type.Object(
            {
              name: Type.String(),
              output: Type.String(),
              change: Type.Union([
                Type.Literal('version'),
                Type.Literal('rebuilt'),
                Type.Literal('transformations'),
              ]),
              from: PackageSide,
              to: PackageSide,
              transformationsChanged: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
        ),
        unchanged: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    system: Type.Optional(
      Type.Object(
        {
          kinds: Type.Object({ from: Type.String(), to: Type.String() }, { additionalProperties: false }),
          directories: Type.Object(
            { from: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]) },
            { additionalProperties: false },
          ),
          configurations: Type.Object(
            { from: Type.Union([Type.String(), Type.Null()]), to: Type.Union([Type.String(), Type.Null()]) },
            { additionalProperties: false },
          ),
          configurationChanged: Type.Boolean(),
        },
        {
          additionalProperties: false,
          description: "present when either side is a Guix system's recipe: its configuration.scm",
        },
      ),
    ),
    identical: Type.Boolean(),
  },
  { title: 'RecipeDiff', additionalProperties: false },
);

const DiffSide = Type.Object(
  {
    image: Type.String({ description: 'IMAGE as asked' }),
    digest: Type.String({ description: 'The digest IMAGE names (an index for a multi-platform image)' }),
    recipeDigest: Type.String({ description: 'The image manifest whose recipe was compared' }),
    platform: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export const DiffResponseSchema = Type.Object(
  { from: DiffSide, to: DiffSide, diff: RecipeDiffSchema },
  { title: 'DiffResponse', additionalProperties: false },
);

export const RecipesQuery = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'host/repo:tag, host/repo@digest or a digest',
      }),
    ),
    package: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        pattern: '^[^\\s@]+(@[^\\s@]+)?$',
        description: 'name or name@version',
      }),
    ),
    channel: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'Channel URL (with commit)' }),
    ),
    commit: Type.Optional(
      Type.String({ pattern: '^[0-9a-f]{40,64}$', description: 'Channel commit (with channel)' }),
    ),
    'store-path': Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 4096,
        pattern: '^/\\S+$',
        description: 'A store item, e.g. /gnu/store/…-python-3.10.7',
      }),
    ),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

export const ImagesQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union(
        [Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')],
        { description: 'Only the images in this scan state (default: every image)' },
      ),
    ),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

const Image = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'host/repo:tag (through the tag index), host/repo@digest, or a digest',
});
export const DiffQuery = Type.Object(
  {
    from: Image,
    to: Image,
    platform: Type.Optional(PlatformQuerySchema),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('text')], {
        description: 'Overrides the Accept header',
      }),
    ),
  },
  { additionalProperties: false },
);
