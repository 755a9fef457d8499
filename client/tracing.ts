import type { WorkflowClientInterceptor } from '@temporalio/client';

/** With tracing on (runtime/tracing.ts; only then is this loaded): a span for each call that
 * changes a ceremony (start, signal, update), which hands its context to the workflow in the
 * call's headers, so that the workflow's spans join the caller's trace. Queries and describes
 * (the dashboard polls them) are left out: each would be a trace of its own. */
export async function tracingClientInterceptors(): Promise<WorkflowClientInterceptor[]> {
  const { OpenTelemetryWorkflowClientInterceptor } = await import('@temporalio/interceptors-opentelemetry');
  const otel = new OpenTelemetryWorkflowClientInterceptor();
  return [
    {
      start: (input, next) => otel.start(input, next),
      startWithDetails: (input, next) => otel.startWithDetails(input, next),
      signal: (input, next) => otel.signal(input, next),
      signalWithStart: (input, next) => otel.signalWithStart(input, next),
      startUpdate: (input, next) => otel.startUpdate(input, next),
      startUpdateWithStart: (input, next) => otel.startUpdateWithStart(input, next),
    },
  ];
}
