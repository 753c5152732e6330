import { describe, expect, it } from 'vitest';
import { adminOpenApiDocument } from '../../src/admin/openapi';
import { ADMIN_OPENAPI_JSON } from '../../src/admin/openapi-document';

/**
 * `GET /admin/openapi.json` serves a document generated ahead of time (the Worker carries the text, not
 * the generator). This test is its writer: after changing a route's description or schema in
 * src/admin/openapi.ts, run `npx vitest run --project bollard test/console/openapi.test.ts -u` and commit
 * the file it updates.
 */
function asModule(json: string): string {
  const literal = `'${json.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return [
    '// Generated from openapi.ts by test/console/openapi.test.ts; do not edit. To regenerate:',
    '// npx vitest run --project bollard test/console/openapi.test.ts -u',
    'export const ADMIN_OPENAPI_JSON =',
    `  ${literal};`,
    '',
  ].join('\n');
}

describe('the operator API OpenAPI document', () => {
  it('is the one openapi.ts generates', async () => {
    await expect(asModule(JSON.stringify(adminOpenApiDocument()))).toMatchFileSnapshot(
      '../../src/admin/openapi-document.ts',
    );
    expect(JSON.parse(ADMIN_OPENAPI_JSON)).toEqual(adminOpenApiDocument());
  });
});
