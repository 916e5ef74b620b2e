export { commaList, serverConfigShape } from "./config.ts";
export { IDENTITY_HEADERS, identityFromHeaders } from "./identity.ts";
export { type MigrationPool, type MigrationTransaction, migrateUnderLock } from "./migrate.ts";
export { createRequestGuard, isLoopback, type RequestGuardOptions } from "./rebinding.ts";
export { type ServeOptions, serveMcp, sharedJsonSchemaValidator } from "./serve.ts";
