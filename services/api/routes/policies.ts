/**
 * Stored policies (admin): PUT /v1/policies/{name} with the document as YAML or JSON text (mistakes:
 * 422 `invalid-policy`, each issue with its field, line and column), GET and DELETE it, GET the list.
 * A change bumps the policy's generation and starts judging every known image again (the verdict
 * index; the answer says whether that is complete). Policies configured from files are read-only
 * here (403), and deleting `default` brings the built-in default back.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { RecipeError } from '../../../shared/errors.js';
import { parsePolicyText } from '../../../shared/policy/parse-policy.js';
import type { PolicyStore, StoredPolicy } from '../../../shared/store/policy-store.js';
import type { VerdictIndex } from '../../../shared/store/verdict-index.js';
import { problemResponses } from '../schemas/common.js';
import {
  POLICY_MEDIA_TYPES,
  PolicyListSchema,
  PolicyParams,
  PolicyTextSchema,
  StoredPolicySchema,
} from '../schemas/policies.js';

async function describe(p: StoredPolicy, index: VerdictIndex) {
  const page = await index.denied(p.name, { limit: 1 });
  return {
    name: p.name,
    version: p.version,
    generation: p.generation,
    origin: p.origin,
    ...(p.source ? { source: p.source } : {}),
    document: p.document,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    index: { complete: page.complete, denied: page.total },
  };
}

async function mustGet(policies: PolicyStore, name: string): Promise<StoredPolicy> {
  const p = await policies.get(name);
  if (!p) throw new RecipeError('not-found', `no policy named ${name}`, { details: { policy: name } });
  return p;
}

export default async function policyRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { policies, verdictIndex, reindexer, config } = app;

  // In this plugin only: bodies are kept as text, so that the parser can name lines (JSON included).
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(POLICY_MEDIA_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get(
    '/v1/policies',
    {
      schema: {
        summary: 'The stored policies',
        tags: ['policies'],
        response: { 200: PolicyListSchema, ...problemResponses },
      },
    },
    async () => {
      const heads = await policies.list();
      return {
        items: heads.map((h) => ({
          name: h.name,
          version: h.version,
          generation: h.generation,
          origin: h.origin,
          indexComplete: h.indexed === h.generation,
        })),
        default: config.policies.default,
      };
    },
  );

  app.get(
    '/v1/policies/:name',
    {
      schema: {
        summary: 'A stored policy',
        tags: ['policies'],
        params: PolicyParams,
        response: { 200: StoredPolicySchema, ...problemResponses },
      },
    },
    async (req) => describe(await mustGet(policies, req.params.name), verdictIndex),
  );

  app.put(
    '/v1/policies/:name',
    {
      bodyLimit: config.http.bodyLimitBytes,
      schema: {
        summary: 'Store a policy (YAML or JSON)',
        description:
          'Mistakes answer 422 `invalid-policy`; `details.issues` names each field, line and column. 201 when the name was free, 200 otherwise. Every known image is then judged again in the background: `index.complete` says when that is done.',
        tags: ['policies'],
        consumes: POLICY_MEDIA_TYPES,
        params: PolicyParams,
        body: PolicyTextSchema,
        response: { 200: StoredPolicySchema, 201: StoredPolicySchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const name = req.params.name;
      const doc = parsePolicyText(req.body, { source: name });
      if (doc.name !== name)
        throw new RecipeError('usage', `the document is named ${doc.name}, the URL names ${name}`);
      const r = await policies.put(doc, { origin: 'api' });
      if (r.change !== 'unchanged') void reindexer.request(name);
      req.log.info({ policy: name, version: r.policy.version, change: r.change }, 'policy stored');
      return reply.code(r.change === 'created' ? 201 : 200).send(await describe(r.policy, verdictIndex));
    },
  );

  app.delete(
    '/v1/policies/:name',
    {
      schema: {
        summary: 'Delete a stored policy',
        description: 'Deleting `default` brings back the built-in default policy.',
        tags: ['policies'],
        params: PolicyParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses },
      },
    },
    async (req, reply) => {
      const name = req.params.name;
      if (!(await policies.delete(name, { origin: 'api' })))
        throw new RecipeError('not-found', `no policy named ${name}`, { details: { policy: name } });
      void reindexer.request(name);
      req.log.info({ policy: name }, 'policy deleted');
      return reply.code(204).send(null);
    },
  );
}
