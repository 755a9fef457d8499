import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { defineOperation, type OperationContext } from './operation';

// The effect ledger is a stand-in device: an append-only JSONL file on the worker's host. The
// rehearsal ceremony writes to it instead of an appliance, and the engine's tests count effects
// with it exactly.

export const LedgerEntrySchema = z.object({
  ceremonyId: z.string(),
  key: z.string(),
  stepId: z.string(),
  at: z.string(),
  pid: z.number(),
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

export async function readLedger(path: string): Promise<LedgerEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // a line still being appended has no newline yet: it is not an entry until it does
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => LedgerEntrySchema.parse(JSON.parse(line)));
}

export async function appendLedger(path: string, entry: LedgerEntry): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(entry)}\n`);
}

async function entriesFor(ctx: OperationContext, key: string, ceremonyId?: string) {
  const entries = await readLedger(ctx.ledgerPath);
  return entries.filter((e) => e.key === key && (ceremonyId === undefined || e.ceremonyId === ceremonyId));
}

/** Records one effect per ceremony and key. `holdMs` keeps the command busy after writing, as a
 * slow device would. */
export const ledgerRecord = defineOperation('ledger.record', {
  async probe(ctx, { key }) {
    const found = await entriesFor(ctx, key, ctx.ceremonyId);
    return { present: found.length > 0, state: { key, entries: found.length } };
  },
  async act(ctx, { key, holdMs }) {
    await appendLedger(ctx.ledgerPath, {
      ceremonyId: ctx.ceremonyId,
      key,
      stepId: ctx.stepId,
      at: new Date().toISOString(),
      pid: process.pid,
    });
    await delay(holdMs);
    return { commands: [`ledger append ${key}`] };
  },
});

/** A check that an effect with this key exists (from any ceremony): the precondition stand-in. */
export const ledgerRequire = defineOperation('ledger.require', {
  async probe(ctx, { key }) {
    const found = await entriesFor(ctx, key);
    return { present: found.length > 0, state: { key, entries: found.length } };
  },
});
