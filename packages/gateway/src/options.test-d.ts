import type { Redis } from "ioredis";
import { describe, expectTypeOf, it } from "vitest";
import type { GatewayRedis } from "./options.ts";

describe("GatewayRedis", () => {
  it("takes an ioredis client as it is", () => {
    expectTypeOf<Redis>().toExtend<GatewayRedis>();
  });
});
