/** An upstream answer that was not 2xx: a failure for the breaker unless it is the caller's fault. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Report = {
  metric: string;
  days: number;
  total: number;
  points: { day: number; value: number }[];
};

/** The analytics API the tools read, with the caller's signal passed to fetch. */
export function createUpstreamClient(options: { baseUrl: string; apiKey?: string | undefined }) {
  const headers: Record<string, string> = options.apiKey
    ? { authorization: `Bearer ${options.apiKey}` }
    : {};
  const get = async <T>(path: string, signal?: AbortSignal): Promise<T> => {
    const response = await fetch(new URL(path, options.baseUrl), {
      headers,
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new UpstreamError(response.status, `upstream answered ${response.status}: ${text}`);
    }
    return (await response.json()) as T;
  };
  return {
    get,
    metrics: (signal?: AbortSignal) => get<{ metrics: string[] }>("/metrics", signal),
    report: (metric: string, days: number, signal?: AbortSignal) =>
      get<Report>(`/reports/${encodeURIComponent(metric)}?days=${days}`, signal),
    status: (signal?: AbortSignal) => get<{ status: string }>("/status", signal),
  };
}
