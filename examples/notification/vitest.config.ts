import { defineTestConfig } from "../../vitest.shared.ts";

export default defineTestConfig({ services: ["redis", "postgres"], testTimeout: 60_000 });
