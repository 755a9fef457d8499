import { z } from 'zod';
import { CeremonyKindSchema } from './plan';
import { EmailSchema, SlugSchema, TicketRefSchema } from './identifiers';

/** What a requester asks for: from the CLI, or mapped from a change ticket (./tickets.ts). */
export const CeremonyRequestSchema = z
  .object({
    kind: CeremonyKindSchema,
    hsm: SlugSchema,
    ticket: TicketRefSchema,
    requester: EmailSchema,
    params: z
      .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,39}$/, 'expected a parameter name'), z.string().max(512))
      .default({}),
  })
  .strict();

export type CeremonyRequest = z.infer<typeof CeremonyRequestSchema>;
export type CeremonyRequestInput = z.input<typeof CeremonyRequestSchema>;

/** Parse `k=v` pairs as given on the command line. */
export function parseParamPairs(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--param expects key=value, got ${JSON.stringify(pair)}`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}
