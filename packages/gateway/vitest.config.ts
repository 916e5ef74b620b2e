import { defineTestConfig } from "../../vitest.shared.ts";

export default defineTestConfig({ services: ["redis"], testTimeout: 60_000 });
