import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { AppConfig } from './config';

/** JSON lines (one object a line, for a log shipper) unless `LOG_FORMAT=pretty` (for people). */
export function createLogger(
  name: string,
  level: AppConfig['LOG_LEVEL'],
  format: AppConfig['LOG_FORMAT'] = 'json',
  options: LoggerOptions = {},
  /** Where the lines go; unset = stdout. */
  destination?: pino.DestinationStream,
): Logger {
  const withTrace = { mixin: traceFields, ...options };
  if (format === 'pretty') {
    // loaded for people's coloured lines only: the JSON default spares every process its modules
    const pretty = require('pino-pretty') as typeof PinoPretty;
    return pino(
      { ...withTrace, name, level },
      destination ?? pretty({ sync: true, colorize: process.stdout.isTTY === true }),
    );
  }
  return destination ? pino({ ...withTrace, name, level }, destination) : pino({ ...withTrace, name, level });
}

/** The trace and span a line was written in, when tracing is on and there is one (a log line
 * then leads to its trace); nothing otherwise. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpanContext(context.active());
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

/** The fields a line about one ceremony carries, so an operator can filter a ceremony's lines. */
export interface CeremonyLogFields {
  ceremonyId: string;
  step?: string;
  op?: string;
}
