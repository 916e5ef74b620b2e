export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolHandler,
  type ToolPolicy,
  type ToolResult,
  ToolResultError,
} from "@mcp-prod/internal";
export type { Attempt, AttemptContext, FallbackInfo, FallbackOptions } from "./chain.ts";
export { FallbackError, FallbackTimeoutError } from "./errors.ts";
export { fallbackChain, fetchWithFallback } from "./fallback.ts";
export { type FallbackPolicyOptions, withFallback } from "./policy.ts";
export {
  type ContentAnnotations,
  type ContentBlock,
  FALLBACK_META_KEY,
  type FallbackMeta,
  type FallbackReason,
  type FixedToolResult,
  getFallbackMeta,
  type OutputOf,
  type OutputSchema,
  type ToolFallback,
  type WithFallbackOptions,
} from "./with-fallback.ts";
