// This package's own test helpers (never exported from index.ts); the shared ones
// (in-memory pairs, deferred, HTTP servers) are testkit's.
import { Writable } from "node:stream";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Registry } from "prom-client";

export function newServer(): McpServer {
  return new McpServer({ name: "telemetry-test-server", version: "1.0.0" });
}

/** The value of the series `name{labels}` in the registry's exposition (undefined when absent). */
export async function seriesValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  return sampleValue(parseExposition(await registry.metrics()), name, labels);
}

/** A pino destination that keeps each line, parsed. */
export function captureLines(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { stream, lines };
}

export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; help: string; type: string; samples: Sample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * A strict parser of the Prometheus text exposition format 0.0.4: every line is
 * a HELP, a TYPE or a sample; every sample belongs to the family declared just
 * above it (with the `_bucket`/`_sum`/`_count` suffixes of histograms); label
 * values are quoted with only `\\`, `\"` and `\n` escapes; values are floats,
 * `+Inf`, `-Inf` or `NaN`. Throws naming the line on anything else.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  if (!text.endsWith("\n")) throw new Error("Exposition must end with a newline");
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      const [, name = "", doc = ""] = help;
      if (!METRIC_NAME.test(name)) throw new Error(`Bad metric name at ${where}`);
      if (families.has(name)) throw new Error(`Family declared twice at ${where}`);
      current = { name, help: doc, type: "untyped", samples: [] };
      families.set(name, current);
      return;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      const [, name = "", kind = ""] = type;
      if (current?.name !== name) throw new Error(`TYPE without its HELP at ${where}`);
      if (!TYPES.has(kind)) throw new Error(`Unknown type at ${where}`);
      current.type = kind;
      return;
    }
    if (line.startsWith("#")) throw new Error(`Unexpected comment at ${where}`);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!sample) throw new Error(`Malformed sample at ${where}`);
    const [, name = "", , rawLabels, rawValue = ""] = sample;
    if (!current) throw new Error(`Sample before any family at ${where}`);
    const allowed =
      current.type === "histogram"
        ? [`${current.name}_bucket`, `${current.name}_sum`, `${current.name}_count`]
        : current.type === "summary"
          ? [current.name, `${current.name}_sum`, `${current.name}_count`]
          : [current.name];
    if (!allowed.includes(name)) throw new Error(`Sample outside its family at ${where}`);
    const labels: Record<string, string> = {};
    if (rawLabels !== undefined && rawLabels !== "") {
      const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let offset = 0;
      while (offset < rawLabels.length) {
        pair.lastIndex = offset;
        const match = pair.exec(rawLabels);
        if (!match) throw new Error(`Malformed labels at ${where}`);
        const [, key = "", value = ""] = match;
        if (!LABEL_NAME.test(key) || key in labels) throw new Error(`Bad label at ${where}`);
        labels[key] = value.replace(/\\(["\\n])/g, (_, char) => (char === "n" ? "\n" : char));
        offset = pair.lastIndex;
      }
    }
    const value =
      rawValue === "+Inf"
        ? Number.POSITIVE_INFINITY
        : rawValue === "-Inf"
          ? Number.NEGATIVE_INFINITY
          : rawValue === "NaN"
            ? Number.NaN
            : Number(rawValue);
    if (rawValue !== "NaN" && Number.isNaN(value)) throw new Error(`Bad value at ${where}`);
    current.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of the sample `name{labels}` in a parsed exposition. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (
        keys.length === Object.keys(labels).length &&
        keys.every((key) => sample.labels[key] === labels[key])
      )
        return sample.value;
    }
  }
  return undefined;
}
