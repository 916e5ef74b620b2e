/**
 * Strict options: an unknown key is refused at once, naming the key and what
 * the caller most likely meant. JavaScript callers, options read from files
 * and spread objects never pass through the type checker, so a typo such as
 * `resetTimout` would otherwise be ignored silently and the default used.
 */

/**
 * Where another library's name for an option lives here, or why it has no
 * counterpart: `{ ttl: "`ttlSeconds` (seconds)" }` gives
 * ``Unknown option `ttl`: use `ttlSeconds` (seconds)``.
 */
export type ForeignKeys = Readonly<Record<string, string>>;

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), case-insensitive. */
function editDistance(left: string, right: string): number {
  const a = left.toLowerCase();
  const b = right.toLowerCase();
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table: number[] = new Array(rows * columns).fill(0);
  for (let i = 0; i < rows; i++) table[i * columns] = i;
  for (let j = 0; j < columns; j++) table[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (table[(i - 1) * columns + j] as number) + 1,
        (table[i * columns + j - 1] as number) + 1,
        (table[(i - 1) * columns + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (table[(i - 2) * columns + j - 2] as number) + 1);
      table[i * columns + j] = best;
    }
  }
  return table[rows * columns - 1] as number;
}

/**
 * The known key closest to `key`, when it is close enough to be a typo: within
 * a third of the longer name's length (at least 2 edits), or the same name in
 * another case or with another unit suffix (`timeoutMS` → `timeoutMs`).
 */
function closestKey(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(key.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/**
 * Throws a `TypeError` for the first own enumerable key of `options` that is
 * not in `known`: ``Unknown option `resetTimout` in createBreaker(); did you
 * mean `resetTimeout`?``. Keys whose value is `undefined` are refused too: a
 * misspelt key holding `undefined` is still a misspelling. `foreign` maps
 * other libraries' names to where the option lives here.
 */
export function assertKnownKeys(
  options: unknown,
  known: readonly string[] | ReadonlySet<string>,
  where: string,
  foreign: ForeignKeys = {},
): void {
  if (typeof options !== "object" || options === null) return;
  const knownSet: ReadonlySet<string> = known instanceof Set ? known : new Set(known);
  for (const key of Object.keys(options)) {
    if (knownSet.has(key)) continue;
    const prefix = `Unknown option \`${key}\` in ${where}`;
    if (Object.hasOwn(foreign, key)) throw new TypeError(`${prefix}: ${foreign[key]}`);
    const suggestion = closestKey(key, knownSet);
    throw new TypeError(
      suggestion === undefined
        ? `${prefix}; expected one of ${[...knownSet].map((name) => `\`${name}\``).join(", ")}`
        : `${prefix}; did you mean \`${suggestion}\`?`,
    );
  }
}

/**
 * The names of an options type, as a list the compiler keeps exact: a key
 * missing from `keys` or not in `Options` fails to type-check, so the runtime
 * list of known keys cannot drift from the type.
 */
export function optionKeys<Options>(
  keys: {
    readonly [Key in keyof Required<Options>]: true;
  },
): readonly string[] {
  return Object.freeze(Object.keys(keys));
}
