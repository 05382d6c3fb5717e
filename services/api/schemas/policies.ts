/** Schemas of the policy routes. */
import { Type } from 'typebox';
import { PolicyDocumentSchema } from '../../../shared/policy/policy-schema.js';
import { PolicyNameSchema } from './verdicts.js';

export const PolicyParams = Type.Object({ name: PolicyNameSchema });

/** PUT's body: the document's text, YAML or JSON (mistakes are reported with their lines). */
export const PolicyTextSchema = Type.String({
  minLength: 1,
  description: 'the policy document (docs/policies.md), YAML or JSON; its name must be the one in the URL',
});

/** The media types PUT reads as policy text. */
export const POLICY_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/json'];

const PolicyHeadSchema = {
  name: Type.String(),
  version: Type.String({ description: "the document's content hash (what verdicts name)" }),
  generation: Type.Integer({ description: 'bumped by every change; the verdict index lives under it' }),
  origin: Type.Union([Type.Literal('api'), Type.Literal('file'), Type.Literal('builtin')]),
};

export const StoredPolicySchema = Type.Object(
  {
    ...PolicyHeadSchema,
    source: Type.Optional(Type.String({ description: 'the file, for origin file' })),
    document: Type.Object(PolicyDocumentSchema.properties, { additionalProperties: false }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    index: Type.Object({
      complete: Type.Boolean({ description: 'every known image judged under this generation' }),
      denied: Type.Integer({ description: 'images denied now' }),
    }),
  },
  { title: 'StoredPolicy', additionalProperties: false },
);

export const PolicyListSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({ ...PolicyHeadSchema, indexComplete: Type.Boolean() }, { additionalProperties: false }),
    ),
    default: Type.String({ description: 'the policy used when a request names none' }),
  },
  { title: 'PolicyList', additionalProperties: false },
);
