export {
  compose,
  POLICY_ORDER,
  type PolicyContext,
  type PolicyKind,
  type ToolCallResult,
  type ToolContextV2,
  type ToolExtraV1,
  type ToolHandler,
  type ToolHandlerV1,
  type ToolHandlerV2,
  type ToolPolicy,
  type ToolResult,
  ToolResultError,
} from "@mcp-prod/internal";
export type { Attempt, AttemptContext, FallbackInfo } from "./chain.ts";
export { FallbackError, FallbackTimeoutError } from "./errors.ts";
export { fallbackChain, fetchWithFallback } from "./fallback.ts";
export type { FallbackOptions, FallbackPolicyOptions, WithFallbackOptions } from "./options.ts";
export type {
  ContentAnnotations,
  ContentBlock,
  FixedToolResult,
  OutputOf,
  OutputSchema,
  ToolFallback,
} from "./tool-fallback.ts";
export {
  FALLBACK_META_KEY,
  type FallbackMeta,
  type FallbackReason,
  getFallbackMeta,
  withFallback,
} from "./with-fallback.ts";
