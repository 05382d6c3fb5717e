/**
 * The OpenAPI document as the running API serves it at /openapi.json, built without Redis or a
 * socket (nothing is queried: the document comes from the route schemas). `npm run openapi`
 * writes it to openapi/openapi.json; the contract test compares the two.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../shared/config/load-config.js';
import { buildApp } from './app.js';

/** Where the committed contract lives. */
export const OPENAPI_PATH = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

/** The document, as stable JSON text (2-space indent, trailing newline). */
export async function openApiText(): Promise<string> {
  // A Redis address nothing listens on: clients connect lazily and are never used here.
  const config = loadConfig({ env: {}, file: { logLevel: 'silent', redis: { url: 'redis://127.0.0.1:1' } } });
  const app = await buildApp({ config }, { logger: false });
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
