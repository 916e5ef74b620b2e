import { vi } from "vitest";

// `vi.waitFor` polls for a state to arrive (a server noticing a killed connection, a
// cancel reaching PostgreSQL). Its 1 s default is short on a loaded 2-core CI machine;
// 5 s is the workspace default. Assertions are unchanged: a state that never arrives
// still fails the test.
const waitFor = vi.waitFor;
vi.waitFor = ((callback, options) =>
  waitFor(
    callback,
    typeof options === "number" ? options : { timeout: 5000, ...options },
  )) as typeof vi.waitFor;
