import { serverConfigShape } from "@mcp-prod-examples/kit";
import { databaseConfigShape } from "@mcp-prod-examples/kit/database";

/**
 * The variables this server reads. Outside production everything has an
 * embedded default; under NODE_ENV=production the server refuses to start
 * without a real DATABASE_URL instead of running on a throwaway database.
 */
export const configShape = {
  ...serverConfigShape(3001),
  ...databaseConfigShape(),
};
