import { defineTestConfig } from "../../vitest.shared.ts";

// The stack runs on its embedded defaults (no PostgreSQL needed); its replicas share Redis.
export default defineTestConfig({ services: ["redis"], testTimeout: 60_000 });
