/**
 * POST /v1/admission and /v1/admission/{policy}: a Kubernetes validating webhook
 * (docs/admission.md). The body must be an AdmissionReview (admission.k8s.io/v1): anything else is
 * a 400 problem, never an allow. The answer echoes the request's uid. Which policy: the one the path
 * names (one webhook entry per policy, chosen by the API server with a namespace label selector),
 * else the configured default.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { admit } from '../../../shared/gate/admission.js';
import { AdmissionParams, AdmissionResponseSchema, AdmissionReviewSchema } from '../schemas/admission.js';
import { withRequestDeadline } from '../request-deadline.js';
import { problemResponses } from '../schemas/common.js';

export default async function admissionRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { verdicts, config } = app;
  const deadlineMs = config.http.requestTimeoutMs > 0 ? config.http.requestTimeoutMs : 30_000;
  const options = {
    bodyLimit: config.admission.bodyLimitBytes,
  };
  const schema = {
    tags: ['admission'],
    body: AdmissionReviewSchema,
    response: { 200: AdmissionResponseSchema, ...problemResponses },
  };
  const review = (body: Parameters<typeof admit>[1], policyName: string | undefined) =>
    withRequestDeadline(deadlineMs, async (signal) => {
      const policy = await verdicts.policy(policyName, { signal });
      return admit(verdicts, body, {
        policy,
        signal,
        scanWaitMs: config.admission.scanWaitSeconds * 1000,
        maxContainers: config.admission.maxContainers,
      });
    });

  app.post(
    '/v1/admission',
    {
      ...options,
      schema: {
        ...schema,
        summary: 'Kubernetes admission (AdmissionReview), under the default policy',
      },
    },
    async (req) => review(req.body, undefined),
  );
  app.post(
    '/v1/admission/:policy',
    {
      ...options,
      schema: {
        ...schema,
        summary: 'Kubernetes admission (AdmissionReview), under the policy the path names',
        params: AdmissionParams,
      },
    },
    async (req) => review(req.body, req.params.policy),
  );
}
