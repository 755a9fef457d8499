import { SpanKind, SpanStatusCode, TraceFlags, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { TracingSinks, WorkflowSpan } from '../contract/tracing';
import type { Tracing } from '../runtime/tracing';

// The worker's half of tracing (runtime/tracing.ts). The sink the workflow's spans leave the
// isolate by is always there: a ceremony started with tracing on may move on a worker with it
// off, whose sink drops them. When on (and only then loaded): a span for each activity (a child
// of the workflow's span that scheduled it, from the activity's headers) and the trace id in the
// SDK's activity log lines, from @temporalio/interceptors-opentelemetry.

export interface WorkerTracing {
  activity: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<TracingSinks>;
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

function readable(span: WorkflowSpan, resource: Tracing['resource']): ReadableSpan {
  return {
    name: span.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => ({ traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED }),
    parentSpanId: span.parentSpanId,
    startTime: hrTime(span.startMs),
    endTime: hrTime(span.endMs),
    duration: hrTime(span.endMs - span.startMs),
    status: { code: span.failed ? SpanStatusCode.ERROR : SpanStatusCode.OK },
    attributes: span.attributes,
    links: span.link ? [{ context: { ...span.link, traceFlags: TraceFlags.SAMPLED } }] : [],
    events: [],
    ended: true,
    resource,
    instrumentationLibrary: { name: 'hsm-ceremonies-workflow' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** Tracing off: the workflow's spans (of ceremonies started with it on) are dropped. */
export const DROPPED_WORKFLOW_SPANS: InjectedSinks<TracingSinks> = { tracing: { spans: { fn: () => undefined } } };

export async function workerTracing(tracing: Tracing): Promise<WorkerTracing> {
  const { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } =
    await import('@temporalio/interceptors-opentelemetry');
  return {
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: {
      tracing: {
        spans: { fn: (_info, spans) => spans.forEach((s) => tracing.processor.onEnd(readable(s, tracing.resource))) },
      },
    },
  };
}
