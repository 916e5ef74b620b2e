import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import { parse as parseEnv } from "dotenv";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..", "..");
const servers = { gateway: 3000, "user-management": 3001, analytics: 3002 } as const;
const models = { Deployment, Service, NetworkPolicy } as const;

type Probe = { httpGet: { path: string; port: string | number } };
type Container = {
  ports: { name?: string; containerPort: number }[];
  env: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe: Probe;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};

function manifests(name: string) {
  const text = readFileSync(join(root, "deploy", "k8s", `${name}.yaml`), "utf8");
  return parseAllDocuments(text).map(
    (document) => document.toJSON() as { kind: keyof typeof models } & Record<string, unknown>,
  );
}

function dockerfile(name: string) {
  return DockerfileParser.parse(readFileSync(join(root, "examples", name, "Dockerfile"), "utf8"));
}

describe("Kubernetes manifests", () => {
  it("every manifest validates against the Kubernetes schema", () => {
    const files = readdirSync(join(root, "deploy", "k8s")).filter((file) => file.endsWith(".yaml"));
    expect(files.sort()).toEqual(
      Object.keys(servers)
        .map((name) => `${name}.yaml`)
        .sort(),
    );
    for (const file of files) {
      for (const manifest of manifests(file.replace(/\.yaml$/, ""))) {
        const Model = models[manifest.kind];
        expect(Model, `${file}: unexpected kind ${manifest.kind}`).toBeDefined();
        expect(
          () => new Model(manifest as never).validate(),
          `${file} ${manifest.kind}`,
        ).not.toThrow();
      }
    }
  });

  for (const [name, port] of Object.entries(servers)) {
    it(`${name}: probes point at the health routes on the port the server listens on`, () => {
      const [deployment, service, policy] = manifests(name) as unknown as [
        {
          spec: {
            replicas: number;
            template: {
              metadata: { labels: Record<string, string> };
              spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean } };
            };
          };
        },
        {
          spec: {
            selector: Record<string, string>;
            ports: { port: number; targetPort: string | number }[];
          };
        },
        {
          spec: {
            podSelector: { matchLabels: Record<string, string> };
            ingress: { ports: { port: number }[] }[];
          };
        },
      ];
      const pod = deployment.spec.template;
      const container = pod.spec.containers[0] as Container;
      const httpPort = container.ports.find((entry) => entry.name === "http");
      expect(httpPort?.containerPort).toBe(port);
      expect(container.env.find((entry) => entry.name === "SERVER_PORT")?.value).toBe(String(port));
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health/live", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" });
      expect(container.startupProbe.httpGet).toEqual({ path: "/health/startup", port: "http" });
      expect(deployment.spec.replicas).toBe(3);
      expect(container.resources).toEqual({
        requests: { memory: "256Mi", cpu: "250m" },
        limits: { memory: "512Mi", cpu: "500m" },
      });
      expect(container.envFrom?.[0]?.secretRef?.name).toBe(`${name}-mcp-secrets`);
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(service.spec.selector).toEqual(
        pod.metadata.labels.app ? { app: pod.metadata.labels.app } : {},
      );
      expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
      expect(policy.spec.podSelector.matchLabels).toEqual({ app: `${name}-mcp` });
      expect(policy.spec.ingress[0]?.ports[0]?.port).toBe(port);
    });
  }
});

describe("Dockerfiles", () => {
  for (const [name, port] of Object.entries(servers)) {
    it(`${name}: multi-stage, production dependencies only, non-root, with a healthcheck`, () => {
      const file = dockerfile(name);
      const froms = file.getFROMs();
      expect(froms.length).toBe(2);
      for (const from of froms) expect(from.getImage()).toMatch(/^node:\d+-alpine$/);
      const instructions = file.getInstructions();
      const finalStart = instructions.indexOf(froms[1] as never);
      const finalStage = instructions.slice(finalStart);
      const buildStage = instructions.slice(0, finalStart);
      const keyword = (instruction: { getKeyword(): string }) => instruction.getKeyword();
      const text = (instruction: { getArgumentsContent(): string | null }) =>
        instruction.getArgumentsContent() ?? "";
      // Dependencies reach the image only through `pnpm deploy --prod`.
      expect(
        buildStage
          .filter((step) => keyword(step) === "RUN")
          .map(text)
          .join("\n"),
      ).toMatch(/pnpm --filter=\S+ deploy --prod/);
      expect(finalStage.filter((step) => keyword(step) === "RUN")).toEqual([]);
      const copies = finalStage.filter((step) => keyword(step) === "COPY") as unknown as {
        getArgumentsContent(): string;
        getFlags(): { getName(): string; getValue(): string | null }[];
      }[];
      expect(
        copies.map((copy) => [
          copy.getFlags().map((flag) => `${flag.getName()}=${flag.getValue()}`),
          copy.getArgumentsContent(),
        ]),
      ).toEqual([[["from=build", "chown=node:node"], "/out ./"]]);
      const users = finalStage.filter((step) => keyword(step) === "USER").map(text);
      expect(users).toEqual(["node"]);
      expect(finalStage.filter((step) => keyword(step) === "EXPOSE").map(text)).toEqual([
        String(port),
      ]);
      const healthcheck = file.getHEALTHCHECKs();
      expect(healthcheck).toHaveLength(1);
      expect(text(healthcheck[0] as never)).toContain(`http://127.0.0.1:${port}/health/live`);
      expect(finalStage.find((step) => keyword(step) === "ENV")?.getArgumentsContent()).toBe(
        "NODE_ENV=production",
      );
    });
  }
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
          build?: { dockerfile: string };
          environment?: Record<string, string>;
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
      expect(service?.build?.dockerfile).toBe(`examples/${name}/Dockerfile`);
      expect(service?.environment?.SERVER_PORT).toBe(String(port));
      expect(service?.healthcheck?.test.join(" ")).toContain(`:${port}/health/ready`);
    }
  });

  it("each server has a .env.production.example in the seed's layout", () => {
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
});
