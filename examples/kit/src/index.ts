export { IDENTITY_HEADERS, identityFromHeaders } from "./identity.ts";
export { type ServeOptions, serveMcp, sharedJsonSchemaValidator } from "./serve.ts";
