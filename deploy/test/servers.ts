/**
 * The example servers deploy/ ships, by the name their examples/ directory,
 * compose service, image and Kubernetes overlay share; the port each listens on
 * in compose and in its image; and the variables whose embedded defaults are
 * for trying things out only, which it refuses to start without under
 * NODE_ENV=production. A new server is one more entry here, and one more
 * compose service, overlay and .env.production.example of the same shape.
 */
export const servers = [
  { name: "gateway", port: 3000, productionRequires: ["GATEWAY_BACKENDS"] },
  { name: "user-management", port: 3001, productionRequires: ["DATABASE_URL"] },
  { name: "analytics", port: 3002, productionRequires: ["API_BASE_URL"] },
  { name: "notification", port: 3003, productionRequires: ["DATABASE_URL", "PROVIDER_URL"] },
] as const;

export type ServerName = (typeof servers)[number]["name"];
