import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/** The name every span of ours is made with (ceremony starts, device commands). */
export const TRACER_NAME = 'hsm-ceremonies';

/** Run `fn` in a span of its own (a child of the active one unless `root`). With tracing off the
 * tracer is OpenTelemetry's no-op one and this costs a call. A failure marks the span with the
 * error's class only: its message may quote device output, which a span never carries. */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  options: { root?: boolean } = {},
): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes, root: options.root }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', err instanceof Error ? err.constructor.name : typeof err);
      throw err;
    } finally {
      span.end();
    }
  });
}
