// deploy/docker-compose.yml read the way Compose reads it, as far as the
// tests need: `${VAR:-default}` interpolation, YAML merge keys, env_file, the
// image's own ENV and CMD (from deploy/Dockerfile and the build args), and
// the start order that `depends_on` gives.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { parse as parseEnv } from "dotenv";
import { parse } from "yaml";
import type { StackPlan, StackService } from "./stack.ts";

export const root = join(import.meta.dirname, "..", "..");
export const composeFile = join(root, "deploy", "docker-compose.yml");

export type Healthcheck = {
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
};

export type ComposeService = {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required: boolean }[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  pull_policy?: string;
};

export type Compose = {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

/** `${NAME}`, `${NAME:-default}` and `$$`, with the variables' defaults (nothing set). */
export function interpolate(text: string, env: Record<string, string | undefined> = {}): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (match, name, fallback) => (match === "$$" ? "$" : ((env[name] || fallback) ?? "")),
  );
}

export function readCompose(file = composeFile): Compose {
  return parse(interpolate(readFileSync(file, "utf8")), { merge: true }) as Compose;
}

/** Seconds (`30s`, `1m30s`, `500ms`) as milliseconds. */
export function durationMs(text: string | undefined): number {
  if (!text) return 0;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(value) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "s"];
  return total;
}

/** The final stage of deploy/Dockerfile: its ENV (with the build args) and CMD. */
export function imageDefaults(args: Record<string, string> = {}) {
  const file = DockerfileParser.parse(readFileSync(join(root, "deploy", "Dockerfile"), "utf8"));
  const instructions = file.getInstructions();
  const froms = file.getFROMs();
  const last = froms[froms.length - 1];
  const stage = instructions.slice(instructions.indexOf(last as never));
  const argDefaults: Record<string, string> = {};
  for (const arg of file.getARGs().filter((each) => stage.includes(each as never)))
    for (const property of arg.getProperties())
      argDefaults[property.getName()] = property.getValue() ?? "";
  const values = { ...argDefaults, ...args };
  const env: Record<string, string> = {};
  for (const instruction of file.getENVs().filter((each) => stage.includes(each as never)))
    for (const property of instruction.getProperties())
      env[property.getName()] = interpolate(property.getValue() ?? "", values);
  const cmd = stage.find((instruction) => instruction.getKeyword() === "CMD");
  return { env, cmd: JSON.parse(cmd?.getArgumentsContent() ?? "[]") as string[] };
}

/** The service that builds `image` (the analytics image also runs the upstream). */
export function builderOf(compose: Compose, image: string | undefined) {
  return Object.entries(compose.services).find(
    ([, service]) => service.build && service.image === image,
  );
}

/** A service's container environment: image ENV, then env_file, then environment (Compose's precedence). */
export function containerEnv(compose: Compose, name: string): Record<string, string> {
  const service = compose.services[name] as ComposeService;
  const builder = service.build ? service : builderOf(compose, service.image)?.[1];
  const fromFiles = Object.assign(
    {},
    ...(service.env_file ?? []).map((entry) =>
      parseEnv(readFileSync(envFilePath(entry.path), "utf8")),
    ),
  ) as Record<string, string>;
  return {
    ...(builder ? imageDefaults(builder.build?.args).env : {}),
    ...fromFiles,
    ...(service.environment ?? {}),
  };
}

/**
 * Where Compose reads an env_file from. The documented first step copies each
 * `.env.production.example` to `.env.production`: the tests read the example
 * where the copy would be, which is what a copy "as is" holds.
 */
export function envFilePath(path: string): string {
  const file = resolve(dirname(composeFile), path);
  return file.endsWith(".env.production") ? `${file}.example` : file;
}

/** Services in an order where each comes after everything it depends on. */
export function startOrder(compose: Compose): string[] {
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`depends_on cycle: ${[...path, name].join(" → ")}`);
    for (const dependency of Object.keys(compose.services[name]?.depends_on ?? {}))
      visit(dependency, [...path, name]);
    order.push(name);
  };
  for (const name of Object.keys(compose.services)) visit(name, []);
  return order;
}

/**
 * The `*.sql` files a postgres service mounts into /docker-entrypoint-initdb.d
 * (a directory, or one file), in the order the image runs them: by name.
 */
export function initScripts(service: ComposeService): string[] {
  const scripts: string[] = [];
  for (const volume of service.volumes ?? []) {
    const [source = "", target = ""] = volume.split(":");
    if (!source.startsWith(".") || !target.startsWith("/docker-entrypoint-initdb.d")) continue;
    const path = resolve(dirname(composeFile), source);
    if (!existsSync(path)) throw new Error(`${volume}: ${path} does not exist`);
    if (statSync(path).isDirectory())
      scripts.push(
        ...readdirSync(path)
          .filter((name) => name.endsWith(".sql"))
          .sort()
          .map((name) => join(path, name)),
      );
    else if (path.endsWith(".sql")) scripts.push(path);
  }
  return scripts;
}

/**
 * The compose stack as processes on this machine: Redis and PostgreSQL as the
 * images run them, every service on the project's image as `node dist/…` in its
 * example's directory with the container's environment and healthcheck. The
 * load balancer (HAProxy) is left out: the client talks to the gateway.
 */
export function composePlan(compose = readCompose()): StackPlan {
  const services: StackService[] = [];
  for (const name of startOrder(compose)) {
    const service = compose.services[name] as ComposeService;
    const image = service.image ?? "";
    if (image.startsWith("redis:")) {
      services.push({ kind: "redis", name, port: 6379 });
    } else if (image.startsWith("postgres:")) {
      const env = service.environment ?? {};
      services.push({
        kind: "postgres",
        name,
        port: 5432,
        user: env.POSTGRES_USER ?? "postgres",
        password: env.POSTGRES_PASSWORD ?? "",
        database: env.POSTGRES_DB ?? env.POSTGRES_USER ?? "postgres",
        initScripts: initScripts(service),
      });
    } else if (service.build || builderOf(compose, service.image)) {
      const builder = service.build
        ? service
        : (builderOf(compose, service.image)?.[1] as ComposeService);
      const example = builder.build?.args?.EXAMPLE as string;
      const test = service.healthcheck?.test ?? [];
      services.push({
        kind: "node",
        name,
        cwd: join(root, "examples", example),
        argv: service.command ?? imageDefaults(builder.build?.args).cmd,
        env: containerEnv(compose, name),
        ...(test[0] === "CMD" ? { healthcheck: test.slice(1) } : {}),
        startPeriodMs: Math.max(durationMs(service.healthcheck?.start_period), 30_000),
      });
    }
  }
  const gateway = containerEnv(compose, "gateway");
  const key = (gateway.GATEWAY_API_KEYS ?? "").split(",")[0]?.replace(/=[^=]*$/, "") ?? "";
  return {
    hosts: Object.keys(compose.services),
    services,
    check: {
      // As a client through the load balancer: the Host it sends is 127.0.0.1, not the service name.
      url: `http://127.0.0.1:${gateway.SERVER_PORT}/mcp`,
      headers: { authorization: `Bearer ${key}` },
      retry: {
        name: "users.create_user",
        arguments: { name: "Compose Stack", email: "compose-stack@example.com" },
      },
    },
  };
}
