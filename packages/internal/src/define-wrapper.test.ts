import { describe, expect, it } from "vitest";
import { compose, defineWrapper, type ToolHandler, type ToolPolicy } from "./index.ts";

type Options = { readonly label: string };

function makeWrapper(functionAlone?: "handler" | "policy") {
  const calls: string[] = [];
  const wrap = (handler: ToolHandler, options: Options): ToolHandler => {
    calls.push(`wrap:${options.label}`);
    return handler;
  };
  const dispatch = defineWrapper({
    kind: "bulkhead",
    wrap,
    policy: (options: Options) => {
      calls.push(`policy:${options.label}`);
      return (handler, { name }) => wrap(handler, { label: `${options.label}@${name}` });
    },
    ...(functionAlone === undefined ? {} : { functionAlone }),
  });
  return { calls, withX: (...params: unknown[]) => dispatch(params) };
}

const handler = async () => ({ content: [] });

describe("defineWrapper", () => {
  it("wraps at once when given a handler and options", () => {
    const { calls, withX } = makeWrapper();
    expect(withX(handler, { label: "a" })).toBe(handler);
    expect(calls).toEqual(["wrap:a"]);
  });

  it("checks the policy's options at once and wraps when compose applies it, with the tool's name", () => {
    const { calls, withX } = makeWrapper();
    const policy = withX({ label: "b" }) as ToolPolicy<typeof handler>;
    expect(calls).toEqual(["policy:b"]);
    compose("forecast", handler, policy);
    expect(calls).toEqual(["policy:b", "wrap:b@forecast"]);
  });

  it("treats a function alone as the handler by default, and as the policy's argument when told", () => {
    const byDefault = makeWrapper();
    expect(() => byDefault.withX(handler)).toThrow(TypeError);
    const policyFirst = makeWrapper("policy");
    const policy = policyFirst.withX(handler) as unknown as { "~policy": string };
    expect(policy["~policy"]).toBe("bulkhead");
  });
});
