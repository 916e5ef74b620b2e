import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import dockerignore from "@balena/dockerignore";
import { DockerfileParser } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { imageDefaults, root } from "./compose.ts";
import { servers } from "./servers.ts";

const text = readFileSync(join(root, "deploy", "Dockerfile"), "utf8");
const file = DockerfileParser.parse(text);
const instructions = file.getInstructions();
const froms = file.getFROMs();
const stageOf = (index: number) =>
  instructions.slice(
    instructions.indexOf(froms[index] as never),
    index + 1 < froms.length ? instructions.indexOf(froms[index + 1] as never) : undefined,
  );
const [fetchStage, buildStage, finalStage] = [0, 1, 2].map(stageOf) as [
  typeof instructions,
  typeof instructions,
  typeof instructions,
];
/** `${name}`, as Docker writes a variable. */
const ref = (name: string) => `$\{${name}}`;
const keyword = (instruction: { getKeyword(): string }) => instruction.getKeyword();
const args = (instruction: { getArgumentsContent(): string | null }) =>
  instruction.getArgumentsContent() ?? "";
const steps = (stage: typeof instructions, name: string) =>
  stage.filter((step) => keyword(step) === name).map(args);
const packageJson = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as Record<string, unknown>;

describe("the Dockerfile", () => {
  it("needs nothing from Docker Hub but the base image: no syntax directive", () => {
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    expect(file.getDirectives()).toEqual([]);
  });

  it("starts from a base pinned by digest, and says how to move it", () => {
    const base = file.getARGs()[0]?.getProperties()[0];
    expect(base?.getName()).toBe("NODE_IMAGE");
    expect(base?.getValue()).toMatch(/^node:\d+-alpine@sha256:[0-9a-f]{64}$/);
    for (const from of froms) expect([ref("NODE_IMAGE"), "fetch"]).toContain(from.getImage());
    expect(text).toContain("docker buildx imagetools inspect node:24-alpine");
  });

  it("installs the pnpm that package.json names, with npm: no corepack", () => {
    const pinned = /^pnpm@(\d+\.\d+\.\d+)$/.exec(String(packageJson(".").packageManager))?.[1];
    const arg = file
      .getARGs()
      .flatMap((each) => each.getProperties())
      .find((property) => property.getName() === "PNPM_VERSION");
    expect(arg?.getValue()).toBe(pinned);
    expect(steps(fetchStage, "RUN").join("\n")).toContain("npm install --global");
    expect(text).not.toMatch(/^RUN .*corepack/m);
  });

  it("downloads production dependencies for this platform only, from the lockfile alone, in a layer of their own", () => {
    const order = fetchStage
      .filter((step) => ["COPY", "RUN"].includes(keyword(step)))
      .map((step) => `${keyword(step)} ${args(step)}`);
    expect(order.at(-2)).toBe("COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./");
    // pnpm-here passes --os/--cpu/--libc of the build platform (deploy/pnpm-here.sh).
    expect(order.at(-1)).toBe("RUN pnpm-here fetch --prod");
    const helper = readFileSync(join(root, "deploy", "pnpm-here.sh"), "utf8");
    expect(helper).toMatch(/exec pnpm "\$@" --os linux --cpu "\$cpu" --libc "\$libc"/);
    expect(froms[1]?.getImage()).toBe("fetch");
    expect(buildStage.filter((step) => keyword(step) === "COPY").map(args)).toEqual([". ."]);
  });

  it("builds the example and the packages it runs on, nothing else, and deploys from the lockfile", () => {
    const run = steps(buildStage, "RUN");
    const example = `"@mcp-prod-examples/${ref("EXAMPLE")}..."`;
    expect(run).toEqual([
      `pnpm-here install --frozen-lockfile --filter-prod ${example}`,
      `pnpm --filter-prod ${example} run build --no-dts`,
      expect.stringMatching(
        /^pnpm-here --filter="@mcp-prod-examples\/\$\{EXAMPLE\}" --config\.inject-workspace-packages=true\s+deploy --prod --offline \/out$/,
      ),
    ]);
    // --no-dts is a tsup option: every build it reaches is a tsup build.
    for (const dir of [
      "packages/gateway",
      "packages/telemetry",
      ...servers.map((server) => `examples/${server.name}`),
    ])
      expect((packageJson(dir).scripts as Record<string, string>).build, dir).toBe("tsup");
    for (const server of servers)
      expect(packageJson(`examples/${server.name}`).name).toBe(`@mcp-prod-examples/${server.name}`);
  });

  it("the image holds only dist and production node_modules, owned by root, run as a numeric uid", () => {
    expect(steps(finalStage, "RUN")).toEqual([]);
    const copies = finalStage.filter((step) => keyword(step) === "COPY") as unknown as {
      getArgumentsContent(): string;
      getFlags(): { getName(): string; getValue(): string | null }[];
    }[];
    expect(
      copies.map((copy) => [
        copy.getFlags().map((flag) => `${flag.getName()}=${flag.getValue()}`),
        copy.getArgumentsContent(),
      ]),
    ).toEqual([
      [["from=build"], "/out/package.json ./package.json"],
      [["from=build"], "/out/node_modules ./node_modules"],
      [["from=build"], "/out/dist ./dist"],
    ]);
    expect(steps(finalStage, "USER")).toEqual(["1000:1000"]);
    // `pnpm deploy` copies what `files` lists: the build output, not src/, test/ or configs.
    for (const server of servers)
      expect(packageJson(`examples/${server.name}`).files, server.name).toEqual(["dist"]);
  });

  it("listens on all interfaces on the port it was built for, and runs dist/main.js", () => {
    for (const server of servers) {
      const { env, cmd } = imageDefaults({ EXAMPLE: server.name, PORT: String(server.port) });
      expect(env).toEqual({
        NODE_ENV: "production",
        SERVER_HOST: "0.0.0.0",
        SERVER_PORT: String(server.port),
      });
      expect(cmd).toEqual(["node", "dist/main.js"]);
    }
    expect(steps(finalStage, "EXPOSE")).toEqual([ref("PORT")]);
  });

  it("the HEALTHCHECK command passes on the SERVER_PORT server's /health/live and fails elsewhere", async () => {
    const healthchecks = file.getHEALTHCHECKs();
    expect(healthchecks).toHaveLength(1);
    const probe = args(healthchecks[0] as never);
    const command = JSON.parse(probe.replace(/^.*?CMD\s+/s, "")) as string[];
    expect(command.slice(0, 2)).toEqual(["node", "-e"]);
    const serve = (status: number) =>
      new Promise<HttpServer>((resolve) => {
        const server = createServer((req, res) =>
          res.writeHead(req.url === "/health/live" ? status : 404).end(),
        );
        server.listen(0, "127.0.0.1", () => resolve(server));
      });
    const live = await serve(200);
    const other = await serve(503);
    const portOf = (server: HttpServer) => String((server.address() as AddressInfo).port);
    const run = (port: string) =>
      new Promise<number | null>((resolve) => {
        execFile(process.execPath, ["-e", command[2] as string], {
          env: { SERVER_PORT: port },
        }).once("exit", (code) => resolve(code));
      });
    try {
      expect(await run(portOf(live))).toBe(0);
      expect(await run(portOf(other))).toBe(1);
    } finally {
      live.close();
      other.close();
    }
  });
});

