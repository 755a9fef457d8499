import { context, propagation, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { tracesEndpoint, type AppConfig } from './config';

// Traces are off unless the OTEL_* variables ask for them (runtime/config.ts: tracesEndpoint).
// Off, the SDK is not even loaded: OpenTelemetry's API answers with its no-op tracer, and the
// spans the code opens (runtime/spans.ts) cost a function call. On, one tracer provider per
// process sends the spans in batches over OTLP/HTTP (JSON); the Temporal interceptors (worker/,
// client/) use it, and the log lines carry the trace id (runtime/logger.ts).

export type ProcessRole = 'worker' | 'web' | 'cli';

export interface Tracing {
  /** Where the workflow isolate's spans go (the worker's `exporter` sink). */
  processor: SpanProcessor;
  resource: Resource;
  /** Send what is buffered, then stop and uninstall. */
  shutdown(): Promise<void>;
}

let installed: Promise<Tracing | undefined> | undefined;

/** The process's tracing when it is on, else undefined. The first call decides: it installs the
 * global tracer provider, context manager and W3C propagator, named `hsm-ceremonies-<role>`
 * unless OTEL_SERVICE_NAME says otherwise; later calls return the same. `exporter`: tests only,
 * where no receiver can run (the SDK's InMemorySpanExporter). */
export function startTracing(
  config: AppConfig,
  role: ProcessRole,
  exporter?: SpanExporter,
): Promise<Tracing | undefined> {
  const url = tracesEndpoint(config);
  if (!installed && (url || exporter)) installed = install(config, role, url, exporter);
  return installed ?? Promise.resolve(undefined);
}

async function install(
  config: AppConfig,
  role: ProcessRole,
  url: string | undefined,
  exporter: SpanExporter | undefined,
): Promise<Tracing> {
  const [{ OTLPTraceExporter }, { Resource }, { BatchSpanProcessor }, { NodeTracerProvider }, { ATTR_SERVICE_NAME }] =
    await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const resource = Resource.default().merge(
    new Resource({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? `hsm-ceremonies-${role}` }),
  );
  const processor = new BatchSpanProcessor(exporter ?? new OTLPTraceExporter({ url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  return {
    processor,
    resource,
    async shutdown() {
      installed = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Send the spans still buffered (a CLI command's, before it exits); nothing when tracing is off. */
export async function flushTracing(): Promise<void> {
  await (await installed)?.processor.forceFlush();
}

/** Flush and uninstall the process's tracing (at exit); nothing when it is off. */
export async function stopTracing(): Promise<void> {
  await (await installed)?.shutdown();
}
