import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import { composeMails, type LinkSettings } from './mail/compose';
import type { NotificationInput } from './types';

export interface Notifier {
  send(message: NotificationInput): Promise<void>;
}

/** A JSON line per notification (the message as the workflow wrote it, without links). */
export function outboxNotifier(outboxPath: string): Notifier {
  return {
    async send(message) {
      await mkdir(dirname(outboxPath), { recursive: true });
      await appendFile(outboxPath, `${JSON.stringify({ ...message, sentAt: new Date().toISOString() })}\n`);
    },
  };
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

/** Mail over SMTP (nodemailer): a personal mail per recipient, plain text and HTML. A failure
 * throws, so Temporal retries the activity; the workflow goes on if it finally fails. */
export function smtpNotifier(smtp: SmtpSettings, links?: LinkSettings): Notifier {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
    connectionTimeout: 10_000,
  });
  return {
    async send(message) {
      for (const mail of composeMails(message, links)) {
        await transport.sendMail({ from: smtp.from, ...mail, headers: { 'X-Ceremony-Id': message.ceremonyId, 'X-Ceremony-Notification': message.kind } });
      }
    },
  };
}

export function allNotifiers(notifiers: Notifier[]): Notifier {
  return {
    async send(message) {
      for (const n of notifiers) await n.send(message);
    },
  };
}

export function notifyActivity(notifier: Notifier) {
  return async function notify(message: NotificationInput): Promise<void> {
    await notifier.send(message);
    Context.current().log.info('notification sent', { kind: message.kind, to: message.to, ceremonyId: message.ceremonyId });
  };
}
