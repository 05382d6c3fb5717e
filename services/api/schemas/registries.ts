/** Schemas of the registry routes: backfills and reconciliation passes. */
import { Type } from 'typebox';

export const RegistryParams = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 255, description: 'A configured registry, host[:port]' }),
});

export const BackfillQuery = Type.Object({
  restart: Type.Optional(Type.Boolean({ description: 'Start a new run even while one runs' })),
});

const Counts = {
  tags: Type.Integer({ description: 'Tags listed' }),
  skippedTags: Type.Integer({
    description: 'Tags left out: over the cap, invalid, or gone before resolution',
  }),
  digests: Type.Integer({ description: 'Distinct digests per repository, summed' }),
  queued: Type.Integer({ description: 'Digests submitted for a scan' }),
  known: Type.Integer({ description: 'Digests already scanned in their repository' }),
};

export const BackfillStatusSchema = Type.Object(
  {
    registry: Type.String(),
    run: Type.Integer({ description: 'The run number (each start of a backfill is a new run)' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
    started: Type.Optional(Type.Boolean({ description: 'POST: whether this request started the run' })),
    source: Type.Optional(
      Type.Union([Type.Literal('catalog'), Type.Literal('configured')], {
        description: 'Where the repositories come from: the catalog, or the configured list',
      }),
    ),
    startedAt: Type.String(),
    updatedAt: Type.String(),
    finishedAt: Type.Optional(Type.String()),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    catalog: Type.Object({ pages: Type.Integer(), done: Type.Boolean() }),
    repositories: Type.Object({ found: Type.Integer(), done: Type.Integer(), failed: Type.Integer() }),
    ...Counts,
  },
  { title: 'BackfillStatus', additionalProperties: false },
);

export const ReconcileReplySchema = Type.Object(
  {
    registry: Type.String(),
    pass: Type.String({ description: 'The pass queued (names its steps in logs)' }),
  },
  { title: 'ReconcileReply', additionalProperties: false },
);
