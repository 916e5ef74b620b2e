import { describe, expectTypeOf, it } from "vitest";
import { compose, createCache, type ToolPolicy, withCache } from "./index.ts";

type Handler = (
  args: { city: string; days: number },
  extra: { signal: AbortSignal },
) => Promise<{ content: Array<{ type: "text"; text: string }> }>;
declare const handler: Handler;

describe("withCache policy form", () => {
  it("types key's parameters from the handler compose gives it", () => {
    const cache = createCache();
    const composed = compose(
      "forecast",
      handler,
      withCache({
        cache,
        key: (args, extra) => {
          expectTypeOf(args).toEqualTypeOf<{ city: string; days: number }>();
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return `forecast:${args.city}:${args.days}`;
        },
      }),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    // @ts-expect-error `town` is not an argument of the handler
    compose("forecast", handler, withCache({ cache, key: (args) => args.town }));
    expectTypeOf(withCache({ cache, key: () => "k" })).toEqualTypeOf<ToolPolicy>();
  });
});
