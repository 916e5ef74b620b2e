export { describeConfig } from "./describe-config.ts";
export type { ValueSource } from "./environment.ts";
export { ConfigError, type ConfigIssue } from "./errors.ts";
export {
  type DeepReadonly,
  type InferConfig,
  type LoadConfigOptions,
  loadConfig,
  loadConfigOrExit,
} from "./load-config.ts";
export {
  type ConfigShape,
  type ConfigVariable,
  env,
  secret,
  type VariableOptions,
} from "./variable.ts";
