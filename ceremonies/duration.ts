import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** A duration written as a number and a unit: `500ms`, `30s`, `15m`, `72h`, `7d`. */
export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration such as "30s", "15m", "72h" or "7d"', abort: true })
  .refine((text) => durationMs(text) > 0, 'duration must be greater than zero');

export function durationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
