import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";

/** A static API key for a service client: `key=clientId:scope+scope`. */
export type ApiKey = {
  readonly key: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
};

export type AuthOptions = {
  /** The OAuth 2 issuer whose JWTs are accepted (`OAUTH_ISSUER`). Unset: only API keys. */
  readonly issuer?: string | undefined;
  /** The audience the tokens must name (`OAUTH_AUDIENCE`). */
  readonly audience?: string | undefined;
  /** Where the issuer's keys are. @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUrl?: string | undefined;
  readonly apiKeys?: readonly ApiKey[];
  /** Named in `WWW-Authenticate`. @default "mcp-gateway" */
  readonly realm?: string;
};

/** Why a request was refused: the status and the `WWW-Authenticate` header to send. */
export type AuthFailure = {
  readonly status: 401 | 403;
  readonly wwwAuthenticate: string;
  readonly message: string;
};

/** Parses `GATEWAY_API_KEYS`: `key=clientId:scope+scope,key2=clientId2:*`. */
export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text) return [];
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([^=]+)=([^:]+):(.*)$/.exec(entry);
      if (!match)
        throw new TypeError("Expected `GATEWAY_API_KEYS` entries as key=clientId:scope+scope");
      const [, key = "", clientId = "", scopes = ""] = match;
      return { key, clientId, scopes: scopes.split("+").filter(Boolean) };
    });
}

const digest = (value: string) => createHash("sha256").update(value).digest();

function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === "string") return scope.split(" ").filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((item): item is string => typeof item === "string");
  return [];
}

/**
 * Verifies who is calling: a bearer JWT checked against the issuer's JWKS
 * (signature, issuer, audience, expiry), or a static API key compared in
 * constant time. The result is the SDK's `AuthInfo`, which the gateway hands
 * on to the backends.
 */
export function createAuthenticator(options: AuthOptions) {
  const { issuer, audience, apiKeys = [], realm = "mcp-gateway" } = options;
  const jwks = issuer
    ? createRemoteJWKSet(
        new URL(options.jwksUrl ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`),
      )
    : undefined;
  const keys = apiKeys.map((apiKey) => ({ ...apiKey, digest: digest(apiKey.key) }));

  const refuse = (error: string | undefined, message: string): AuthFailure => ({
    status: 401,
    message,
    wwwAuthenticate: error
      ? `Bearer realm="${realm}", error="${error}", error_description="${message}"`
      : `Bearer realm="${realm}"`,
  });

  return {
    async authenticate(req: IncomingMessage): Promise<AuthInfo | AuthFailure> {
      const header = req.headers.authorization;
      const token = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
      if (!token) return refuse(undefined, "missing bearer token");

      const candidate = digest(token);
      const apiKey = keys.find((entry) => timingSafeEqual(entry.digest, candidate));
      if (apiKey) {
        return {
          token,
          clientId: apiKey.clientId,
          scopes: [...apiKey.scopes],
          extra: { kind: "api-key" },
        };
      }
      if (!jwks) return refuse("invalid_token", "unknown API key");
      try {
        const { payload } = await jwtVerify(token, jwks, {
          ...(issuer ? { issuer } : {}),
          ...(audience ? { audience } : {}),
        });
        const clientId = String(payload.client_id ?? payload.azp ?? payload.sub ?? "unknown");
        return {
          token,
          clientId,
          scopes: scopesOf(payload),
          ...(payload.exp ? { expiresAt: payload.exp } : {}),
          extra: { kind: "jwt", subject: payload.sub },
        };
      } catch (error) {
        const message =
          error instanceof joseErrors.JWTExpired
            ? "token expired"
            : error instanceof joseErrors.JWTClaimValidationFailed
              ? `token ${error.claim} claim is not accepted`
              : "token could not be verified";
        return refuse("invalid_token", message);
      }
    },

    /** 403 with `insufficient_scope` when `auth` lacks what `tool` (`prefix.name`) needs. */
    authorize(auth: AuthInfo, tool: string): AuthFailure | undefined {
      const prefix = tool.split(".")[0] ?? tool;
      const granted = auth.scopes.some(
        (scope) => scope === "*" || scope === prefix || scope === tool,
      );
      if (granted) return undefined;
      return {
        status: 403,
        message: `${tool} needs scope ${prefix}`,
        wwwAuthenticate: `Bearer realm="${realm}", error="insufficient_scope", scope="${prefix}", error_description="${tool} needs scope ${prefix}"`,
      };
    },
  };
}

export function isAuthFailure(value: AuthInfo | AuthFailure): value is AuthFailure {
  return "status" in value;
}
