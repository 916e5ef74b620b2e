import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { Prompt, Resource, ResourceTemplate, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Backend } from "./backend.ts";
import { GatewayConfigError } from "./errors.ts";

/**
 * How a backend's names appear to clients. Tools and prompts of a prefixed
 * backend are `<prefix>.<name>`; its resource URIs and URI templates are
 * `<prefix>+<uri>` (`users+file:///a.txt`: still a valid URI, whose scheme
 * gains the prefix), and the gateway strips the prefix to route them back.
 * Names of a backend without a prefix pass unchanged.
 */
export const exposedName = (backend: Backend, name: string): string =>
  backend.prefix === undefined ? name : `${backend.prefix}.${name}`;

/** A backend resource URI (or URI template) as clients see it. See {@link exposedName}. */
export const exposedUri = (backend: Backend, uri: string): string =>
  backend.prefix === undefined ? uri : `${backend.prefix}+${uri}`;

/** A named thing and where it lives. */
export type Route<T> = { readonly backend: Backend; readonly name: string; readonly item: T };

/**
 * Every name the backends expose, merged, each mapped back to its backend.
 * Built from the lists last read, so a backend that is down keeps its names
 * (and unknown names are refused without reaching it).
 */
export class Routes {
  readonly tools = new Map<string, Route<Tool>>();
  readonly prompts = new Map<string, Route<Prompt>>();
  readonly resources = new Map<string, Route<Resource>>();
  readonly templates = new Map<string, Route<ResourceTemplate> & { matcher: UriTemplate }>();
  /** Names refused because another backend already exposes them: `kind name: first vs second`. */
  readonly collisions: string[] = [];
  readonly #backends: readonly Backend[];

  constructor(backends: readonly Backend[]) {
    this.#backends = backends;
    for (const backend of backends) {
      const { tools, prompts, resources, templates } = backend.catalog;
      for (const tool of tools)
        this.#add("tool", this.tools, exposedName(backend, tool.name), {
          backend,
          name: tool.name,
          item: tool,
        });
      for (const prompt of prompts)
        this.#add("prompt", this.prompts, exposedName(backend, prompt.name), {
          backend,
          name: prompt.name,
          item: prompt,
        });
      for (const resource of resources)
        this.#add("resource", this.resources, exposedUri(backend, resource.uri), {
          backend,
          name: resource.uri,
          item: resource,
        });
      for (const template of templates) {
        const exposed = exposedUri(backend, template.uriTemplate);
        let matcher: UriTemplate;
        try {
          matcher = new UriTemplate(template.uriTemplate);
        } catch {
          continue;
        }
        this.#add("resource template", this.templates, exposed, {
          backend,
          name: template.uriTemplate,
          item: template,
          matcher,
        });
      }
    }
  }

  #add<T extends { backend: Backend }>(
    kind: string,
    map: Map<string, T>,
    name: string,
    route: T,
  ): void {
    const existing = map.get(name);
    if (existing && existing.backend !== route.backend) {
      this.collisions.push(
        `${kind} ${JSON.stringify(name)} is exposed by both backend ${existing.backend.label} and backend ${route.backend.label}`,
      );
      return;
    }
    map.set(name, route);
  }

  /** Throws a {@link GatewayConfigError} naming both backends of every collision. */
  assertNoCollisions(): void {
    if (this.collisions.length === 0) return;
    throw new GatewayConfigError(
      `Backends expose the same names; give one of them a prefix (prefix=url in GATEWAY_BACKENDS): ${this.collisions.join("; ")}`,
    );
  }

  /** The backend and backend URI of a resource URI a client sent, or undefined when no backend owns it. */
  resource(uri: string): { backend: Backend; uri: string } | undefined {
    const listed = this.resources.get(uri);
    if (listed) return { backend: listed.backend, uri: listed.name };
    for (const backend of this.#backends) {
      if (backend.prefix !== undefined && uri.startsWith(`${backend.prefix}+`))
        return { backend, uri: uri.slice(backend.prefix.length + 1) };
    }
    const unprefixed = this.#backends.filter((backend) => backend.prefix === undefined);
    for (const route of this.templates.values()) {
      if (route.backend.prefix === undefined && route.matcher.match(uri))
        return { backend: route.backend, uri };
    }
    const only = unprefixed.length === 1 ? unprefixed[0] : undefined;
    return only ? { backend: only, uri } : undefined;
  }

  /**
   * Whether `scopes` reach anything of `backend`: `*`, its prefix, a name
   * under its prefix, or (a backend without a prefix) one of its names. Only
   * such backends get a caller's log level, backend sessions, or instructions.
   */
  reaches(scopes: readonly string[], backend: Backend): boolean {
    for (const scope of scopes) {
      if (scope === "*") return true;
      if (backend.prefix !== undefined) {
        if (scope === backend.prefix || scope.startsWith(`${backend.prefix}.`)) return true;
        if (scope.startsWith(`${backend.prefix}+`)) return true;
      } else {
        const route =
          this.tools.get(scope) ??
          this.prompts.get(scope) ??
          this.resources.get(scope) ??
          this.templates.get(scope);
        if (route?.backend === backend) return true;
      }
    }
    return false;
  }

  /** The backend of a prefixed or unprefixed name (tool or prompt), when it can be told from the name alone. */
  backendOfName(name: string): { backend: Backend; name: string } | undefined {
    for (const backend of this.#backends) {
      if (backend.prefix !== undefined && name.startsWith(`${backend.prefix}.`))
        return { backend, name: name.slice(backend.prefix.length + 1) };
    }
    const unprefixed = this.#backends.filter((backend) => backend.prefix === undefined);
    const only = unprefixed.length === 1 ? unprefixed[0] : undefined;
    return only ? { backend: only, name } : undefined;
  }
}
