/**
 * The verdict as JSON Schema (TypeBox): the API's response schema, and what the CLI's `gate --server`
 * checks a server's answer against. Facts are typed per code in verdict.ts; here they are objects.
 * Unknown fields are allowed everywhere (clients ignore fields they do not know).
 */
import { Type, type Static } from 'typebox';
import { REASON_CODES } from './reason-codes.js';

export const ReasonSchema = Type.Object({
  code: Type.String({ description: `stable; one of ${Object.keys(REASON_CODES).join(', ')}` }),
  message: Type.String({ description: 'for people' }),
  platform: Type.Optional(Type.String({ description: 'os/arch[/variant] of the index entry concerned' })),
  facts: Type.Record(Type.String(), Type.Unknown(), { description: 'the recipe facts behind the reason' }),
});

export const VerdictSchema = Type.Object(
  {
    outcome: Type.Enum(['allow', 'deny', 'needs-scan']),
    reasons: Type.Array(ReasonSchema),
    warnings: Type.Array(ReasonSchema),
    recipeDigests: Type.Array(Type.String()),
    policy: Type.Object({
      name: Type.String(),
      version: Type.String(),
      mode: Type.Enum(['enforce', 'warn']),
    }),
    scan: Type.Optional(Type.Object({ waitSeconds: Type.Number() })),
  },
  { $id: 'Verdict' },
);

export type VerdictJson = Static<typeof VerdictSchema>;
