import pino from 'pino';
import type { AppConfig } from './config';

export function createLogger(name: string, level: AppConfig['LOG_LEVEL']) {
  return pino({ name, level });
}
