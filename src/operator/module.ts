/**
 * The operator module's entry: `scripts/build-chunks.mjs` bundles this file (and everything it imports)
 * into `workers/bollard/.build/operator.mjs`, which `routes.ts` loads with `import()` on the first
 * operator or demo request. Only plain data, functions and Responses cross between the two modules.
 */

export { runArchive as runAuditArchive } from '../agents/proof/archive-writer';
export { TOKENIZE_JS as STOREFRONT_TOKENIZE_JS } from '../browser/tokenize-bundle';
export { consoleSecurityHeaders } from '../console/security-headers';
export { OPENAPI_JSON as STOREFRONT_OPENAPI_JSON } from '../storefront/openapi-document';
export type { Operator, OperatorAnswer, OperatorIsolate, OperatorRequest } from './app';
export { createOperator } from './app';
