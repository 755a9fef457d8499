import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Context } from '@temporalio/activity';
import nodemailer from 'nodemailer';
import { composeMails, type LinkSettings } from './mail/compose';
import type { NotificationInput } from './types';

/** What an earlier attempt of the same notification already delivered (a retry skips them). */
export interface Delivery {
  delivered: ReadonlySet<string>;
  onDelivered(recipient: string): void;
}

export interface Notifier {
  send(message: NotificationInput, delivery?: Delivery): Promise<void>;
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
    async send(message, delivery) {
      for (const mail of composeMails(message, links)) {
        if (delivery?.delivered.has(mail.to)) continue;
        await transport.sendMail({
          from: smtp.from,
          ...mail,
          headers: { 'X-Ceremony-Id': message.ceremonyId, 'X-Ceremony-Notification': message.kind },
        });
        delivery?.onDelivered(mail.to);
      }
    },
  };
}

export function allNotifiers(notifiers: Notifier[]): Notifier {
  return {
    async send(message, delivery) {
      for (const n of notifiers) await n.send(message, delivery);
    },
  };
}

export function notifyActivity(notifier: Notifier) {
  return async function notify(message: NotificationInput): Promise<void> {
    const context = Context.current();
    // recipients already mailed by an attempt that then failed on another recipient: the
    // heartbeat details survive into the retry, so nobody gets the same mail twice
    const delivered = new Set((context.info.heartbeatDetails as { delivered?: string[] } | undefined)?.delivered ?? []);
    await notifier.send(message, {
      delivered,
      onDelivered(recipient) {
        delivered.add(recipient);
        context.heartbeat({ delivered: [...delivered] });
      },
    });
    context.log.info('notification sent', { kind: message.kind, to: message.to });
  };
}
