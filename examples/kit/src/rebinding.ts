import { isIP } from "node:net";

/** Where a server listens and which names and browser origins may reach its MCP endpoint. */
export type RequestGuardOptions = {
  /** The address the server is bound to (`SERVER_HOST`). */
  readonly bindHost: string;
  /**
   * Host names accepted besides the loopback ones: `api.example.com` (any port),
   * `api.example.com:8443` (that port only) or `.svc.cluster.local` (that suffix).
   * @default []
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Browser origins accepted besides the server's own, e.g. `https://app.example.com`. @default [] */
  readonly allowedOrigins?: readonly string[] | undefined;
};

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True for `localhost`, `127.0.0.0/8` and `::1`, the addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/** `Host` header → `{ hostname, host }` lower-cased, or undefined when it is not a plain host[:port]. */
function parseHost(value: string | undefined): { hostname: string; host: string } | undefined {
  if (!value || /[@/?#\\\s]/.test(value)) return undefined;
  try {
    const url = new URL(`http://${value}`);
    return { hostname: url.hostname, host: value.toLowerCase() };
  } catch {
    return undefined;
  }
}

function normalizeOrigin(value: string): string | undefined {
  try {
    const { origin } = new URL(value);
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * DNS-rebinding protection for an MCP endpoint. A page on `evil.example.com`
 * whose name an attacker points at 127.0.0.1 reaches a local server with
 * `Host: evil.example.com`: only names the server knows as its own pass.
 *
 * - `Host`: the loopback names (`localhost`, `127.0.0.1`, `[::1]`, any port)
 *   always; when bound to a non-loopback address also IP literals (no DNS name
 *   is involved, so nothing can be rebound) and the names in `allowedHosts`.
 * - `Origin` (sent by browsers): absent, the server's own origin (same host as
 *   `Host`), or one listed in `allowedOrigins`.
 *
 * Returns a function answering the refusal reason for a request, or undefined
 * when it may proceed.
 *
 * @example
 * const refusal = createRequestGuard({ bindHost: "127.0.0.1" });
 * refusal({ host: "evil.example.com" }); // "Host evil.example.com is not allowed"
 */
export function createRequestGuard(
  options: RequestGuardOptions,
): (headers: { host?: string | undefined; origin?: string | undefined }) => string | undefined {
  const bindIsLoopback = isLoopback(options.bindHost);
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of options.allowedHosts ?? []) {
    const name = entry.trim().toLowerCase();
    if (name.startsWith(".")) suffixes.push(name);
    else if (name) exact.add(name);
  }
  const origins = new Set(
    (options.allowedOrigins ?? []).map(normalizeOrigin).filter((origin) => origin !== undefined),
  );

  const hostAllowed = ({ hostname, host }: { hostname: string; host: string }) =>
    LOOPBACK_NAMES.has(hostname) ||
    exact.has(hostname) ||
    exact.has(host) ||
    suffixes.some((suffix) => hostname.endsWith(suffix)) ||
    (!bindIsLoopback && isIP(hostname.replace(/^\[(.*)\]$/, "$1")) !== 0);

  return ({ host, origin }) => {
    const parsed = parseHost(host);
    if (!parsed || !hostAllowed(parsed)) return `Host ${host ?? "(none)"} is not allowed`;
    if (origin === undefined) return undefined;
    const normalized = normalizeOrigin(origin);
    if (normalized && (origins.has(normalized) || new URL(normalized).host === parsed.host)) {
      return undefined;
    }
    return `Origin ${origin} is not allowed`;
  };
}
