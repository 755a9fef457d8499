import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { CeremonyClient } from '../../client/ceremony-client';

/** A ceremony's history as `temporal workflow show --output json` writes it, plus every payload
 * decoded from base64, so a scan for a secret cannot miss an encoded copy. */
export async function exportedHistoryText(ceremonies: CeremonyClient, id: string): Promise<string> {
  return exportedText(historyToJSON(await ceremonies.handle(id).fetchHistory()));
}

/** A history JSON text plus every payload in it decoded from base64. */
export function exportedText(json: string): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'data' && typeof inner === 'string') decoded.push(Buffer.from(inner, 'base64').toString('utf8'));
        else walk(inner);
      }
    }
  };
  walk(JSON.parse(json));
  return `${json}\n${decoded.join('\n')}`;
}
