export { IDENTITY_HEADERS, identityFromHeaders, identityHeaders } from "./identity.ts";
export { type ServeOptions, serveMcp, sharedJsonSchemaValidator } from "./serve.ts";
