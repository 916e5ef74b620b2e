import { type Attributes, openTelemetry } from "@mcp-prod/internal";

/**
 * Adds an event to the span active when an observed breaker, cache or rate
 * limiter reports something (the tool call's span, when the handler caused
 * it): the observers' facts, on the trace. Nothing happens without an active
 * recording span, so an application with no OpenTelemetry SDK pays one read.
 */
export function addSpanEvent(name: string, attributes: Attributes): void {
  const span = openTelemetry()?.trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}
