import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";

/** A static API key for a service client. Its scopes are backend prefixes, full tool names, or `*`. */
export type ApiKey = {
  readonly key: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
};

/** Who may call the gateway. With neither `issuer` nor `apiKeys`, every request is anonymous. */
export type AuthOptions = {
  /** The OAuth 2 issuer whose JWTs are accepted (`OAUTH_ISSUER`). Unset: only API keys. */
  readonly issuer?: string | undefined;
  /** The audience the tokens must name (`OAUTH_AUDIENCE`). @default "mcp-gateway" */
  readonly audience?: string | undefined;
  /** Where the issuer's keys are (`OAUTH_JWKS_URL`). @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUrl?: string | undefined;
  /** Static API keys (`GATEWAY_API_KEYS`). @default [] */
  readonly apiKeys?: readonly ApiKey[] | undefined;
  /**
   * Oldest accepted token, by its `iat` claim, in seconds (`OAUTH_MAX_TOKEN_AGE_SECONDS`).
   * Every token must carry `exp` whatever this is.
   * @default 86400 (one day)
   */
  readonly maxTokenAgeSeconds?: number | undefined;
  /** Named in `WWW-Authenticate`. @default "mcp-gateway" */
  readonly realm?: string | undefined;
};

/** Why a request was refused: the status and the `WWW-Authenticate` header to send. */
export type AuthFailure = {
  readonly status: 401 | 403;
  readonly wwwAuthenticate: string;
  readonly message: string;
};

const API_KEYS_SYNTAX =
  "key=clientId:scope+scope (entries separated by commas; the key ends at the entry's last `=`)";

/**
 * Parses `GATEWAY_API_KEYS`: comma-separated `key=clientId:scope+scope`
 * entries. The key is everything before the entry's last `=`, so a key may
 * hold `=` (base64 padding) and any other base64 or base64url character; a
 * client id holds no `=` and no `:`.
 *
 * @example
 * ```ts
 * parseApiKeys("c2VjcmV0LWtleQ===billing:*,r3p0rt+/==reporter:analytics");
 * // [{ key: "c2VjcmV0LWtleQ==", clientId: "billing", scopes: ["*"] },
 * //  { key: "r3p0rt+/=", clientId: "reporter", scopes: ["analytics"] }]
 * ```
 */
export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text) return [];
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const separator = entry.lastIndexOf("=");
      const key = entry.slice(0, Math.max(separator, 0));
      const [clientId = "", scopes, ...rest] = entry.slice(separator + 1).split(":");
      if (separator <= 0 || clientId.trim() === "" || scopes === undefined || rest.length > 0) {
        // Never echo the entry: it holds a secret.
        throw new TypeError(
          `Expected \`GATEWAY_API_KEYS\` entry ${index + 1} as ${API_KEYS_SYNTAX}`,
        );
      }
      return { key, clientId: clientId.trim(), scopes: scopes.split("+").filter(Boolean) };
    });
}

const digest = (value: string) => createHash("sha256").update(value).digest();

function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === "string") return scope.split(" ").filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((item): item is string => typeof item === "string");
  return [];
}

