import type { ConfigShape, ConfigVariable } from "@mcp-prod/config";
import { version } from "../package.json";
import { gatewayConfigShape, STRICT_PREFIXES } from "./config.ts";

/**
 * What `mcp-prod-gateway --help` says a variable is for, and (for a variable
 * the schema leaves unset and the gateway fills in) the default it shows.
 */
const MEANINGS: Readonly<Record<string, string | readonly [string, string]>> = {
  NODE_ENV: "development, production or test",
  LOG_LEVEL: "debug, info, warn, error or silent",
  SERVER_HOST: "address to listen on",
  SERVER_PORT: "port to listen on",
  GATEWAY_ALLOWED_HOSTS: ["accepted Host values", "loopback hosts on loopback"],
  GATEWAY_ALLOWED_ORIGINS: ["accepted browser Origin values", "loopback origins on loopback"],
  GATEWAY_MAX_BODY_BYTES: "largest request body (413 beyond)",
  GATEWAY_ALLOW_ANONYMOUS: "serve without credentials on a non-loopback address",
  GATEWAY_TRUSTED_PROXIES: "addresses or CIDR ranges whose X-Forwarded-For names the client",
  GATEWAY_METRICS_TOKEN: "bearer token /metrics requires",
  GATEWAY_MAX_RESULT_BYTES: "largest message accepted from a backend",
  GATEWAY_MAX_CALL_MS: "longest any call may run, progress or not",
  GATEWAY_MAX_ARGUMENT_DEPTH: "deepest nesting of tool arguments",
  GATEWAY_SESSION_IDLE_MS: "a session unused this long ends",
  GATEWAY_MAX_SESSIONS: "sessions in all (503 beyond)",
  GATEWAY_MAX_SESSIONS_PER_IDENTITY: "sessions per identity (429 beyond)",
  GATEWAY_MAX_BACKEND_CONNECTIONS: "connections to each backend",
  GATEWAY_MAX_BACKEND_CONNECTIONS_PER_IDENTITY:
    "calls one identity may have in flight to one backend",
  GATEWAY_RESUME_MAX_EVENTS: "events kept per session for resumed streams",
  GATEWAY_RESUME_MAX_AGE_MS: "how long those events are kept",
  GATEWAY_SESSION_KEY: "seals session ids, at least 32 characters; replicas share it",
  GATEWAY_SESSION_KEY_PREVIOUS: "the previous session key, still accepted during a rotation",
  OAUTH_ISSUER: "JWT issuer; tokens are verified against its JWKS",
  OAUTH_AUDIENCE: "the audience tokens must name",
  OAUTH_JWKS_URL: ["where the issuer's keys are", "OAUTH_ISSUER/.well-known/jwks.json"],
  OAUTH_MAX_TOKEN_AGE_SECONDS: "oldest accepted token by iat",
  GATEWAY_API_KEYS: "API keys: key=clientId:scope+scope, comma-separated",
  GATEWAY_BACKENDS: "the backends: prefix=URL or bare URL, comma-separated",
  GATEWAY_BACKEND_TIMEOUT_MS: [
    "call timeout from acceptance, reset by progress; also 60000,prefix=ms",
    "60000",
  ],
  GATEWAY_REFRESH_INTERVAL_MS: "lists re-read on this timer; 0 never",
  REDIS_URL: "Redis shared by replicas: sessions, streams, rate limits",
  GATEWAY_REDIS_KEY_PREFIX: "prefix of every key the gateway keeps in Redis",
  RATE_LIMIT_POINTS: "tool calls per identity and tool per window",
  RATE_LIMIT_DURATION_SECONDS: "the rate limits' window",
  RATE_LIMIT_REQUEST_POINTS: "messages per identity per window (429 beyond)",
  RATE_LIMIT_AUTH_FAILURE_POINTS: "failed authentications per address per window",
  RATE_LIMIT_STORE_TIMEOUT_MS: "longest wait for a Redis command",
  GATEWAY_AUDIT_ARGUMENTS: "put tool arguments in the audit log",
  SHUTDOWN_DRAIN_MS: "graceful-shutdown drain",
};

function isVariable(node: ConfigVariable | ConfigShape): node is ConfigVariable {
  return typeof (node as { name?: unknown }).name === "string" && "schema" in node;
}

function variables(shape: ConfigShape): ConfigVariable[] {
  return Object.values(shape).flatMap((node) => (isVariable(node) ? [node] : variables(node)));
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

/** A variable's default as `--help` prints it: its value, `required`, or `unset`. */
function defaultOf(variable: ConfigVariable): string {
  const described = MEANINGS[variable.name];
  if (Array.isArray(described)) return described[1] as string;
  const parsed = variable.schema.safeParse(undefined);
  const base = !parsed.success
    ? "required"
    : parsed.data === undefined
      ? "unset"
      : show(parsed.data);
  return variable.devDefault === undefined
    ? base
    : `${base} (${show(variable.devDefault)} unless NODE_ENV=production)`;
}

/** The text of `mcp-prod-gateway --help`: usage, then every variable with its default. */
export function helpText(): string {
  const rows = variables(gatewayConfigShape).map((variable) => {
    const described = MEANINGS[variable.name] ?? "";
    return [
      variable.name,
      defaultOf(variable),
      typeof described === "string" ? described : described[0],
    ];
  });
  const width = (column: number) => Math.max(...rows.map((row) => (row[column] ?? "").length));
  const [nameWidth, defaultWidth] = [width(0), width(1)];
  const lines = rows.map(([name = "", fallback = "", meaning = ""]) =>
    `  ${name.padEnd(nameWidth)}  ${fallback.padEnd(defaultWidth)}  ${meaning}`.trimEnd(),
  );
  return [
    "Usage: mcp-prod-gateway [--help | --version]",
    "",
    "An authenticated, rate-limited MCP endpoint in front of several MCP servers,",
    "configured by environment variables. Every secret also reads from NAME_FILE.",
    `A ${STRICT_PREFIXES.map((prefix) => `${prefix}*`)
      .join(", ")
      .replace(/, ([^,]+)$/, " or $1")} variable not listed here stops the start.`,
    "",
    `  ${"variable".padEnd(nameWidth)}  ${"default".padEnd(defaultWidth)}  meaning`,
    ...lines,
    "",
    "Options:",
    "  -h, --help     print this help and exit",
    "  -v, --version  print the version and exit",
    "",
  ].join("\n");
}

/** What the command was asked to do, read from its arguments. */
export type CommandRequest =
  | { readonly kind: "start" }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "refused"; readonly message: string };

/**
 * Reads the command's arguments: none starts the gateway, `--help`/`-h` and
 * `--version`/`-v` print and exit; anything else is refused, because the
 * gateway takes its configuration from the environment alone.
 */
export function readArguments(argv: readonly string[]): CommandRequest {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: "start" };
  const kind =
    first === "--help" || first === "-h"
      ? "help"
      : first === "--version" || first === "-v"
        ? "version"
        : undefined;
  if (kind === undefined)
    return {
      kind: "refused",
      message: `unknown argument ${JSON.stringify(first)}: the gateway is configured by environment variables (mcp-prod-gateway --help lists them)`,
    };
  if (rest.length > 0)
    return {
      kind: "refused",
      message: `${first} takes no other argument, got ${rest.map((item) => JSON.stringify(item)).join(" ")}`,
    };
  return { kind };
}

/** The installed package's version, as `--version` prints it. */
export const VERSION: string = version;
