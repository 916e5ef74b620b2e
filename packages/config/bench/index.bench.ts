/**
 * @mcp-prod/config against its peers, contenders interleaved: every round runs
 * each contender for a batch of loads in turn, and the table reports the
 * median time per load over the rounds.
 *
 * Every contender loads the same configuration (eight variables, nested,
 * two secrets, the shape of the package's issue) from the same environment:
 * - by hand: the hand-written `ConfigSchema.parse({ ...process.env reads })`
 * - envalid 8: `cleanEnv(env, specs)` (flat)
 * - ours: `loadConfig(shape, { env })`, and with a `.env.production`
 *   read from disk (`envFiles`, dotenv parse, `${VAR}` expansion)
 * - the failure path: three bad values reported in one error by each
 * - `describeConfig(config)`: the start-up table
 *
 * Loading runs once per process start, so these figures say what start-up
 * costs, not a throughput to tune for.
 *
 * Run: pnpm --filter @mcp-prod/config bench
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, port, str, url } from "envalid";
import { z } from "zod";
import { serverShape } from "../src/fixtures/server-shape.ts";
import { describeConfig, loadConfig } from "../src/index.ts";

const ROUNDS = 21;
const BATCH = 500;

const environment = {
  NODE_ENV: "production",
  LOG_LEVEL: "info",
  SERVER_HOST: "0.0.0.0",
  SERVER_PORT: "3000",
  OAUTH_ISSUER: "https://auth.example.com",
  OAUTH_CLIENT_ID: "mcp-server",
  OAUTH_CLIENT_SECRET: "vault-value-5d1e",
  DATABASE_URL: "postgresql://user:pass@host:5432/db",
};
const broken = { ...environment, SERVER_PORT: "70000", OAUTH_ISSUER: "nope", LOG_LEVEL: "loud" };

const HandSchema = z.object({
  nodeEnv: z.enum(["development", "production", "test"]),
  logLevel: z.enum(["debug", "info", "warn", "error"]),
  server: z.object({ host: z.string().default("127.0.0.1"), port: z.number().default(3000) }),
  oauth: z.object({ issuer: z.url(), clientId: z.string(), clientSecret: z.string() }),
  databaseUrl: z.string().startsWith("postgres"),
});
function handLoad(source: Record<string, string | undefined>) {
  return HandSchema.safeParse({
    nodeEnv: source.NODE_ENV,
    logLevel: source.LOG_LEVEL,
    server: { host: source.SERVER_HOST, port: Number.parseInt(source.SERVER_PORT || "3000", 10) },
    oauth: {
      issuer: source.OAUTH_ISSUER,
      clientId: source.OAUTH_CLIENT_ID,
      clientSecret: source.OAUTH_CLIENT_SECRET,
    },
    databaseUrl: source.DATABASE_URL,
  });
}

const envalidSpecs = {
  NODE_ENV: str({ choices: ["development", "production", "test"] }),
  LOG_LEVEL: str({ choices: ["debug", "info", "warn", "error"], default: "info" }),
  SERVER_HOST: str({ default: "127.0.0.1" }),
  SERVER_PORT: port({ default: 3000 }),
  OAUTH_ISSUER: url(),
  OAUTH_CLIENT_ID: str(),
  OAUTH_CLIENT_SECRET: str(),
  DATABASE_URL: str(),
};
const throwingReporter = ({ errors }: { errors: Record<string, unknown> }) => {
  if (Object.keys(errors).length > 0) throw new Error(Object.keys(errors).join(", "));
};

const shape = serverShape;

const folder = mkdtempSync(join(tmpdir(), "mcp-prod-config-bench-"));
const envFile = join(folder, ".env.production");
// The deployment layout: the secret is a ${VAR} reference that the real environment fills in.
const vaultReference = "$" + "{SECRET_FROM_VAULT}";
writeFileSync(
  envFile,
  Object.entries(environment)
    .map(([name, value]) => `${name}=${name === "OAUTH_CLIENT_SECRET" ? vaultReference : value}\n`)
    .join(""),
);
const vault = { SECRET_FROM_VAULT: environment.OAUTH_CLIENT_SECRET };
const loaded = loadConfig(shape, { env: environment });

function expectFailure(run: () => unknown): void {
  try {
    run();
  } catch {
    return;
  }
  throw new Error("a broken environment loaded");
}

type Contender = { group: string; name: string; run: () => void };
const contenders: Contender[] = [
  { group: "load", name: "by hand: ConfigSchema.parse", run: () => void handLoad(environment) },
  {
    group: "load",
    name: "envalid cleanEnv",
    run: () => void cleanEnv(environment, envalidSpecs, { reporter: throwingReporter }),
  },
  { group: "load", name: "loadConfig", run: () => void loadConfig(shape, { env: environment }) },
  {
    group: "load",
    name: "loadConfig + .env file",
    run: () => void loadConfig(shape, { env: vault, envFiles: [envFile] }),
  },
  {
    group: "3 errors",
    name: "by hand: ConfigSchema.safeParse",
    run: () => {
      if (handLoad(broken).success) throw new Error("a broken environment loaded");
    },
  },
  {
    group: "3 errors",
    name: "envalid cleanEnv",
    run: () => expectFailure(() => cleanEnv(broken, envalidSpecs, { reporter: throwingReporter })),
  },
  {
    group: "3 errors",
    name: "loadConfig → ConfigError",
    run: () => expectFailure(() => loadConfig(shape, { env: broken })),
  },
  { group: "table", name: "describeConfig", run: () => void describeConfig(loaded) },
];

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const samples = new Map<Contender, number[]>(contenders.map((contender) => [contender, []]));
for (const contender of contenders) for (let index = 0; index < BATCH; index += 1) contender.run();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const contender of contenders) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < BATCH; index += 1) contender.run();
    const microseconds = Number(process.hrtime.bigint() - started) / 1000 / BATCH;
    samples.get(contender)?.push(microseconds);
  }
}
rmSync(folder, { recursive: true, force: true });

console.log(`Node ${process.version}, ${ROUNDS} interleaved rounds of ${BATCH} calls, medians\n`);
console.log(
  `${"group".padEnd(10)}${"contender".padEnd(32)}${"µs/op".padStart(10)}${"ops/s".padStart(12)}${"vs first".padStart(10)}`,
);
let baseline = 0;
let group = "";
for (const contender of contenders) {
  const value = median(samples.get(contender) ?? []);
  if (contender.group !== group) {
    group = contender.group;
    baseline = value;
  }
  console.log(
    `${contender.group.padEnd(10)}${contender.name.padEnd(32)}${value.toFixed(2).padStart(10)}${Math.round(
      1e6 / value,
    )
      .toString()
      .padStart(12)}${`${(value / baseline).toFixed(2)}×`.padStart(10)}`,
  );
}
