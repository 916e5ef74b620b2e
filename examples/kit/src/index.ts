export { commaList } from "./config.ts";
export { IDENTITY_HEADERS, identityFromHeaders } from "./identity.ts";
export { createRequestGuard, isLoopback, type RequestGuardOptions } from "./rebinding.ts";
export { type ServeOptions, serveMcp, sharedJsonSchemaValidator } from "./serve.ts";
