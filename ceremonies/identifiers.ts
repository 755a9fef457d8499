import { z } from 'zod';

/** Shapes of the names that travel from tickets and the CLI into plans. Strict on purpose:
 * anything that may end up in a lunash argument or a workflow id must match one of these. */
export const SlugSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and dashes (at most 63), starting with a letter or digit');

export const EmailSchema = z.email('expected an email address').max(254).transform((e) => e.toLowerCase());

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
  z.string().max(512).regex(/^[^\u0000-\u001f\u007f]*$/, 'control characters are not allowed'),
  z.number().finite(),
  z.boolean(),
]);

/** Workflow id of the ceremony a ticket starts: the same ticket always maps to the same id. */
export function ceremonyIdForTicket(ticket: string): string {
  return `ceremony-${TicketRefSchema.parse(ticket).replace(':', '-')}`;
}
