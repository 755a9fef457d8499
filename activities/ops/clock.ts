import { readNtpStatus } from '../device/queries';
import { defineOperation } from './operation';

// Thales: "To ensure accurate auditing, perform initialization only after you have set the system
// time parameters (time, date, time zone, use of NTP)" (Luna 7, "Initializing the HSM"). The
// appliance clock is read from `sysconf ntp status` (its NTP timestamp is UTC) and compared with
// the worker's; where NTP is enabled, a server (not the local clock) must be the selected source.

export const hsmCheckTime = defineOperation('hsm.checkTime', {
  async probe(ctx, { maxSkewSeconds }) {
    const sentAt = Date.now();
    const ntp = await readNtpStatus(ctx.device());
    const receivedAt = Date.now();
    // the timestamp is whole seconds (half a second early on average), read at some moment
    // between sending and receiving: within that, the clocks agree
    const skewMs = ntp.time + 500 - (sentAt + receivedAt) / 2;
    const skewSeconds = Math.abs(skewMs) <= 1000 + (receivedAt - sentAt) / 2 ? 0 : Math.round(skewMs / 1000);
    const source = ntp.peers.find((p) => p.selected && !/^LOCAL\(/.test(p.remote));
    const ntpProblem = !ntp.enabled
      ? undefined
      : !ntp.running
        ? 'NTP is enabled but not running'
        : !source
          ? `NTP is enabled but synchronised to no server (peers: ${ntp.peers.map((p) => `${p.selected ? '*' : ''}${p.remote}`).join(', ') || 'none'})`
          : undefined;
    return {
      present: Math.abs(skewSeconds) <= maxSkewSeconds && ntpProblem === undefined,
      state: {
        applianceTime: new Date(ntp.time).toISOString(),
        workerTime: new Date(receivedAt).toISOString(),
        skewSeconds,
        ntp: { enabled: ntp.enabled, running: ntp.running, synchronisedTo: source?.remote ?? null, peers: ntp.peers },
        ...(ntpProblem ? { ntpProblem } : {}),
      },
    };
  },
  explain: ({ maxSkewSeconds }, s) =>
    [
      Math.abs(Number(s.skewSeconds)) > maxSkewSeconds
        ? `the appliance clock is ${Math.abs(Number(s.skewSeconds))} s ${Number(s.skewSeconds) < 0 ? 'behind' : 'ahead of'} the worker's (at most ${maxSkewSeconds} s)`
        : '',
      s.ntpProblem ? String(s.ntpProblem) : '',
    ]
      .filter(Boolean)
      .join('; ') +
    ': set the time (sysconf time, sysconf ntp) before hsm init, as Thales advises, so the audit log is accurate',
});
