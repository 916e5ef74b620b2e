import { defineTestConfig } from "../../vitest.shared.ts";

// The stack runs on its embedded defaults: no Redis or PostgreSQL needed.
export default defineTestConfig({ testTimeout: 60_000 });
