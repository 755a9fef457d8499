import { existsSync, readFileSync } from 'node:fs';
import { signerFromPem, type DecisionSigner } from '../client/decision-signer';
import { localKeyFile } from '../simulator/local-keys';

/** Signs as `actor` with their local key (simulator/local-keys.ts), when the stack generated one. */
export function localSigner(dataDir: string, actor: string): DecisionSigner | undefined {
  const file = localKeyFile(dataDir, actor);
  return existsSync(file) ? signerFromPem(readFileSync(file, 'utf8'), file) : undefined;
}