/** Whether `text` is well-formed UTF-16: a lone surrogate cannot be percent-encoded for the backend. */
function wellFormed(text: string): boolean {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

// A usable identity: a non-empty string without control characters, short enough for a header,
// and well-formed UTF-16 (a lone surrogate cannot be percent-encoded for the backend).
const usable = (value: unknown): value is string =>
  typeof value === "string" &&
  value.trim() !== "" &&
  value.length <= 256 &&
  wellFormed(value) &&
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  !/[\u0000-\u001f\u007f]/.test(value);

/** A scope that can travel to the backend intact: well-formed, no control characters. */
const usableScope = (value: string): boolean =>
  value.length <= 256 &&
  wellFormed(value) &&
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  !/[\u0000-\u001f\u007f]/.test(value);

/** Text for a quoted header parameter (RFC 6750 allows printable ASCII only): the rest percent-encoded. */
const headerSafe = (text: string): string =>
  text.replace(/[^\x20-\x7e]|["\\%]/gu, (character) => encodeURIComponent(character));

/** 128 bits of the SHA-256 of `value`, base64url: an identity's name in keys and session ids. */
const digestOf = (value: string): string =>
  createHash("sha256").update(value).digest().subarray(0, 16).toString("base64url");

/** The bearer token of a request; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/**
 * What the gateway knows of a caller: the SDK's `AuthInfo`, and its whole
 * identity. `identityKey` names it (issuer, client and subject of a JWT; the
 * client and the key itself for an API key), `identity` is that key's digest:
 * what sessions, rate budgets, cancellations and shares are keyed by, so two
 * users of one OAuth client, or two keys of one client id, never share any.
 */
export type Caller = AuthInfo & { readonly identityKey: string; readonly identity: string };

const anonymous = new Map<string, Omit<Caller, keyof AuthInfo>>();

/** The caller of an anonymous request, known by its address (the digest kept for the next request). */
export function anonymousCaller(address: string): Omit<Caller, keyof AuthInfo> {
  let caller = anonymous.get(address);
  if (!caller) {
    const identityKey = `anonymous:${address}`;
    caller = { identityKey, identity: digestOf(identityKey) };
    if (anonymous.size >= 10_000) anonymous.clear();
    anonymous.set(address, caller);
  }
  return caller;
}

/**
 * Verifies who is calling: a bearer JWT checked against the issuer's JWKS
 * (signature, issuer, audience, `exp` required, maximum age), or a static API
 * key compared in constant time. JWT and API-key identities live in separate
 * namespaces (`jwt:` and `key:`) for rate limits and sessions.
 */
export function createAuthenticator(options: AuthOptions) {
  const {
    issuer,
    audience = "mcp-gateway",
    apiKeys = [],
    realm = "mcp-gateway",
    maxTokenAgeSeconds = 86_400,
  } = options;
  const jwks = issuer
    ? createRemoteJWKSet(
        new URL(options.jwksUrl ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`),
      )
    : undefined;
  const keys = apiKeys.map((apiKey) => {
    const keyDigest = digest(apiKey.key);
    // Two keys of one client id are two identities: the key's own digest is part of it.
    const identityKey = `key:${encodeURIComponent(apiKey.clientId)}|${keyDigest.toString("base64url").slice(0, 16)}`;
    return { ...apiKey, digest: keyDigest, identityKey, identity: digestOf(identityKey) };
  });

  const refuse = (error: string | undefined, message: string): AuthFailure => ({
    status: 401,
    message,
    wwwAuthenticate: error
      ? `Bearer realm="${realm}", error="${error}", error_description="${message}"`
      : `Bearer realm="${realm}"`,
  });

  return {
    /** Whether any credential is configured; without one, every request is anonymous. */
    enabled: jwks !== undefined || keys.length > 0,

    async authenticate(req: IncomingMessage): Promise<Caller | AuthFailure> {
      const token = bearerToken(req);
      if (!token) return refuse(undefined, "missing bearer token");

      const candidate = digest(token);
      // Compare against every key, so the time taken does not tell which one matched.
      let apiKey: (typeof keys)[number] | undefined;
      for (const entry of keys) if (timingSafeEqual(entry.digest, candidate)) apiKey ??= entry;
      if (apiKey) {
        return {
          token,
          clientId: apiKey.clientId,
          scopes: [...apiKey.scopes],
          identityKey: apiKey.identityKey,
          identity: apiKey.identity,
          extra: { kind: "api-key" },
        };
      }
      if (!jwks) return refuse("invalid_token", "unknown API key");
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          ...(issuer ? { issuer } : {}),
          audience,
          requiredClaims: ["exp"],
          maxTokenAge: maxTokenAgeSeconds,
        }));
      } catch (error) {
        const message =
          error instanceof joseErrors.JWTExpired
            ? "token expired"
            : error instanceof joseErrors.JWTClaimValidationFailed
              ? `token ${error.claim} claim is not accepted`
              : "token could not be verified";
        return refuse("invalid_token", message);
      }
      const clientId = payload.client_id ?? payload.azp ?? payload.sub;
      if (!usable(clientId) || (payload.sub !== undefined && !usable(payload.sub))) {
        return refuse("invalid_token", "token carries no usable client identity");
      }
      const scopes = scopesOf(payload);
      if (!scopes.every(usableScope))
        return refuse("invalid_token", "token carries a scope that is not usable");
      const identityKey = ["jwt", payload.iss ?? "", clientId, payload.sub ?? ""]
        .map(encodeURIComponent)
        .join("|");
      return {
        token,
        clientId,
        scopes,
        identityKey,
        identity: digestOf(identityKey),
        ...(typeof payload.exp === "number" ? { expiresAt: payload.exp } : {}),
        extra: { kind: "jwt", ...(payload.sub !== undefined ? { subject: payload.sub } : {}) },
      };
    },

    /** 403 with `insufficient_scope` when `auth` lacks what `name` (`prefix.tool`, or `tool` of an unprefixed backend) needs. */
    scopeFailure(
      auth: AuthInfo,
      name: string,
      prefix: string | undefined,
    ): AuthFailure | undefined {
      const granted = auth.scopes.some(
        (scope) => scope === "*" || scope === name || (prefix !== undefined && scope === prefix),
      );
      if (granted) return undefined;
      const needed = prefix ?? name;
      return {
        status: 403,
        message: `${name} needs scope ${needed}`,
        wwwAuthenticate: `Bearer realm="${realm}", error="insufficient_scope", scope="${headerSafe(needed)}", error_description="${headerSafe(`${name} needs scope ${needed}`)}"`,
      };
    },
  };
}

/** The authenticator {@link createAuthenticator} returns. */
export type Authenticator = ReturnType<typeof createAuthenticator>;

export function isAuthFailure(value: Caller | AuthFailure): value is AuthFailure {
  return "status" in value;
}
