import type { ServerResponse } from "node:http";
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { Caller } from "./auth.ts";
import type { Backend } from "./backend.ts";
import type { GatewayCore } from "./core.ts";
import { sendError } from "./guards.ts";
import {
  ERROR,
  errorText,
  type Incoming,
  negotiateVersion,
  type Params,
  resultText,
} from "./json-rpc.ts";

const SERVER_INFO = { name: "mcp-prod-gateway", version: "0.0.0" };

/** The backends `caller` may reach (all of them without authentication). */
function reachable(core: GatewayCore, caller: Caller | undefined): Backend[] {
  const routes = core.catalog();
  return core.backends.filter((backend) => !caller || routes.reaches(caller.scopes, backend));
}

/** What the gateway advertises: what any backend the caller may reach offers, lists always changeable. */
export function capabilitiesFor(core: GatewayCore, caller: Caller | undefined): ServerCapabilities {
  const capabilities: ServerCapabilities = { tools: { listChanged: true } };
  for (const backend of reachable(core, caller)) {
    const offered = backend.capabilities;
    if (!offered) continue;
    if (offered.prompts) capabilities.prompts = { listChanged: true };
    if (offered.resources)
      capabilities.resources = {
        listChanged: true,
        subscribe: Boolean(capabilities.resources?.subscribe || offered.resources.subscribe),
      };
    if (offered.completions) capabilities.completions = {};
    if (offered.logging) capabilities.logging = {};
  }
  return capabilities;
}

/** The instructions of the backends the caller may reach, each under its prefix when there are several. */
export function instructionsFor(core: GatewayCore, caller: Caller | undefined): string | undefined {
  const parts = reachable(core, caller).filter((backend) => backend.instructions);
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0]?.instructions;
  return parts
    .map((backend) => `## ${backend.prefix ?? backend.label}\n\n${backend.instructions}`)
    .join("\n\n");
}

const isObject = (value: unknown): value is Params =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Answers `initialize`: a new session for the caller's identity, unless the
 * replica or the identity holds all the sessions it may (503 / 429), or the
 * store cannot take it now (503). Nothing is kept for a refused initialize.
 */
export async function openSession(
  core: GatewayCore,
  res: ServerResponse,
  message: Extract<Incoming, { kind: "request" }>,
  caller: Caller | undefined,
  identity: string,
): Promise<void> {
  const params = message.params ?? {};
  const reply = (text: string, headers: Record<string, string> = {}): void => {
    res
      .writeHead(200, {
        ...headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
      })
      .end(text);
  };
  if (
    !isObject(params.capabilities) ||
    !isObject(params.clientInfo) ||
    typeof params.protocolVersion !== "string"
  )
    return reply(
      errorText(
        message.id,
        ERROR.invalidParams,
        "initialize needs protocolVersion, capabilities and clientInfo",
      ),
    );
  const protocolVersion = negotiateVersion(params.protocolVersion);
  let created: Awaited<ReturnType<GatewayCore["sessions"]["create"]>>;
  try {
    created = await core.sessions.create({
      identity,
      protocolVersion,
      capabilities: params.capabilities,
      clientInfo: params.clientInfo,
      backends: {},
      logLevel: undefined,
      subscriptions: [],
    });
  } catch {
    return sendError(res, 503, ERROR.connectionClosed, "Session store unavailable", {
      "retry-after": "1",
    });
  }
  if (created === "full")
    return sendError(res, 503, ERROR.connectionClosed, "Too many sessions", { "retry-after": "5" });
  if (created === "identityFull")
    return sendError(res, 429, ERROR.connectionClosed, "Too many sessions for this client", {
      "retry-after": "5",
    });
  const instructions = instructionsFor(core, caller);
  reply(
    resultText(message.id, {
      protocolVersion,
      capabilities: capabilitiesFor(core, caller),
      serverInfo: SERVER_INFO,
      ...(instructions ? { instructions } : {}),
    }),
    { "mcp-session-id": created.id },
  );
}
