import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { Tracing } from '../runtime/tracing';

// The worker's half of tracing, added only when it is on (runtime/tracing.ts), and only then
// loaded: a span for each activity (a child of the workflow's span that scheduled it, from the
// activity's headers), the trace id in the SDK's activity log lines, and the sink the workflow's
// spans leave the isolate by.

export interface WorkerTracing {
  activity: ActivityInterceptorsFactory[];
  /** The `exporter` sink of the workflow interceptors: spans made in the isolate (never while a
   * workflow replays: a sink is not called then) go to the process's span processor. */
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

export async function workerTracing(tracing: Tracing): Promise<WorkerTracing> {
  const { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } =
    await import('@temporalio/interceptors-opentelemetry');
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}
