import { describe, expect, expectTypeOf, it } from "vitest";
import { definePolicy } from "./compose.ts";
import { compose, type PolicyKind, type ToolHandler, type ToolPolicy } from "./index.ts";

type Handler = (args: { city: string }, extra: object) => Promise<{ content: string[] }>;

function tracing<H extends ToolHandler>(kind: PolicyKind, seen: string[]): ToolPolicy<H> {
  return definePolicy(kind, (handler: H, { name }) => {
    const call = handler as unknown as (...params: unknown[]) => Promise<object>;
    return (async (...params: unknown[]) => {
      seen.push(`${kind}:${name}`);
      return call(...params);
    }) as unknown as H;
  });
}

/** A policy form whose options are typed from the handler it ends up wrapping. */
function keyed<H extends ToolHandler>(options: {
  key: (args: Parameters<H>[0]) => string;
  seen: string[];
}): ToolPolicy<H> {
  return definePolicy("cache", (handler: H) => {
    const call = handler as unknown as (...params: unknown[]) => Promise<object>;
    return (async (...params: unknown[]) => {
      options.seen.push(options.key(params[0] as Parameters<H>[0]));
      return call(...params);
    }) as unknown as H;
  });
}

describe("compose", () => {
  it("applies policies outermost first and tells each the tool's name", async () => {
    const seen: string[] = [];
    const handler: Handler = async ({ city }) => ({ content: [city] });
    const composed = compose(
      "forecast",
      handler,
      tracing("telemetry", seen),
      tracing("breaker", seen),
      tracing("cache", seen),
    );
    await expect(composed({ city: "Oslo" }, {})).resolves.toEqual({ content: ["Oslo"] });
    expect(seen).toEqual(["telemetry:forecast", "breaker:forecast", "cache:forecast"]);
  });

  it("types a policy's options from the handler it wraps", async () => {
    const seen: string[] = [];
    const handler: Handler = async ({ city }) => ({ content: [city] });
    const composed = compose(
      "forecast",
      handler,
      tracing("breaker", []),
      keyed({ key: (args) => `forecast:${args.city.toUpperCase()}`, seen }),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    await composed({ city: "Oslo" }, {});
    expect(seen).toEqual(["forecast:OSLO"]);
  });

  it("refuses policies out of order, naming both and the order", () => {
    const handler: Handler = async () => ({ content: [] });
    expect(() => compose("t", handler, tracing("cache", []), tracing("breaker", []))).toThrow(
      /compose\("t"\) puts breaker inside cache; the order is telemetry → ratelimit/,
    );
  });

  it("accepts a policy tagged by another copy of this module, as each package bundles its own", async () => {
    const seen: string[] = [];
    // What another package's bundled definePolicy produces: only the string tag is shared.
    const foreign = Object.defineProperty(
      (handler: Handler, { name }: { name: string }) =>
        (async (args: { city: string }, extra: object) => {
          seen.push(name);
          return handler(args, extra);
        }) as Handler,
      "~policy",
      { value: "telemetry" },
    ) as ToolPolicy<Handler>;
    const handler: Handler = async ({ city }) => ({ content: [city] });
    await compose("forecast", handler, foreign, tracing("breaker", seen))({ city: "Oslo" }, {});
    expect(seen).toEqual(["forecast", "breaker:forecast"]);
    expect(() => compose("t", handler, tracing("cache", []), foreign)).toThrow(
      /puts telemetry inside cache/,
    );
  });

  it("refuses a function tagged with a kind it does not know", () => {
    const handler: Handler = async () => ({ content: [] });
    const unknown = Object.defineProperty((h: Handler) => h, "~policy", { value: "hedge" });
    expect(() => compose("t", handler, unknown as unknown as ToolPolicy<Handler>)).toThrow(
      /argument 3 is not a policy/,
    );
  });

  it("refuses the same policy twice and a plain function", () => {
    const handler: Handler = async () => ({ content: [] });
    expect(() => compose("t", handler, tracing("retry", []), tracing("retry", []))).toThrow(
      'compose("t") lists the retry policy twice',
    );
    expect(() =>
      compose("t", handler, ((h: Handler) => h) as unknown as ToolPolicy<Handler>),
    ).toThrow(/argument 3 is not a policy/);
    expect(() => compose("", handler)).toThrow(/tool's `name`/);
  });
});