describe(".dockerignore", () => {
  // @balena/dockerignore applies Docker's own rules (the last matching pattern wins, `!` re-includes).
  const rules = dockerignore({ ignorecase: false }).add(
    readFileSync(join(root, ".dockerignore"), "utf8"),
  );
  const ignored = (path: string) => rules.ignores(path);

  it("keeps every .env file out of the build context but the committed examples", () => {
    for (const path of [
      ".env",
      ".env.local",
      "examples/gateway/.env.production",
      "examples/analytics/.env.staging",
      "deploy/.env",
      "deploy/k8s/gateway/secret.env",
    ])
      expect(ignored(path), path).toBe(true);
    for (const server of servers)
      expect(ignored(`examples/${server.name}/.env.production.example`), server.name).toBe(false);
  });

  it("keeps build output, caches and mutation-testing leftovers out, and the sources in", () => {
    for (const path of [
      "node_modules/x",
      "packages/gateway/node_modules/x",
      "packages/gateway/dist/index.js",
      "packages/pool/.stryker-tmp/sandbox/x",
      ".git/HEAD",
      "packages/cache/.turbo/x",
    ])
      expect(ignored(path), path).toBe(true);
    for (const path of ["packages/gateway/src/index.ts", "pnpm-lock.yaml", "deploy/pnpm-here.sh"])
      expect(ignored(path), path).toBe(false);
  });
});
