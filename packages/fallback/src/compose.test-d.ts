import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { compose, type ToolPolicy, withFallback } from "./index.ts";

type Handler = (
  args: { city: string },
  extra: { signal: AbortSignal },
) => Promise<{ content: Array<{ type: "text"; text: string }> }>;
declare const handler: Handler;

describe("withFallback policy form", () => {
  it("types a fallback handler's parameters from the handler compose gives it", () => {
    const composed = compose(
      "forecast",
      handler,
      withFallback({
        fallback: async (args, extra) => {
          expectTypeOf(args).toEqualTypeOf<{ city: string }>();
          expectTypeOf(extra.signal).toEqualTypeOf<AbortSignal>();
          return { content: [{ type: "text", text: args.city }] };
        },
        timeoutMs: 1000,
      }),
    );
    expectTypeOf(composed).toEqualTypeOf<Handler>();
    compose(
      "forecast",
      handler,
      withFallback(async ({ city }) => {
        expectTypeOf(city).toEqualTypeOf<string>();
        return { content: [{ type: "text", text: city }] };
      }),
    );
    expectTypeOf(withFallback({ content: [] })).toEqualTypeOf<ToolPolicy>();
  });

  it("checks a fixed result against the outputSchema", () => {
    const outputSchema = z.object({ celsius: z.number() });
    compose(
      "forecast",
      handler,
      withFallback({ fallback: { content: [], structuredContent: { celsius: 0 } }, outputSchema }),
    );
    withFallback({
      // @ts-expect-error structuredContent does not match the outputSchema
      fallback: { content: [], structuredContent: { celsius: "cold" } },
      outputSchema,
    });
  });
});
