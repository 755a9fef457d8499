import { connect } from 'node:net';
import { SecretUnavailable } from '../device/secrets';
import { defineOperation } from './operation';

/** Connect and read the SSH identification line: proves the path (VPN) and the service. */
function sshBanner(host: string, port: number, timeoutMs: number): Promise<{ ok: true; banner: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let data = '';
    const done = (result: { ok: true; banner: string } | { ok: false; error: string }) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: `no answer in ${timeoutMs} ms` }));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const line = data.split('\n')[0];
      if (data.includes('\n')) done(line.startsWith('SSH-') ? { ok: true, banner: line.trim() } : { ok: false, error: 'not an SSH service' });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
    socket.on('close', () => done({ ok: false, error: 'connection closed' }));
  });
}

/** The on-prem backup device answers over the VPN (site-to-site / point-to-site). */
export const vpnCheck = defineOperation('vpn.check', {
  async probe(ctx, { timeoutMs, tries }) {
    const device = ctx.backupDevice();
    if (!device) throw new SecretUnavailable('no backup device');
    const { host, port } = device.entry;
    // one lost or slow answer (a busy backup device, a VPN hiccup) is not "the VPN is down"
    let result = await sshBanner(host, port, timeoutMs);
    for (let i = 1; i < tries && !result.ok; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      result = await sshBanner(host, port, timeoutMs);
    }
    return { present: result.ok, state: { host, port, ...(result.ok ? { banner: result.banner } : { error: result.error }) } };
  },
  explain: (_args, s) => `VPN path to ${String(s.host)}:${String(s.port)} down (${String(s.error)})`,
});
