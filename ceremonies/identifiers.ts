import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from './duration';
import { EMAIL, EMAIL_MESSAGE, SLUG, SLUG_MESSAGE } from './patterns';

/** Shapes of the names that travel from tickets and the CLI into plans. Strict on purpose:
 * anything that may end up in a lunash argument or a workflow id must match one of these. */
export const SlugSchema = z.string().regex(SLUG, SLUG_MESSAGE);

export const EmailSchema = z
  .string()
  .max(254)
  .regex(EMAIL, EMAIL_MESSAGE)
  .transform((e) => e.toLowerCase());

/** A duration written as a number and a unit: `500ms`, `30s`, `15m`, `72h`, `7d`. */
export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration such as "30s", "15m", "72h" or "7d"', abort: true })
  .refine((text) => durationMs(text) > 0, 'duration must be greater than zero');

/** `<system>:<key>` such as `jira:OPS-1234`, or a bare key such as `CHG0031337`. */
export const TicketRefSchema = z
  .string()
  .regex(
    /^(?:[a-z][a-z0-9]{0,19}:)?[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'expected a ticket reference such as "jira:OPS-1234" or "CHG0031337"',
  );

/** Plain argument values: no control characters, bounded. Each operation validates its own
 * arguments strictly before anything is sent to a device. */
export const ArgValueSchema = z.union([
  z
    .string()
    .max(512)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'control characters are not allowed'),
  z.number().finite(),
  z.boolean(),
]);

/** Workflow id of the ceremony a ticket starts: the same ticket always maps to the same id. */
export function ceremonyIdForTicket(ticket: string): string {
  return `ceremony-${TicketRefSchema.parse(ticket).replace(':', '-')}`;
}
