import { createLinkToken, type LinkKeys } from '../../ceremonies/approval-links';
import type { NotificationInput } from '../types';
import { escapeHtml } from '../../runtime/html';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface LinkSettings {
  keys: LinkKeys;
  /** Base URL of the web app, e.g. https://ceremonies.example.com */
  publicUrl: string;
}

/** One mail per recipient: gate notifications carry a personal signed link to the decision page
 * (opening it only shows the plan; deciding takes a click there). Never a secret in a mail. */
export function composeMails(message: NotificationInput, links?: LinkSettings): MailMessage[] {
  return message.to.map((to) => {
    let action = '';
    let button = '';
    if (message.link && links) {
      const { token } = createLinkToken(links.keys, {
        kind: message.link.kind,
        ceremonyId: message.ceremonyId,
        gate: message.link.gate,
        approver: to,
        digest: message.link.digest,
        exp: Math.floor(Date.parse(message.link.deadline) / 1000),
      });
      const url = `${links.publicUrl.replace(/\/$/, '')}/decide/${token}`;
      const verb = message.link.kind === 'approval' ? 'approve or reject' : 'sign off';
      action = `\n\nTo ${verb}, open your personal link (valid until ${message.link.deadline}, usable once):\n${url}\n`;
      button = `<p><a href="${escapeHtml(url)}" style="display:inline-block;padding:8px 16px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px">Review the plan and decide</a></p><p style="color:#667085;font-size:12px">Valid until ${escapeHtml(message.link.deadline)}; usable once. Opening it changes nothing.</p>`;
    }
    return {
      to,
      subject: message.subject,
      text: `${message.body}${action}`,
      html: `<!doctype html><html><body style="font-family:system-ui,sans-serif"><h2 style="font-size:16px">${escapeHtml(message.subject)}</h2><pre style="font-size:13px;white-space:pre-wrap">${escapeHtml(message.body)}</pre>${button}</body></html>`,
    };
  });
}
