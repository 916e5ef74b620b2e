import { randomUUID } from "node:crypto";
import { databaseUrl } from "@mcp-prod/testkit";
import { type RunningExample, startExample } from "@mcp-prod-examples/kit/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const ROUNDS = 10;
const REPLICAS = 3;
const admin = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
afterAll(() => admin.end());

/** The first line of a failed start and the database's own words, if it printed any. */
const summary = (reason: string) => {
  const lines = reason.split("\n");
  const database = lines.find((line) => /violates|duplicate|deadlock|error:/i.test(line));
  return [lines[0], database?.trim()].filter(Boolean).join(": ");
};

describe("replicas starting together against an empty database", () => {
  it(`${REPLICAS} servers started at once all start, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A schema of its own is an empty database to the server: its search_path sees nothing else.
      const schema = `replicas_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(databaseUrl());
      url.searchParams.set("options", `-c search_path=${schema}`);
      const started = await Promise.allSettled(
        Array.from({ length: REPLICAS }, () =>
          startExample("user-management", { DATABASE_URL: url.href }),
        ),
      );
      const running = started.flatMap((result) =>
        result.status === "fulfilled" ? [result.value] : [],
      );
      for (const result of started)
        if (result.status === "rejected")
          failures.push(`round ${round + 1}: ${summary(String(result.reason))}`);
      await Promise.all(running.map((server: RunningExample) => server.stop()));
      const { rows } = await admin.query<{ count: string }>(`SELECT count(*) FROM ${schema}.users`);
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      // The seed users were inserted once, whichever replica got there first.
      expect(Number(rows[0]?.count), `round ${round + 1}`).toBe(3);
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
