import { connect } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    requiredServices: string[];
  }
}

const services = {
  redis: { variable: "REDIS_URL", fallback: "redis://127.0.0.1:6379", port: 6379 },
  postgres: {
    variable: "DATABASE_URL",
    fallback: "postgres://postgres@127.0.0.1:5432/test",
    port: 5432,
  },
} as const;

function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Fails the whole run at once, naming the variable, when a server the tests need is down. */
export default async function requireServices(project: TestProject): Promise<void> {
  const wanted = project.config.provide?.requiredServices ?? [];
  const problems: string[] = [];
  for (const name of wanted) {
    const service = services[name as keyof typeof services];
    if (!service) continue;
    const url = new URL(process.env[service.variable] ?? service.fallback);
    const port = Number(url.port || service.port);
    if (!(await reachable(url.hostname, port, 2000))) {
      problems.push(
        `${service.variable}=${url.protocol}//${url.hostname}:${port} is not reachable (${name}).`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${problems.join("\n")}\nThe integration tests need real servers: start them with \`docker compose up -d --wait\` from the repository root, or set REDIS_URL / DATABASE_URL to servers you run.`,
    );
  }
}
