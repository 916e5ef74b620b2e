export { compose, type PolicyContext, type ToolPolicy } from "@mcp-prod/internal";
export {
  Chaos,
  type ChaosEvents,
  type ChaosFaultKind,
  type ChaosOptions,
  type ChaosStats,
  createChaos,
} from "./chaos.ts";
export { type ChaosFault, ChaosFaultError, ChaosProductionError } from "./errors.ts";
export { CHAOS_META_KEY, withChaos } from "./with-chaos.ts";
