import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import type { NotificationInput } from './types';

export interface Notifier {
  send(message: NotificationInput): Promise<void>;
}

/** Writes each notification as a JSON line to an outbox file (and the worker log). The mail
 * transport (SMTP) plugs in behind the same interface. */
export function outboxNotifier(outboxPath: string): Notifier {
  return {
    async send(message) {
      await mkdir(dirname(outboxPath), { recursive: true });
      await appendFile(outboxPath, `${JSON.stringify({ ...message, sentAt: new Date().toISOString() })}\n`);
    },
  };
}

export function notifyActivity(notifier: Notifier) {
  return async function notify(message: NotificationInput): Promise<void> {
    await notifier.send(message);
    Context.current().log.info('notification sent', { kind: message.kind, to: message.to, ceremonyId: message.ceremonyId });
  };
}
