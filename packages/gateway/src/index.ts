export {
  type ApiKey,
  type AuthFailure,
  type AuthOptions,
  bearerToken,
  parseApiKeys,
} from "./auth.ts";
export { Backend, type BackendCatalog, type BackendConfig, type BackendState } from "./backend.ts";
export { gatewayConfigShape, parseBackends, parseTimeouts } from "./config.ts";
export { GatewayConfigError, GatewayError } from "./errors.ts";
export {
  createGateway,
  type Gateway,
  type GatewayLogger,
  type GatewayOptions,
  type Limit,
} from "./gateway.ts";
export { IDENTITY_HEADERS, identityHeaders } from "./identity.ts";
export { type StartFromEnvOptions, startFromEnv } from "./main.ts";
export { exposedName, exposedUri } from "./routes.ts";
