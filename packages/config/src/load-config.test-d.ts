import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { serverShape } from "./config.test-helpers.ts";
import {
  type ConfigVariable,
  env,
  type InferConfig,
  loadConfig,
  loadConfigOrExit,
  secret,
} from "./index.ts";

describe("inferred config type", () => {
  it("infers a server's configuration shape, nested objects included, as readonly", () => {
    const config = loadConfig(serverShape, { env: {} });
    expectTypeOf(config).toEqualTypeOf<{
      readonly nodeEnv: "development" | "production" | "test";
      readonly logLevel: "debug" | "info" | "warn" | "error";
      readonly server: { readonly host: string; readonly port: number };
      readonly oauth: {
        readonly issuer: string;
        readonly clientId: string;
        readonly clientSecret: string;
      };
      readonly databaseUrl: string;
    }>();
    expectTypeOf(config.server.port).toEqualTypeOf<number>();
    expectTypeOf(loadConfigOrExit(serverShape)).toEqualTypeOf(config);
  });

  it("uses each schema's output: optional, boolean, transformed and deep values", () => {
    const config = loadConfig({
      debug: env("DEBUG", z.stringbool().default(false)),
      sentryDsn: env("SENTRY_DSN", z.url().optional()),
      hosts: env(
        "HOSTS",
        z.string().transform((text) => text.split(",")),
      ),
      limits: env(
        "LIMITS",
        z.string().transform(() => ({ max: 1, tiers: ["a"] })),
      ),
      issuer: env(
        "ISSUER",
        z.url().transform((text) => new URL(text)),
      ),
      deep: { deeper: { token: secret("TOKEN", z.string()) } },
    });
    expectTypeOf(config.debug).toEqualTypeOf<boolean>();
    expectTypeOf(config.sentryDsn).toEqualTypeOf<string | undefined>();
    expectTypeOf(config.hosts).toEqualTypeOf<readonly string[]>();
    expectTypeOf(config.limits).toEqualTypeOf<{
      readonly max: number;
      readonly tiers: readonly string[];
    }>();
    expectTypeOf(config.issuer).toEqualTypeOf<URL>();
    expectTypeOf(config.deep.deeper.token).toEqualTypeOf<string>();
  });

  it("types devDefault as the schema's input", () => {
    env("LOG_LEVEL", z.enum(["debug", "info"]), { devDefault: "debug" });
    // @ts-expect-error "verbose" is not an input of the enum
    env("LOG_LEVEL", z.enum(["debug", "info"]), { devDefault: "verbose" });
  });

  it("rejects a shape whose leaves are not env() or secret()", () => {
    // @ts-expect-error a bare value is not a declaration
    loadConfig({ port: 3000 });
    // @ts-expect-error a zod schema alone does not name its variable
    loadConfig({ port: z.number() });
  });

  it("exposes the helper types", () => {
    const port = env("PORT", z.coerce.number());
    expectTypeOf(port).toEqualTypeOf<ConfigVariable<z.ZodCoercedNumber<unknown>>>();
    expectTypeOf<InferConfig<{ port: typeof port }>>().toEqualTypeOf<{ readonly port: number }>();
  });
});
