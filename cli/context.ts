import type { Command } from 'commander';
import { CeremonyClient, CeremonyRefusal } from '../client/ceremony-client';
import { loadInventory, type Inventory } from '../ceremonies/inventory';
import { loadConfig } from '../runtime/config';
import { flushTracing } from '../runtime/tracing';

export { CeremonyRefusal };

/** Where the CLI writes: the console, or a test's buffers. */
export type Out = { log(text: string): void; error(text: string): void };

export const consoleOut: Out = { log: (t) => console.log(t), error: (t) => console.error(t) };

/** Verification found problems: exit code 1. Without a message the verdict, already printed, said
 * what failed, and nothing more is written (stderr stays empty). */
export class AuditFailed extends Error {}

/** What every command group uses: the global options, output, and the Temporal connection. */
export interface CliContext {
  out: Out;
  json(): boolean;
  /** The value as JSON under --json, else its human text. */
  print<T>(value: T, human: (value: T) => string): void;
  /** The inventory named by --inventory / CEREMONY_INVENTORY. */
  inventory(): Inventory;
  withClient<T>(fn: (c: CeremonyClient) => Promise<T>): Promise<T>;
}

export function cliContext(program: Command, out: Out): CliContext {
  const json = () => Boolean(program.opts().json);
  return {
    out,
    json,
    print: (value, human) => out.log(json() ? JSON.stringify(value, null, 2) : human(value)),
    inventory: () => loadInventory(program.opts<{ inventory: string }>().inventory),
    withClient,
  };
}

async function withClient<T>(fn: (c: CeremonyClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  let connected;
  try {
    connected = await CeremonyClient.connect(config);
  } catch (err) {
    throw new CeremonyRefusal(
      `cannot reach Temporal at ${config.TEMPORAL_ADDRESS} (${(err as Error).message}); is \`npm start\` running?`,
    );
  }
  try {
    return await fn(connected.ceremonies);
  } finally {
    await connected.connection.close();
    await flushTracing(); // a command's spans are sent before the CLI exits
  }
}
