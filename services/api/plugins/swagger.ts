/**
 * The OpenAPI 3.1 contract, built from the route schemas (@fastify/swagger, dynamic mode): served
 * at /openapi.json, with Swagger UI (bundled assets, works offline) at /docs. Each operation says
 * what access it needs (from access.ts: `x-access`, and bearer security for scope routes), and
 * error responses are documented as application/problem+json. `npm run openapi` writes the same
 * document to openapi/openapi.json; test/api/contract.test.ts fails when they disagree.
 *
 * Register it before any route: it learns routes from onRoute.
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { packageInfo } from '../../../shared/package-info.js';
import { accessOf } from '../access.js';
import { PROBLEM_CONTENT_TYPE } from '../problem.js';

const pkg = packageInfo();

/** What an operation needs, as the contract states it. */
const ACCESS_TEXT: Record<string, string> = {
  open: 'Open: no token needed.',
  sender: 'Webhook senders authenticate with their own secret (not API tokens).',
  read: 'Needs an API token with the `read` scope (or `admin`).',
  scan: 'Needs an API token with the `scan` scope (or `admin`).',
  admin: 'Needs an API token with the `admin` scope.',
  'local-or-admin': 'Open to loopback clients; others need an API token with the `admin` scope.',
  'read-or-client-cert':
    'Needs an API token with the `read` scope (or `admin`), or a TLS client certificate signed by the configured client CA (mutual TLS).',
};

type Schema = Record<string, unknown>;

/** Error responses declared with a bare schema are documented as problem+json. */
function problemResponses(response: Schema | undefined): Schema | undefined {
  if (!response) return response;
  const out: Schema = {};
  for (const [status, s] of Object.entries(response)) {
    const isError = /^[45]/.test(status);
    const bare = typeof s === 'object' && s !== null && !('content' in s);
    const media = bare ? (s as Schema).contentMediaType : undefined;
    if (isError && bare)
      out[status] = {
        description: (s as Schema).description ?? 'An error (RFC 9457 problem details)',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: s } },
      };
    // A text answer (`contentMediaType` on a string schema) is documented under its own media type.
    else if (typeof media === 'string' && (s as Schema).type === 'string')
      out[status] = { description: (s as Schema).description ?? 'Text', content: { [media]: { schema: s } } };
    else out[status] = s;
  }
  return out;
}

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'guix-recipes',
          version: pkg.version,
          description: `${pkg.description}\n\nErrors are application/problem+json with a stable \`code\`. Scope routes need \`Authorization: Bearer <token>\` when API tokens are configured; tokens are rate-limited (429 with Retry-After), and so are client addresses whose API tokens or webhook secrets keep failing (401s): past the limit, every credential-checked request from that address gets 429 until Retry-After.`,
        },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token' } },
        },
        tags: [
          { name: 'recipes', description: 'Recipes and the images that hold them' },
          { name: 'images', description: 'Images by scan state' },
          { name: 'diff', description: 'What changed between two images' },
          { name: 'scans', description: 'Scan requests and their state' },
          { name: 'verdicts', description: 'Allow or deny images by their recipes, under a policy' },
          { name: 'policies', description: 'Stored policies' },
          { name: 'admission', description: 'Kubernetes admission (a validating webhook)' },
          { name: 'webhooks', description: 'Push notifications from registries' },
          { name: 'health', description: 'Liveness and readiness' },
          { name: 'metrics', description: 'Prometheus metrics' },
        ],
      },
      hideUntagged: true,
      transform: ({ schema, url, route }) => {
        const method = Array.isArray(route.method) ? route.method[0] : route.method;
        const access = accessOf(String(method), url) ?? 'open';
        const s = { ...(schema as Schema) };
        s['x-access'] = access;
        s.description = [s.description, ACCESS_TEXT[access]].filter(Boolean).join('\n\n');
        if (
          access === 'read' ||
          access === 'scan' ||
          access === 'admin' ||
          access === 'local-or-admin' ||
          access === 'read-or-client-cert'
        )
          s.security = [{ bearerAuth: [] }];
        else s.security = [];
        const r = problemResponses(s.response as Schema | undefined);
        if (r) s.response = r;
        return { schema: s, url };
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/openapi.json' } });
    app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('application/json; charset=utf-8').send(app.swagger()),
    );
  },
  { name: 'swagger', fastify: '5.x' },
);
