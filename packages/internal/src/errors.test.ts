import { describe, expect, it } from "vitest";
import { defineError, McpProdError } from "./index.ts";

type WidgetCode = "EWIDGET" | "EWIDGETJAMMED";

/**
 * One package's error classes, built the way a bundle builds them: calling it
 * twice gives two unrelated class objects, as two installed copies would.
 */
function widgetErrors() {
  class WidgetError extends McpProdError<WidgetCode> {
    override readonly name: string = "WidgetError";
    readonly widget: string;
    static {
      defineError(WidgetError, "widget", "WidgetError", "WidgetError");
    }
    constructor(code: WidgetCode, widget: string, options?: ErrorOptions) {
      super(code, `Widget "${widget}" failed`, options);
      this.widget = widget;
    }
  }
  class WidgetJammedError extends WidgetError {
    override readonly name = "WidgetJammedError";
    override readonly code = "EWIDGETJAMMED" as const;
    readonly jammedMs: number;
    static {
      defineError(WidgetJammedError, "widget", "WidgetJammedError", "widget.WidgetJammedError");
    }
    constructor(widget: string, jammedMs: number) {
      super("EWIDGETJAMMED", widget);
      this.jammedMs = jammedMs;
    }
  }
  return { WidgetError, WidgetJammedError };
}

const { WidgetError, WidgetJammedError } = widgetErrors();

describe("McpProdError", () => {
  it("recognises a subclass's errors as its parents' through inherited markers", () => {
    const jammed = new WidgetJammedError("press", 250);
    expect(WidgetJammedError.isInstance(jammed)).toBe(true);
    expect(WidgetError.isInstance(jammed)).toBe(true);
    const plain = new WidgetError("EWIDGET", "press");
    expect(WidgetError.isInstance(plain)).toBe(true);
    expect(WidgetJammedError.isInstance(plain)).toBe(false);
    expect(WidgetError.isInstance(new Error("plain"))).toBe(false);
    expect(WidgetError.isInstance(null)).toBe(false);
    expect(WidgetError.isInstance("WidgetError")).toBe(false);
  });

  it("recognises errors of a second copy of the same classes, which instanceof does not", () => {
    const other = widgetErrors();
    expect(other.WidgetJammedError).not.toBe(WidgetJammedError);
    const foreign = new other.WidgetJammedError("press", 10);
    expect(foreign instanceof WidgetJammedError).toBe(false);
    expect(WidgetJammedError.isInstance(foreign)).toBe(true);
    expect(WidgetError.isInstance(foreign)).toBe(true);
    expect(other.WidgetJammedError.isInstance(new WidgetJammedError("press", 10))).toBe(true);
    expect(other.WidgetJammedError.isInstance(new WidgetError("EWIDGET", "press"))).toBe(false);
  });

  it("tells apart classes of the same name registered by different packages", () => {
    class ToolResultError extends McpProdError<"ETOOLRESULT"> {
      static {
        defineError(ToolResultError, "gadget", "ToolResultError");
      }
    }
    class OtherToolResultError extends McpProdError<"ETOOLRESULT"> {
      static {
        defineError(OtherToolResultError, "gizmo", "ToolResultError");
      }
    }
    expect(ToolResultError.isInstance(new OtherToolResultError("ETOOLRESULT", "x"))).toBe(false);
    expect(OtherToolResultError.isInstance(new ToolResultError("ETOOLRESULT", "x"))).toBe(false);
  });

  it("carries the per-package marker Symbol.for('mcp-prod.<package>.<Name>')", () => {
    const jammed = new WidgetJammedError("press", 250) as unknown as Record<symbol, unknown>;
    expect(jammed[Symbol.for("mcp-prod.widget.WidgetJammedError")]).toBe(true);
    expect(jammed[Symbol.for("mcp-prod.widget.WidgetError")]).toBe(true);
    expect(jammed[Symbol.for("mcp-prod.gadget.WidgetError")]).toBeUndefined();
  });

  it("recognises an older copy's error marked on the instance with the legacy symbol", () => {
    const older = new Error("from an older copy");
    Object.defineProperty(older, Symbol.for("mcp-prod.error.widget.WidgetJammedError"), {
      value: true,
    });
    expect(WidgetJammedError.isInstance(older)).toBe(true);
    expect(WidgetError.isInstance(older)).toBe(false);
    const olderBase = Object.assign(new Error("from an older copy"), {
      [Symbol.for("mcp-prod.error.WidgetError")]: true,
    });
    expect(WidgetError.isInstance(olderBase)).toBe(true);
    expect(WidgetJammedError.isInstance(olderBase)).toBe(false);
  });

  it("gives new errors the legacy symbol an older copy checks", () => {
    const jammed = new WidgetJammedError("press", 250);
    // What an older copy's isInstance did: read the marker off the error.
    const olderIsInstance = (error: unknown, legacyName: string) =>
      (error as Record<symbol, unknown>)[Symbol.for(`mcp-prod.error.${legacyName}`)] === true;
    expect(olderIsInstance(jammed, "widget.WidgetJammedError")).toBe(true);
    expect(olderIsInstance(jammed, "WidgetError")).toBe(true);
    expect(olderIsInstance(new WidgetError("EWIDGET", "press"), "widget.WidgetJammedError")).toBe(
      false,
    );
  });

  it("keeps the markers off the instance: keys and JSON are the error's own fields", () => {
    const cause = new Error("spring broke");
    const jammed = new WidgetJammedError("press", 250);
    const base = new WidgetError("EWIDGET", "press", { cause });
    expect(Object.getOwnPropertySymbols(jammed)).toEqual([]);
    expect(Object.keys(jammed).sort()).toEqual(["code", "jammedMs", "name", "widget"]);
    expect(JSON.parse(JSON.stringify(jammed))).toEqual({
      code: "EWIDGETJAMMED",
      name: "WidgetJammedError",
      widget: "press",
      jammedMs: 250,
    });
    expect(Object.hasOwn(base, "code")).toBe(true);
    expect(base.cause).toBe(cause);
    expect(base.message).toBe('Widget "press" failed');
    const marker = Symbol.for("mcp-prod.widget.WidgetJammedError");
    expect(Object.getOwnPropertyDescriptor(WidgetJammedError.prototype, marker)?.enumerable).toBe(
      false,
    );
  });

  it("throws a TypeError from isInstance of a class never registered, not the parent's answer", () => {
    class UnregisteredError extends WidgetError {}
    const error = new UnregisteredError("EWIDGET", "press");
    expect(() => UnregisteredError.isInstance(error)).toThrow(TypeError);
    expect(() => UnregisteredError.isInstance(error)).toThrow(/defineError/);
    expect(WidgetError.isInstance(error)).toBe(true);
  });

  it("refuses to register a class twice", () => {
    expect(() => defineError(WidgetError, "widget", "WidgetError")).toThrow(
      new TypeError("Error class widget.WidgetError is already registered"),
    );
  });
});
