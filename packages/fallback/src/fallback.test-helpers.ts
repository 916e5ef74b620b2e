// This package's own test helpers, also used by its benchmark; the shared ones
// (in-memory pairs, deferred) are testkit's.

export function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

/** How many AbortControllers are constructed while `run` runs. */
export async function countAbortControllers(run: () => Promise<unknown>): Promise<number> {
  const Original = globalThis.AbortController;
  let created = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      created += 1;
    }
  };
  try {
    await run();
  } finally {
    globalThis.AbortController = Original;
  }
  return created;
}
