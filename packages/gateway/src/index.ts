export {
  type ApiKey,
  type AuthFailure,
  type AuthOptions,
  bearerToken,
  parseApiKeys,
} from "./auth.ts";
export { Backend, type BackendCatalog, type BackendConfig, type BackendState } from "./backend.ts";
export { type Balancer, type BalancerOptions, startBalancer } from "./balancer.ts";
export { exposedName, exposedUri } from "./catalog.ts";
export type { Clock, Timer } from "./clock.ts";
export { gatewayConfigShape, parseBackends, parseTimeouts } from "./config.ts";
export { BackendError, type BackendErrorCode, GatewayConfigError, GatewayError } from "./errors.ts";
export {
  createGateway,
  type Gateway,
  type GatewayLogger,
  type GatewayOptions,
  type GatewayRedis,
  type GatewayRedisSubscriber,
  type GatewayStats,
  type Limit,
} from "./gateway.ts";
export { IDENTITY_HEADERS, identityHeaders } from "./identity.ts";
export { type StartFromEnvOptions, startFromEnv } from "./main.ts";
