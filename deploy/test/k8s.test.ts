import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadConfig } from "@mcp-prod/config";
import { parseApiKeys, parseBackends } from "@mcp-prod/gateway";
import { parse as parseEnv } from "dotenv";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configShape as analyticsShape } from "../../examples/analytics/src/config.ts";
import { configShape as notificationShape } from "../../examples/notification/src/config.ts";
import { configShape as usersShape } from "../../examples/user-management/src/config.ts";
import { gatewayConfigShape as gatewayShape } from "../../packages/gateway/src/config.ts";
import { imageDefaults, readCompose, root } from "./compose.ts";
import { kustomize, type Manifest } from "./kubectl.ts";
import { servers } from "./servers.ts";

const k8s = join(root, "deploy", "k8s");
const models: Record<string, { new (data: never): { validate(): void } }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/ConfigMap": ConfigMap,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.k8s.io/v1/Ingress": Ingress,
};
const shapes = {
  gateway: gatewayShape,
  "user-management": usersShape,
  analytics: analyticsShape,
  notification: notificationShape,
};

type Port = { name?: string; containerPort: number };
type EnvVar = { name: string; value?: string };
type Container = {
  name: string;
  image: string;
  imagePullPolicy?: string;
  ports: Port[];
  env: EnvVar[];
  envFrom?: { secretRef?: { name: string } }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
  startupProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
};
type PodSpec = {
  containers: Container[];
  securityContext: { runAsNonRoot: boolean; runAsUser: number; runAsGroup: number };
  topologySpreadConstraints: {
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }[];
  volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
};
type DeploymentShape = Manifest & {
  spec: {
    replicas: number;
    strategy: { type: string; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
};
type ServiceShape = Manifest & {
  spec: {
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number }[];
  };
};
type PolicyRule = {
  from: { podSelector?: Record<string, unknown>; namespaceSelector?: Record<string, unknown> }[];
  ports: { protocol: string; port: string | number }[];
};

const all = kustomize(k8s);
const find = <T extends Manifest>(kind: string, name: string) =>
  all.find((manifest) => manifest.kind === kind && manifest.metadata.name === name) as
    | T
    | undefined;
const deploymentOf = (name: string) => find<DeploymentShape>("Deployment", name) as DeploymentShape;
const containerOf = (name: string) =>
  deploymentOf(name).spec.template.spec.containers[0] as Container;
const envOf = (container: Container) =>
  Object.fromEntries(container.env.map((entry) => [entry.name, entry.value ?? ""]));
/** The Deployment behind a Service, and the container port its targetPort names. */
function endpointOf(service: ServiceShape, port: number) {
  const deployment = all.find(
    (manifest) =>
      manifest.kind === "Deployment" &&
      Object.entries(service.spec.selector).every(
        ([key, value]) =>
          (manifest as DeploymentShape).spec.template.metadata.labels[key] === value,
      ),
  ) as DeploymentShape | undefined;
  const servicePort = service.spec.ports.find((entry) => entry.port === port);
  const container = deployment?.spec.template.spec.containers[0];
  const containerPort = container?.ports.find((entry) =>
    typeof servicePort?.targetPort === "string"
      ? entry.name === servicePort.targetPort
      : entry.containerPort === servicePort?.targetPort,
  );
  return { deployment, container, containerPort: containerPort?.containerPort };
}
/** The documented `kubectl create secret generic NAME --from-env-file=PATH` of each secret.env.example. */
function secretExamples() {
  const found = new Map<string, { file: string; env: Record<string, string> }>();
  for (const dir of readdirSync(k8s)) {
    const file = join(k8s, dir, "secret.env.example");
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const command = /kubectl create secret generic (\S+) --from-env-file=(\S+)/.exec(text);
    expect(command, file).not.toBeNull();
    expect(command?.[2], file).toBe(`${relative(root, file).replace(/\.example$/, "")}`);
    found.set(command?.[1] as string, { file, env: parseEnv(text) });
  }
  return found;
}
const secrets = secretExamples();
/** What the server reads in its pod: the image's ENV, then the Secret (envFrom), then `env`. */
function podEnv(name: string): Record<string, string> {
  const container = containerOf(`${name}-mcp`);
  const port = servers.find((server) => server.name === name)?.port;
  const secretName = container.envFrom?.[0]?.secretRef?.name ?? "";
  return {
    ...imageDefaults({ EXAMPLE: name, PORT: String(port) }).env,
    ...(secrets.get(secretName)?.env ?? {}),
    ...envOf(container),
  };
}

describe("the Kubernetes manifests", () => {
  it("one overlay per server and one for Redis on one base, and a kustomization that applies them all", () => {
    const dirs = readdirSync(k8s, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(dirs.sort()).toEqual(["base", "redis", ...servers.map((server) => server.name)].sort());
    const top = parse(readFileSync(join(k8s, "kustomization.yaml"), "utf8")) as {
      resources: string[];
    };
    expect([...top.resources].sort()).toEqual(
      ["redis", ...servers.map((server) => server.name)].sort(),
    );
    for (const server of servers) {
      const overlay = parse(readFileSync(join(k8s, server.name, "kustomization.yaml"), "utf8")) as {
        resources: string[];
      };
      expect(overlay.resources[0], server.name).toBe("../base");
    }
  });

  it("kubectl kustomize renders every kustomization, and every object validates against the Kubernetes schema", () => {
    const dirs = [k8s, join(root, "deploy", "monitoring")];
    for (const dir of readdirSync(k8s))
      if (existsSync(join(k8s, dir, "kustomization.yaml"))) dirs.push(join(k8s, dir));
    let count = 0;
    for (const dir of dirs) {
      for (const manifest of kustomize(dir)) {
        const Model = models[`${manifest.apiVersion}/${manifest.kind}`];
        expect(
          Model,
          `${dir}: ${manifest.apiVersion} ${manifest.kind} has no schema here`,
        ).toBeDefined();
        expect(
          () => new (Model as NonNullable<typeof Model>)(manifest as never).validate(),
          `${dir} ${manifest.kind}/${manifest.metadata.name}`,
        ).not.toThrow();
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(all.length);
  });

  for (const server of servers) {
    const app = `${server.name}-mcp`;
    it(`${server.name}: three replicas spread over nodes and zones, replaced and evicted one at a time`, () => {
      const deployment = deploymentOf(app);
      expect(deployment.spec.replicas).toBe(3);
      expect(deployment.spec.selector.matchLabels).toEqual({ app });
      expect(deployment.spec.template.metadata.labels.app).toBe(app);
      expect(deployment.spec.strategy).toEqual({
        type: "RollingUpdate",
        rollingUpdate: { maxUnavailable: 1, maxSurge: 1 },
      });
      const budget = find<Manifest & { spec: Record<string, unknown> }>("PodDisruptionBudget", app);
      expect(budget?.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app } } });
      const spread = deployment.spec.template.spec.topologySpreadConstraints;
      expect(spread.map((constraint) => constraint.topologyKey)).toEqual([
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
      ]);
      for (const constraint of spread)
        expect(constraint.labelSelector).toEqual({ matchLabels: { app } });
    });

    it(`${server.name}: runs the image compose builds, pulled only when the node lacks it, as the image's uid`, () => {
      const container = containerOf(app);
      expect(container.image).toBe(readCompose().services[server.name]?.image);
      expect(container.image).toMatch(/^localhost\/mcp-prod\/[a-z-]+:[\w.-]+$/);
      expect(container.imagePullPolicy).toBe("IfNotPresent");
      const pod = deploymentOf(app).spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
      });
      const user = /^USER (\d+):(\d+)$/m.exec(
        readFileSync(join(root, "deploy", "Dockerfile"), "utf8"),
      );
      expect([Number(user?.[1]), Number(user?.[2])]).toEqual([1000, 1000]);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    });

    it(`${server.name}: bounded memory, CPU and disk, with a size-limited /tmp`, () => {
      const container = containerOf(app);
      expect(container.resources).toEqual({
        requests: { memory: "256Mi", cpu: "250m", "ephemeral-storage": "64Mi" },
        limits: { memory: "512Mi", cpu: "500m", "ephemeral-storage": "256Mi" },
      });
      expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      expect(deploymentOf(app).spec.template.spec.volumes).toEqual([
        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      ]);
    });

    it(`${server.name}: probes, Service and scrape annotations point at the ports the server listens on`, () => {
      const container = containerOf(app);
      const env = envOf(container);
      const named = (name: string) =>
        container.ports.find((port) => port.name === name)?.containerPort;
      expect(named("http")).toBe(Number(env.SERVER_PORT));
      expect(container.startupProbe.httpGet).toEqual({ path: "/health/startup", port: "http" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/health/live", port: "http" });
      expect(container.readinessProbe.httpGet).toEqual({ path: "/health/ready", port: "http" });
      const service = find<ServiceShape>("Service", app) as ServiceShape;
      expect(service.spec.selector).toEqual({ app });
      expect(service.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http" }]);
      // The gateway serves /metrics on its one port; the backends on METRICS_PORT alone.
      const scrapePort = server.name === "gateway" ? named("http") : named("metrics");
      if (server.name !== "gateway") expect(named("metrics")).toBe(Number(env.METRICS_PORT));
      else expect(env.METRICS_PORT).toBeUndefined();
      expect(deploymentOf(app).spec.template.metadata.annotations).toEqual({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(scrapePort),
        "prometheus.io/path": "/metrics",
      });
    });

    it(`${server.name}: the NetworkPolicy admits its one caller on the MCP port and the labelled scraper namespace on the metrics port`, () => {
      const policy = find<
        Manifest & { spec: { podSelector: unknown; policyTypes: string[]; ingress: PolicyRule[] } }
      >("NetworkPolicy", app);
      expect(policy?.spec.podSelector).toEqual({ matchLabels: { app } });
      expect(policy?.spec.policyTypes).toEqual(["Ingress"]);
      const [callers, scraper] = policy?.spec.ingress ?? [];
      // The backends trust the gateway's identity headers: nothing else may reach their MCP port.
      expect(callers?.from).toEqual(
        server.name === "gateway"
          ? [
              {
                namespaceSelector: {
                  matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" },
                },
              },
            ]
          : [
              {
                podSelector: {
                  matchExpressions: [{ key: "app", operator: "In", values: ["gateway-mcp"] }],
                },
              },
            ],
      );
      expect(callers?.ports).toEqual([{ protocol: "TCP", port: "http" }]);
      expect(scraper?.from).toEqual([
        { namespaceSelector: { matchLabels: { "mcp-prod/scrape-metrics": "true" } } },
      ]);
      expect(scraper?.ports).toEqual([
        { protocol: "TCP", port: server.name === "gateway" ? "http" : "metrics" },
      ]);
      expect(policy?.spec.ingress).toHaveLength(2);
    });

    it(`${server.name}: its configuration loads as the server reads it in the pod (image, Secret, env)`, () => {
      const container = containerOf(app);
      const secretName = container.envFrom?.[0]?.secretRef?.name;
      expect(secretName).toBe(`${app}-secrets`);
      expect(secrets.has(secretName as string), `${secretName}: no secret.env.example`).toBe(true);
      const env = podEnv(server.name);
      const config = loadConfig(shapes[server.name], { env }) as {
        nodeEnv: string;
        apiKeys?: string;
      };
      expect(config.nodeEnv).toBe("production");
      if (server.name === "gateway") expect(parseApiKeys(config.apiKeys).length).toBeGreaterThan(0);
      else {
        // DNS-rebinding protection: the name the gateway calls it by is accepted.
        expect(env.ALLOWED_HOSTS?.split(",")).toContain(app);
      }
    });
  }

  it("the gateway's backends are the Services of the backends, by name and port, on the port each server listens on", () => {
    const env = podEnv("gateway");
    const backends = parseBackends(env.GATEWAY_BACKENDS ?? "");
    const backendServers = servers
      .filter((server) => server.name !== "gateway")
      .map((server) => `${server.name}-mcp`);
    const reached: string[] = [];
    for (const backend of backends) {
      const url = new URL(backend.url);
      const serviceName = url.hostname.split(".")[0] as string;
      if (url.hostname.includes("."))
        expect(url.hostname).toMatch(/^[a-z-]+(\.[a-z0-9-]+\.svc(\.cluster\.local)?)?$/);
      const service = find<ServiceShape>("Service", serviceName);
      expect(service, `${backend.url}: no Service ${serviceName}`).toBeDefined();
      const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
      const { deployment, container, containerPort } = endpointOf(service as ServiceShape, port);
      expect(
        containerPort,
        `${backend.url}: Service ${serviceName} has no port ${port}`,
      ).toBeDefined();
      // The pod behind it listens there, answers MCP on /mcp and accepts the Host the gateway sends.
      const backendEnv = envOf(container as Container);
      expect(Number(backendEnv.SERVER_PORT), backend.url).toBe(containerPort);
      expect(url.pathname).toBe("/mcp");
      expect(backendEnv.ALLOWED_HOSTS?.split(","), backend.url).toContain(url.hostname);
      reached.push(deployment?.metadata.name as string);
    }
    expect(reached.sort()).toEqual(backendServers.sort());
  });

  it("REDIS_URL names the Redis the manifests run; DATABASE_URL names the database the README says to bring", () => {
    for (const name of ["gateway", "analytics"]) {
      const url = new URL(podEnv(name).REDIS_URL ?? "");
      const service = find<ServiceShape>("Service", url.hostname) as ServiceShape;
      expect(service, `${name}: no Service ${url.hostname}`).toBeDefined();
      expect(endpointOf(service, Number(url.port || 6379)).containerPort).toBe(6379);
      const policy = find<Manifest & { spec: { ingress: PolicyRule[] } }>("NetworkPolicy", "redis");
      expect(JSON.stringify(policy?.spec.ingress[0]?.from)).toContain(`${name}-mcp`);
    }
    const databases = ["user-management", "notification"].map(
      (name) => new URL(podEnv(name).DATABASE_URL ?? ""),
    );
    for (const database of databases) expect(find("Service", database.hostname)).toBeUndefined();
    // Each its own database: their tables and idempotency records never mix.
    expect(new Set(databases.map((database) => database.pathname)).size).toBe(databases.length);
    expect(readFileSync(join(k8s, "README.md"), "utf8")).toContain("DATABASE_URL");
  });

  it("the Ingress terminates TLS for the name the gateway accepts and routes only /mcp to it", () => {
    const ingress = find<
      Manifest & {
        spec: {
          ingressClassName: string;
          tls: { hosts: string[]; secretName: string }[];
          rules: {
            host: string;
            http: {
              paths: {
                path: string;
                pathType: string;
                backend: { service: { name: string; port: { name: string } } };
              }[];
            };
          }[];
        };
      }
    >("Ingress", "gateway-mcp");
    expect(ingress).toBeDefined();
    const hosts = ingress?.spec.rules.map((rule) => rule.host) ?? [];
    expect(ingress?.spec.tls.flatMap((entry) => entry.hosts).sort()).toEqual([...hosts].sort());
    expect(ingress?.metadata.annotations?.["nginx.ingress.kubernetes.io/force-ssl-redirect"]).toBe(
      "true",
    );
    const allowed = podEnv("gateway").GATEWAY_ALLOWED_HOSTS?.split(",") ?? [];
    for (const rule of ingress?.spec.rules ?? []) {
      expect(allowed).toContain(rule.host);
      expect(rule.http.paths).toEqual([
        {
          path: "/mcp",
          pathType: "Exact",
          backend: { service: { name: "gateway-mcp", port: { name: "http" } } },
        },
      ]);
    }
    // The gateway believes X-Forwarded-For only from the proxies it is told of.
    expect(podEnv("gateway").GATEWAY_TRUSTED_PROXIES).toBeTruthy();
  });
});
