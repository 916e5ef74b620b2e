import { describe, expect, it } from "vitest";
import { composePlan } from "./compose.ts";
import { servers } from "./servers.ts";
import { canIsolate, runStack } from "./stack.ts";

// Needs network and mount namespaces (root): CI has them; elsewhere it says why it did not run.
const isolated = canIsolate();
if (!isolated && process.env.CI) throw new Error("CI must be able to run unshare --net --mount");

describe.skipIf(!isolated)("the compose stack as documented", () => {
  it("every server starts with its .env.production.example as copied, turns healthy, the gateway lists every backend's tools, and a retried create_user creates one user", async () => {
    const plan = composePlan();
    const report = await runStack(plan);
    const diagnosis = JSON.stringify({ error: report.error, output: report.output }, null, 2);
    expect(report.error, diagnosis).toBeUndefined();
    expect(report.started).toEqual(plan.services.map((service) => service.name));
    for (const server of servers) expect(report.started, server.name).toContain(server.name);
    // users.* from user-management, analytics.* from analytics, notifications.* from
    // notification: every backend answered.
    expect(report.tools).toEqual([
      "analytics.get_report",
      "analytics.list_metrics",
      "notifications.get_notification",
      "notifications.list_notifications",
      "notifications.send_notification",
      "users.create_user",
      "users.get_user",
      "users.search_users",
    ]);
    // The same idempotency key twice through the gateway: the second answer is the first one's
    // user (not "already exists"), replayed by user-management from its PostgreSQL records.
    const first = JSON.parse(report.retried?.first ?? "{}");
    expect(first.isError, report.retried?.first).toBe(false);
    expect(JSON.parse(first.content[0].text)).toMatchObject({ email: "compose-stack@example.com" });
    expect(report.retried?.second).toBe(report.retried?.first);
    expect(report.retried?.replayed).toBe(true);
    // docker compose stop: SIGTERM, and each server exits 0 within its grace period.
    for (const server of servers) expect(report.exits[server.name], server.name).toBe(0);
  }, 240_000);
});
