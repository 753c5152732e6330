import { describe, expect, it } from 'vitest';
import { OPENAPI_JSON } from '../../src/storefront/openapi-document';
import { storefrontOpenApiDocument } from '../../src/storefront/route-docs';

/**
 * `GET /openapi.json` serves a document generated ahead of time (the Worker carries the text, not the
 * generator). This test is its writer: after changing a schema or a route's description, run
 * `npx vitest run --project bollard-isolated test/storefront/openapi.test.ts -u` and commit the file it updates.
 */

/** The module as biome formats it: one single-quoted string (JSON has far more `"` than `'`). */
function asModule(json: string): string {
  const literal = `'${json.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  return [
    '// Generated from route-docs.ts by test/storefront/openapi.test.ts; do not edit. To regenerate:',
    '// npx vitest run --project bollard-isolated test/storefront/openapi.test.ts -u',
    'export const OPENAPI_JSON =',
    `  ${literal};`,
    '',
  ].join('\n');
}

describe('the storefront OpenAPI document', () => {
  it('is the one the schemas and route descriptions generate', async () => {
    await expect(asModule(JSON.stringify(storefrontOpenApiDocument()))).toMatchFileSnapshot(
      '../../src/storefront/openapi-document.ts',
    );
    expect(JSON.parse(OPENAPI_JSON)).toEqual(storefrontOpenApiDocument());
  });
});
