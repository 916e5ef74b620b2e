import { defineTestConfig } from "../../vitest.shared.ts";

export default defineTestConfig({ services: ["redis", "postgres"] });
