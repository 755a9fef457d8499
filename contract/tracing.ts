import type { Sink, Sinks } from '@temporalio/workflow';

// What the workflow's tracing (workflows/tracing-interceptors.ts) and the worker
// (worker/tracing.ts) share: the header a trace context travels in and the spans the workflow
// hands out through a sink.

/** The header @temporalio/interceptors-opentelemetry carries a W3C trace context in (its
 * TRACE_HEADER): the client's interceptor writes it, the activities' interceptor reads it. */
export const TRACE_HEADER = '_tracer-data';

/** A span made in the workflow: ids in hex, times in workflow time (ms since the epoch). */
export interface WorkflowSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  endMs: number;
  failed: boolean;
  attributes: Record<string, string | number>;
  /** The caller's span, when it is in another trace (an approval's update, a signal). */
  link?: { traceId: string; spanId: string };
}

export interface TracingSinks extends Sinks {
  tracing: Sink & { spans(spans: WorkflowSpan[]): void };
}
