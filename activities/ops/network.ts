import { connect } from 'node:net';
import { HostName } from '../../ceremonies/operation-args';
import { own } from '../../ceremonies/own';
import { SecretUnavailable } from '../device/secrets';
import { defineOperation, type OperationContext } from './operation';

/** Connect and read the SSH identification line: proves the path (VPN) and the service. */
function sshBanner(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ ok: true; banner: string } | { ok: false; error: string }> {
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
      if (data.includes('\n'))
        done(line.startsWith('SSH-') ? { ok: true, banner: line.trim() } : { ok: false, error: 'not an SSH service' });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
    socket.on('close', () => done({ ok: false, error: 'connection closed' }));
  });
}

/** Where the workstation reaches the appliance's NTLS service: checked here, since it goes into a
 * shell command on the workstation. */
function ntlsEndpoint(ctx: OperationContext): { host: string; port: number } {
  const hsm = own(ctx.inventory().hsms, ctx.hsm ?? '');
  if (!hsm) throw new SecretUnavailable(`unknown HSM "${ctx.hsm}": not in the worker's inventory`);
  const host = hsm.ntls.host ?? hsm.host;
  if (!HostName.safeParse(host).success)
    throw new SecretUnavailable(
      `hsms.${ctx.hsm}.ntls.host: "${host}" is not a host name or IPv4 address the workstation can be asked to reach`,
    );
  return { host, port: hsm.ntls.port };
}

/** The backup's path, both ways it is used: the worker reaches the on-prem backup workstation's
 * SSH over the VPN, and the workstation reaches the HSM's NTLS port (1792), over which LunaCM
 * clones the partition to the Backup HSM. The second is asked of the workstation's own shell:
 * bash opens a TCP connection for a redirection from `/dev/tcp/<host>/<port>` (bash manual,
 * REDIRECTION), `timeout` bounds it (GNU coreutils). */
export const vpnCheck = defineOperation('vpn.check', {
  async probe(ctx, { timeoutMs, tries }) {
    const device = ctx.backupDevice();
    const { host, port } = device.entry;
    // one lost or slow answer (a busy backup device, a VPN hiccup) is not "the VPN is down"
    let result = await sshBanner(host, port, timeoutMs);
    for (let i = 1; i < tries && !result.ok; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      result = await sshBanner(host, port, timeoutMs);
    }
    const ssh = { host, port, ...(result.ok ? { banner: result.banner } : { error: result.error }) };
    if (!result.ok) return { present: false, state: ssh };
    const ntls = ntlsEndpoint(ctx);
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const reached = await device.runHost(`timeout ${seconds} bash -c '</dev/tcp/${ntls.host}/${ntls.port}'`, {
      timeoutMs: timeoutMs + 10_000,
    });
    const why =
      reached.status === 124
        ? `no answer in ${seconds} s`
        : reached.output
            .split('\n')
            .filter((l) => l.trim())
            .slice(-1)[0]
            ?.replace(/^.*: /, '') || `exit status ${reached.status}`;
    return {
      present: reached.status === 0,
      state: {
        ...ssh,
        ntls: { ...ntls, reachable: reached.status === 0, ...(reached.status === 0 ? {} : { error: why }) },
      },
    };
  },
  explain: (_args, s) => {
    const ntls = s.ntls as { host: string; port: number; error: string } | undefined;
    return ntls
      ? `the backup workstation ${String(s.host)} cannot reach the HSM's NTLS port ${ntls.host}:${ntls.port} (${ntls.error})`
      : `VPN path to ${String(s.host)}:${String(s.port)} down (${String(s.error)})`;
  },
});
