import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import {
  proxySinks,
  workflowInfo,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { own } from '../ceremonies/own';
import { TRACE_HEADER, type TracingSinks, type WorkflowSpan } from '../contract/tracing';

// The workflow's spans, only for a ceremony started with a trace context: its run, each workflow
// task, each activity scheduled (the context passed on in its headers), each signal and update.
// In every bundle, with no yield point and no random number drawn: a history replays the same
// whether it was recorded, or is replayed, with tracing on or off (docs/tracing.md says why not
// the package's workflow interceptors).

interface SpanContext {
  traceId: string;
  spanId: string;
}

function traceParent(headers: Headers): SpanContext | undefined {
  const payload = own(headers, TRACE_HEADER);
  if (!payload) return undefined;
  try {
    const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: unknown }>(payload);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(String(carrier?.traceparent ?? ''));
    return m ? { traceId: m[1], spanId: m[2] } : undefined;
  } catch {
    return undefined; // a header we cannot read starts no trace
  }
}

function withTraceParent(headers: Headers, span: SpanContext): Headers {
  return {
    ...headers,
    [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent: `00-${span.traceId}-${span.spanId}-01` }),
  };
}

class WorkflowTracer {
  /** The run's span; undefined: this ceremony is not traced. */
  run: WorkflowSpan | undefined;
  private made = 0;
  private readonly sinks = proxySinks<TracingSinks>();

  open(name: string, parent: SpanContext, attributes: WorkflowSpan['attributes'] = {}): WorkflowSpan {
    this.made += 1;
    const spanId = bytesToHex(sha256(utf8ToBytes(`${workflowInfo().runId}/${this.made}`))).slice(0, 16);
    const now = Date.now();
    return {
      name,
      traceId: parent.traceId,
      spanId,
      parentSpanId: parent.spanId,
      startMs: now,
      endMs: now,
      failed: false,
      attributes: { temporalWorkflowId: workflowInfo().workflowId, ...attributes },
    };
  }

  close(span: WorkflowSpan, failed: boolean): void {
    this.sinks.tracing.spans([{ ...span, endMs: Date.now(), failed }]);
  }

  /** `call`'s own promise is returned, untouched: no yield point is added. */
  around<T>(span: WorkflowSpan, call: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = call();
    } catch (err) {
      this.close(span, true);
      throw err;
    }
    result.then(
      () => this.close(span, false),
      () => this.close(span, true),
    );
    return result;
  }

  /** A handler's span: in the ceremony's trace, linked to the caller's span. */
  handler(name: string, headers: Headers): WorkflowSpan | undefined {
    if (!this.run) return undefined;
    const span = this.open(name, this.run);
    const caller = traceParent(headers);
    return caller ? { ...span, link: caller } : span;
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  const tracer = new WorkflowTracer();
  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      const parent = traceParent(input.headers);
      if (!parent) return next(input);
      const span = tracer.open(`RunWorkflow:${workflowInfo().workflowType}`, parent, {
        run_id: workflowInfo().runId,
      });
      tracer.run = span;
      return tracer.around(span, () => next(input));
    },
    handleSignal(input, next) {
      const span = tracer.handler(`HandleSignal:${input.signalName}`, input.headers);
      return span ? tracer.around(span, () => next(input)) : next(input);
    },
    handleUpdate(input, next) {
      const span = tracer.handler(`HandleUpdate:${input.name}`, input.headers);
      return span ? tracer.around(span, () => next(input)) : next(input);
    },
  };
  const scheduled = <I extends { activityType: string; headers: Headers }, O>(input: I, next: (i: I) => Promise<O>) => {
    if (!tracer.run) return next(input);
    const span = tracer.open(`StartActivity:${input.activityType}`, tracer.run);
    return tracer.around(span, () => next({ ...input, headers: withTraceParent(input.headers, span) }));
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => scheduled(input, next),
    scheduleLocalActivity: (input, next) => scheduled(input, next),
  };
  /** The kinds of the jobs of the activation under way (`fireTimer`, `doUpdate`, …). */
  const jobs = new Set<string>();
  const internals: WorkflowInternalsInterceptor = {
    activate(input, next) {
      for (const job of input.activation.jobs ?? [])
        for (const [kind, value] of Object.entries(job)) if (value != null) jobs.add(kind);
      return next(input);
    },
    concludeActivation(input, next) {
      const kinds = [...jobs].sort();
      jobs.clear();
      // a query reads, and is no step of the ceremony
      if (tracer.run && kinds.some((k) => k !== 'queryWorkflow'))
        tracer.close(tracer.open('WorkflowTask', tracer.run, { 'temporal.jobs': kinds.join(',') }), false);
      return next(input);
    },
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
