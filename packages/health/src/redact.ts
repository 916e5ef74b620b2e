export { redactSecrets } from "@mcp-prod/internal";
