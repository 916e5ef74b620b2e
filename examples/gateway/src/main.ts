// The example stack's gateway: @mcp-prod/gateway configured from the environment, in front of
// user-management-mcp and analytics-mcp unless GATEWAY_BACKENDS says otherwise.
import { startFromEnv } from "@mcp-prod/gateway";

await startFromEnv({
  GATEWAY_BACKENDS: "users=http://127.0.0.1:3001/mcp,analytics=http://127.0.0.1:3002/mcp",
  ...process.env,
});
