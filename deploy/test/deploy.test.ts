import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loadConfig } from "@mcp-prod/config";
import { DockerfileParser } from "dockerfile-ast";
import { parse as parseEnv } from "dotenv";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { configShape as analyticsShape } from "../../examples/analytics/src/config.ts";
import { configShape as usersShape } from "../../examples/user-management/src/config.ts";
import { parseApiKeys } from "../../packages/gateway/src/auth.ts";
import { gatewayConfigShape as gatewayShape } from "../../packages/gateway/src/config.ts";
import { kustomize, type Manifest } from "./kustomize.ts";

const root = join(import.meta.dirname, "..", "..");
const servers = { gateway: 3000, "user-management": 3001, analytics: 3002 } as const;
const models = { Deployment, Service, NetworkPolicy } as const;

type Probe = { httpGet: { path: string; port: string | number } };
type Container = {
  name: string;
  image: string;
  ports: { name?: string; containerPort: number }[];
  env: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};

const k8s = join(root, "deploy", "k8s");
const manifests = (name: string) => kustomize(join(k8s, name));
const kubectl = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const dockerfileText = () => readFileSync(join(root, "deploy", "Dockerfile"), "utf8");

describe("Kubernetes manifests", () => {
  it("one overlay per server on one base, and a kustomization that applies them all", () => {
    const overlays = readdirSync(k8s, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== "base")
      .map((entry) => entry.name);
    expect(overlays.sort()).toEqual(Object.keys(servers).sort());
    expect(readdirSync(k8s).filter((file) => file.endsWith(".yaml"))).toEqual([
      "kustomization.yaml",
    ]);
    const all = parse(readFileSync(join(k8s, "kustomization.yaml"), "utf8")) as {
      resources: string[];
    };
    expect([...all.resources].sort()).toEqual(Object.keys(servers).sort());
    for (const name of overlays) {
      const overlay = parse(readFileSync(join(k8s, name, "kustomization.yaml"), "utf8")) as {
        resources: string[];
      };
      expect(overlay.resources, name).toEqual(["../base"]);
    }
    expect(
      kustomize(k8s)
        .map((manifest) => `${manifest.kind}/${manifest.metadata.name}`)
        .sort(),
    ).toEqual(
      Object.keys(servers)
        .flatMap((name) => Object.keys(models).map((kind) => `${kind}/${name}-mcp`))
        .sort(),
    );
  });

  it("every rendered manifest validates against the Kubernetes schema", () => {
    for (const name of Object.keys(servers)) {
      const rendered = manifests(name);
      expect(rendered.map((manifest) => manifest.kind).sort(), name).toEqual(
        Object.keys(models).sort(),
      );
      for (const manifest of rendered) {
        const Model = models[manifest.kind as keyof typeof models];
        expect(Model, `${name}: unexpected kind ${manifest.kind}`).toBeDefined();
        expect(
          () => new Model(manifest as never).validate(),
          `${name} ${manifest.kind}`,
        ).not.toThrow();
      }
    }
  });

  it.skipIf(!kubectl)("the tests read what kubectl kustomize renders", () => {
    const byId = (list: Manifest[]) =>
      [...list].sort((a, b) =>
        `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
      );
    for (const dir of [...Object.keys(servers).map((name) => join(k8s, name)), k8s]) {
      const output = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      const rendered = parseAllDocuments(output).map((document) => document.toJSON() as Manifest);
      expect(byId(kustomize(dir)), dir).toEqual(byId(rendered));
    }
  });

  for (const [name, port] of Object.entries(servers)) {
    it(`${name}: probes point at the health routes on the port the server listens on`, () => {
      const rendered = manifests(name);
      const find = (kind: keyof typeof models) =>
        rendered.find((manifest) => manifest.kind === kind) as unknown;
      const deployment = find("Deployment") as {
        metadata: { name: string; labels: Record<string, string> };
        spec: {
          replicas: number;
          selector: { matchLabels: Record<string, string> };
          template: {
            metadata: { labels: Record<string, string> };
            spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean } };
          };
        };
      };
      const service = find("Service") as {
        metadata: { name: string };
        spec: {
          type: string;
          selector: Record<string, string>;
          ports: { port: number; targetPort: string | number }[];
        };
      };
      const policy = find("NetworkPolicy") as {
        metadata: { name: string };
        spec: {
          podSelector: { matchLabels: Record<string, string> };
          ingress: { from: Record<string, unknown>[]; ports: { port: number }[] }[];
        };
      };
      const app = `${name}-mcp`;
      for (const manifest of [deployment, service, policy])
        expect(manifest.metadata.name).toBe(app);
      const pod = deployment.spec.template;
      expect(pod.spec.containers).toHaveLength(1);
      const container = pod.spec.containers[0] as Container;
      expect(container.name).toBe(app);
      expect(container.image).toBe(`mcp-prod/${name}:latest`);
      expect(deployment.spec.selector.matchLabels).toEqual({ app });
      expect(pod.metadata.labels.app).toBe(app);
      const httpPort = container.ports.find((entry) => entry.name === "http");
      expect(httpPort?.containerPort).toBe(port);
      const serverPort = container.env.filter((entry) => entry.name === "SERVER_PORT");
      expect(serverPort).toEqual([{ name: "SERVER_PORT", value: String(port) }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health/live", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" });
      expect(container.startupProbe.httpGet).toEqual({ path: "/health/startup", port: "http" });
      expect(deployment.spec.replicas).toBe(3);
      expect(container.resources).toEqual({
        requests: { memory: "256Mi", cpu: "250m" },
        limits: { memory: "512Mi", cpu: "500m" },
      });
      expect(container.envFrom).toEqual([{ secretRef: { name: `${app}-secrets` } }]);
      // DNS-rebinding protection: bound to 0.0.0.0, the names it is reached by are listed.
      const hostsVariable = name === "gateway" ? "GATEWAY_ALLOWED_HOSTS" : "ALLOWED_HOSTS";
      const hosts = container.env.find((entry) => entry.name === hostsVariable)?.value ?? "";
      if (name !== "gateway") expect(hosts.split(",")).toContain(app);
      else expect(hosts).not.toBe("");
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(service.spec.type).toBe("ClusterIP");
      expect(service.spec.selector).toEqual({ app });
      expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
      expect(policy.spec.podSelector.matchLabels).toEqual({ app });
      expect(policy.spec.ingress).toHaveLength(1);
      expect(policy.spec.ingress[0]?.ports).toEqual([{ protocol: "TCP", port }]);
      // The backends trust the gateway's identity headers: only the gateway may reach them.
      expect(policy.spec.ingress[0]?.from).toEqual(
        name === "gateway"
          ? [
              {
                namespaceSelector: {
                  matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" },
                },
              },
            ]
          : [{ podSelector: { matchLabels: { app: "gateway-mcp" } } }],
      );
    });
  }
});

describe("the Dockerfile", () => {
  const file = DockerfileParser.parse(dockerfileText());
  const instructions = file.getInstructions();
  const froms = file.getFROMs();
  const finalStage = instructions.slice(instructions.indexOf(froms[1] as never));
  const buildStage = instructions.slice(0, instructions.indexOf(froms[1] as never));
  const keyword = (instruction: { getKeyword(): string }) => instruction.getKeyword();
  const text = (instruction: { getArgumentsContent(): string | null }) =>
    instruction.getArgumentsContent() ?? "";
  /** `${name}` as Docker (and the healthcheck's JavaScript) write it. */
  const ref = (name: string) => `$\{${name}}`;
  const steps = (stage: typeof instructions, name: string) =>
    stage.filter((step) => keyword(step) === name).map(text);

  it("needs nothing from Docker Hub but the base image: no syntax directive", () => {
    expect(dockerfileText()).not.toMatch(/^#\s*syntax\s*=/im);
    expect(file.getDirectives()).toEqual([]);
  });

  it("builds every example from one file, chosen by build arguments", () => {
    expect(froms.length).toBe(2);
    for (const from of froms) expect(from.getImage()).toBe(ref("NODE_IMAGE"));
    expect(dockerfileText()).toMatch(/^ARG NODE_IMAGE=node:\d+-alpine$/m);
    const run = steps(buildStage, "RUN").join("\n");
    expect(run).toContain(
      `pnpm turbo run build --filter="@mcp-prod-examples/${ref("EXAMPLE")}..."`,
    );
    expect(run).toMatch(/pnpm --filter="@mcp-prod-examples\/\$\{EXAMPLE\}" deploy --prod/);
    for (const name of Object.keys(servers))
      expect(
        JSON.parse(readFileSync(join(root, "examples", name, "package.json"), "utf8")).name,
      ).toBe(`@mcp-prod-examples/${name}`);
  });

  it("caches the dependency download: only the lockfile is copied before it", () => {
    const order = buildStage
      .filter((step) => ["COPY", "RUN"].includes(keyword(step)))
      .map((step) => `${keyword(step)} ${text(step)}`);
    const fetch = order.indexOf("RUN pnpm fetch");
    const copyAll = order.indexOf("COPY . .");
    expect(fetch).toBeGreaterThan(0);
    expect(copyAll).toBeGreaterThan(fetch);
    expect(order.slice(0, fetch)).toEqual([
      "RUN corepack enable",
      "COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./",
    ]);
    expect(order[copyAll + 1]).toBe("RUN pnpm install --frozen-lockfile --offline");
  });

  it("the image holds only dist and production node_modules, owned by root, run as node", () => {
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
    expect(steps(finalStage, "USER")).toEqual(["node"]);
    // `pnpm deploy` copies what `files` lists: the build output, not src/, test/ or configs.
    for (const name of Object.keys(servers)) {
      const manifest = JSON.parse(
        readFileSync(join(root, "examples", name, "package.json"), "utf8"),
      ) as { files?: string[] };
      expect(manifest.files, name).toEqual(["dist"]);
    }
  });

  it("listens on all interfaces and probes the port SERVER_PORT names", () => {
    const env = steps(finalStage, "ENV").join(" ");
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/SERVER_HOST=0\.0\.0\.0/);
    expect(env).toMatch(/SERVER_PORT=\$\{PORT\}/);
    expect(steps(finalStage, "EXPOSE")).toEqual([ref("PORT")]);
    const healthcheck = file.getHEALTHCHECKs();
    expect(healthcheck).toHaveLength(1);
    const probe = text(healthcheck[0] as never);
    expect(probe).toContain(`http://127.0.0.1:${ref("process.env.SERVER_PORT")}/health/live`);
    expect(probe).not.toMatch(/127\.0\.0\.1:\d/);
    expect(steps(finalStage, "CMD")).toEqual(['["node", "dist/main.js"]']);
  });

  it("the HEALTHCHECK command passes on the SERVER_PORT server's /health/live and fails elsewhere", async () => {
    const probe = text(file.getHEALTHCHECKs()[0] as never);
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

describe("docker compose", () => {
  it("the development compose file runs Redis 7 and PostgreSQL 16 with healthchecks", () => {
    const compose = parse(readFileSync(join(root, "docker-compose.yml"), "utf8")) as {
      services: Record<string, { image: string; healthcheck?: { test: string[] } }>;
    };
    expect(compose.services.redis?.image).toMatch(/^redis:7/);
    expect(compose.services.postgres?.image).toMatch(/^postgres:16/);
    for (const service of Object.values(compose.services))
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
  });

  it("the deployment compose file runs every server, the upstream, Redis and PostgreSQL, each with a healthcheck", () => {
    const compose = parse(readFileSync(join(root, "deploy", "docker-compose.yml"), "utf8")) as {
      services: Record<
        string,
        {
          build?: { dockerfile: string; args?: Record<string, string> };
          environment?: Record<string, string>;
          env_file?: { path: string; required: boolean }[];
          stop_grace_period?: string;
          healthcheck?: { test: string[] };
        }
      >;
    };
    expect(Object.keys(compose.services).sort()).toEqual([
      "analytics",
      "gateway",
      "postgres",
      "redis",
      "upstream",
      "user-management",
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
    for (const [name, port] of Object.entries(servers)) {
      const service = compose.services[name];
      expect(service?.build?.dockerfile).toBe("deploy/Dockerfile");
      expect(service?.build?.args).toEqual({ EXAMPLE: name, PORT: String(port) });
      expect(service?.healthcheck?.test.join(" ")).toContain(`:${port}/health/ready`);
    }
  });

  it("reads each server's settings and secrets from its env_file, overriding none of them", () => {
    const text = readFileSync(join(root, "deploy", "docker-compose.yml"), "utf8");
    // env_file with path/required and the top-level name need Compose v2.24.0.
    expect(text.split("\n").slice(0, 5).join("\n")).toMatch(/Docker Compose v2\.24\.0 or later/);
    const compose = parse(text) as {
      services: Record<
        string,
        {
          environment?: Record<string, string>;
          env_file?: { path: string; required: boolean }[];
          stop_grace_period?: string;
        }
      >;
    };
    for (const name of Object.keys(servers)) {
      const service = compose.services[name];
      const envFile = `../examples/${name}/.env.production`;
      expect(service?.env_file).toEqual([{ path: envFile, required: true }]);
      const fromFile = parseEnv(
        readFileSync(join(root, "examples", name, ".env.production.example"), "utf8"),
      );
      const overridden = Object.keys(service?.environment ?? {}).filter((key) => key in fromFile);
      expect(overridden, name).toEqual([]);
      for (const key of ["DATABASE_URL", "REDIS_URL", "API_KEY", "GATEWAY_API_KEYS"])
        expect(service?.environment?.[key], `${name} ${key}`).toBeUndefined();
      // SIGTERM, then 5 s of drain and up to 20 s for calls in flight: Docker's 10 s would kill it.
      const grace = /^(\d+)s$/.exec(service?.stop_grace_period ?? "")?.[1];
      expect(Number(grace), name).toBeGreaterThanOrEqual(25);
    }
    expect(compose.services["user-management"]?.environment?.ALLOWED_HOSTS).toBe("user-management");
    expect(compose.services.analytics?.environment?.ALLOWED_HOSTS).toBe("analytics");
  });

  it("each server has a .env.production.example in the deployment layout", () => {
    for (const name of Object.keys(servers)) {
      const variables = parseEnv(
        readFileSync(join(root, "examples", name, ".env.production.example"), "utf8"),
      );
      expect(variables.NODE_ENV).toBe("production");
      expect(variables.LOG_LEVEL).toBe("info");
      expect(variables.SERVER_HOST).toBe("0.0.0.0");
      expect(variables.SERVER_PORT).toBe(String(servers[name as keyof typeof servers]));
    }
  });

  it("each .env.production.example is a configuration the server starts with, as copied", () => {
    const shapes = {
      "user-management": usersShape,
      analytics: analyticsShape,
      gateway: gatewayShape,
    };
    for (const [name, shape] of Object.entries(shapes)) {
      const envFile = join(root, "examples", name, ".env.production.example");
      expect(readFileSync(envFile, "utf8"), name).not.toMatch(/\$\{|=\s*$/m);
      const config = loadConfig(shape, { env: {}, envFiles: [envFile] }) as {
        nodeEnv: string;
        apiKeys?: string;
      };
      expect(config.nodeEnv).toBe("production");
      if (name === "gateway") expect(() => parseApiKeys(config.apiKeys)).not.toThrow();
    }
  });
});
