import { hasMarker, markError } from "@mcp-prod/internal";

export class ConfigError extends Error {
  readonly code = "ECONFIG" as const;
  override readonly name = "ConfigError" as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    markError(this, "ConfigError");
  }
  static isInstance(error: unknown): error is ConfigError {
    return hasMarker(error, "ConfigError");
  }
}
