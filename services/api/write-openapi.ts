/**
 * `npm run openapi`: write openapi/openapi.json from the routes. `--check`: exit 1 (and say so)
 * when the committed file differs, without writing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { OPENAPI_PATH, openApiText } from './openapi-document.js';

const text = await openApiText();
if (process.argv.includes('--check')) {
  const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
  if (committed !== text) {
    process.stderr.write(`${OPENAPI_PATH} is out of date: run npm run openapi\n`);
    process.exit(1);
  }
} else {
  await writeFile(OPENAPI_PATH, text);
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
process.exit(0);
