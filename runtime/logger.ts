import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from './config';

/** JSON lines (one object a line, for a log shipper) unless `LOG_FORMAT=pretty` (for people). */
export function createLogger(
  name: string,
  level: AppConfig['LOG_LEVEL'],
  format: AppConfig['LOG_FORMAT'] = 'json',
  options: LoggerOptions = {},
): Logger {
  if (format === 'pretty')
    return pino({ ...options, name, level }, pretty({ sync: true, colorize: process.stdout.isTTY === true }));
  return pino({ ...options, name, level });
}

/** The fields a line about one ceremony carries, so an operator can filter a ceremony's lines. */
export interface CeremonyLogFields {
  ceremonyId: string;
  step?: string;
  op?: string;
}
