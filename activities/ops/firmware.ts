import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { hasStcAdminChannel, sameRelease } from '../../ceremonies/firmware-releases';
import { readFirmwareShow, readHsmShow, readPackageFiles, readStcStatus } from '../device/queries';
import { PROCEED } from '../device/luna-constants';
import { DeviceConnectionLost, LunaCommandError, RebootHung, VerificationFailed } from '../device/errors';
import type { DeviceAccess } from '../device/device-access';
import { defineOperation, type OperationContext } from './operation';

// The firmware upgrade as Thales documents it for a Luna Network HSM 7, one operation per phase:
// the secure package copied with scp and verified (as the HSM SO), `package update` (appliance
// software, which runs after the reboot, and the firmware image it stages), the appliance reboot
// until the new software runs, `hsm firmware upgrade` on that software, the HSM's own restart onto
// the new firmware. Each probe recognises its phase as done from the device alone, so a worker
// restarted between phases resumes at the right one. docs/ceremonies/firmware-upgrade.md.

async function localPackage(ctx: OperationContext, file: string, sha256: string): Promise<Buffer> {
  const data = await readFile(join(ctx.packagesDir, file)).catch((err: NodeJS.ErrnoException) => {
    throw new VerificationFailed(`package ${file} is not in the worker's package directory (${err.code})`);
  });
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256)
    throw new VerificationFailed(
      `package ${file} has sha256 ${actual}, the request says ${sha256}: refusing to upload it`,
    );
  return data;
}

/** Copy an update package after checking its sha256 against the request. lunash documents no way
 * to hash a file on the appliance: there it is checked by its size (`package listfile`), and by
 * its own signature (`package verify`, the next step). A copy cut short leaves a short file: the
 * retry's probe sees the size differ and sends it again whole. */
export const firmwareUpload = defineOperation('firmware.upload', {
  endsWithSession: true,
  async probe(ctx, { file, sha256 }) {
    const data = await localPackage(ctx, file, sha256);
    const files = await readPackageFiles(ctx.device());
    return {
      present: files.some((f) => f.file === file && f.size === data.length),
      state: { file, size: data.length, sha256, onAppliance: files },
    };
  },
  async act(ctx, { file, sha256 }) {
    await ctx.device().upload(file, await localPackage(ctx, file, sha256));
    return { commands: [`(scp ${file})`] };
  },
});

/** `package verify <file> -authcode <code>`, as the firmware 7.7.1-20 notes run it: logged in as
 * the HSM SO first ("4. Log in as HSM SO ... lunash:> hsm login"), then "package listfile" ("Verify
 * that the secure package file is present") and "package verify" ("[Optional Step] Verify the
 * package file, specifying the authorization code"). Without `-useevp` the verification is
 * referred to the HSM, which is why the SO logs in first (`package update`: "-useevp ... without
 * need for HSM SO login. If this option is not specified, the default action is to refer update
 * verification to the HSM"). */
export const packageVerify = defineOperation('package.verify', {
  async probe(ctx, { file, authCode }) {
    const d = ctx.device();
    await d.hsmLogin();
    const listed = (await readPackageFiles(d)).find((f) => f.file === file);
    if (!listed) return { present: false, state: { file, problem: 'it is not on the appliance (package listfile)' } };
    const out = await d.run(`package verify ${file} -authcode ${authCode}`, { allowError: true });
    const verified = out.code === 0 && out.errors.length === 0;
    const problem = verified
      ? undefined
      : out.errors.map((e) => e.line).join(' ') || `Command Result : ${out.code} (${out.text})`;
    return { present: verified, state: { file, size: listed.size, verified, ...(problem ? { problem } : {}) } };
  },
  explain: ({ file }, state) => `${file} does not verify: ${String(state.problem)}`,
});

async function firmwareShow(d: DeviceAccess) {
  const fw = await readFirmwareShow(d);
  return { current: fw.current, rollback: fw.rollback, upgrade: fw.upgrade };
}

/** `package update`: installs the appliance software (it runs after the next reboot) and stores
 * the firmware image it carries, ready for `hsm firmware upgrade` — which is how it shows:
 * `hsm firmware show` lists it as "Upgrade Firmware" (or the HSM already runs it). */
export const packageUpdate = defineOperation('package.update', {
  async probe(ctx, { targetFirmware }) {
    const fw = await firmwareShow(ctx.device());
    return {
      present: fw.current === targetFirmware || fw.upgrade === targetFirmware,
      state: { ...fw, targetFirmware },
    };
  },
  async act(ctx, { file, authCode }) {
    const d = ctx.device();
    await d.hsmLogin(); // "You must log into the HSM before you run this command."
    const command = `package update ${file} -authcode ${authCode}`;
    // 7.x asks first: "Appliance software upgrade is a one-way operation"
    await d.run(command, { answers: [PROCEED] });
    return { commands: ['hsm login', command] };
  },
});

/** `hsm firmware upgrade`, after `hsm login`, to the image `package update` staged, and only once
 * the appliance runs the appliance software that carries it ("Updating the HSM Firmware After an
 * Appliance Software Update": the software update completes on the appliance's reboot, then the
 * staged firmware is applied). It is refused, unsent, on any other stack: appliance software not
 * (yet) the one that carries the target, a reboot still pending, or a staged image other than the
 * target (the command takes no version). Firmware 7.7+ converts the partitions (V0 -> V1), which
 * may take "a few minutes to several hours": its step allows that long. STC is disabled first
 * only where the firmware has the STC admin channel and it is enabled. */
export const firmwareUpgrade = defineOperation('firmware.upgrade', {
  async probe(ctx, { targetFirmware }) {
    const read = async () => {
      const fw = await firmwareShow(ctx.device());
      return { present: fw.current === targetFirmware, state: { ...fw, targetFirmware } };
    };
    // after an attempt that sent the command was lost, the HSM may be restarting: "not answering"
    // reads as "not yet", and the resumed step probes again (a send would be refused anyway: the
    // staged image is gone once applied); a first attempt that cannot read fails closed
    return ctx.earlierActAt !== undefined ? waitUntil(0, read) : read();
  },
  async act(ctx, { targetFirmware, targetSoftware }) {
    const d = ctx.device();
    const show = await readHsmShow(d);
    if (!sameRelease(show.softwareVersion, targetSoftware)) {
      throw new VerificationFailed(
        `the appliance runs appliance software ${show.softwareVersion}, not ${targetSoftware} that carries firmware ${targetFirmware}: the documentation applies the firmware only after the software update's reboot, so hsm firmware upgrade is not sent`,
      );
    }
    const fw = await firmwareShow(d);
    if (fw.upgrade !== targetFirmware)
      throw new VerificationFailed(
        `the firmware staged on the appliance is ${fw.upgrade ?? 'none'}, not ${targetFirmware}: hsm firmware upgrade would install that one, so it is not sent`,
      );
    const commands = ['hsm show', 'hsm firmware show', 'hsm login'];
    await d.hsmLogin();
    if (hasStcAdminChannel(fw.current)) {
      commands.push('hsm stc status');
      if ((await readStcStatus(d)).enabled) {
        // "If you are using STC on the HSM Admin channel, disable it ... before you update the HSM firmware"
        await d.run('hsm stc disable', { answers: [PROCEED] });
        await d.hsmLogin(); // the STC service restart ends the HSM login session
        commands.push('hsm stc disable', 'hsm login');
      }
    }
    await d.run('hsm firmware upgrade', { answers: [PROCEED] });
    commands.push('hsm firmware upgrade');
    return { commands };
  },
  // the HSM restarts on the new firmware by itself: it may not answer for a while
  async verify(ctx, { targetFirmware }) {
    return waitUntil(RESTART_GRACE_MS, async () => {
      const fw = await firmwareShow(ctx.device());
      return { present: fw.current === targetFirmware, state: { ...fw, targetFirmware } };
    });
  },
});

/** How long `hsm firmware upgrade`'s verification waits for the restarting HSM to answer. */
const RESTART_GRACE_MS = 10 * 60_000;

/** Read until `read` finds its effect or `ms` have passed, waiting through the answers a
 * restarting HSM gives (a lunash error, a lost session); the last reading is the answer. Only a
 * wait rests on those errors: nothing is sent or decided on them. */
async function waitUntil(
  ms: number,
  read: () => Promise<{ present: boolean; state: Record<string, unknown> }>,
): Promise<{ present: boolean; state: Record<string, unknown> }> {
  const until = Date.now() + ms;
  for (;;) {
    let last: { present: boolean; state: Record<string, unknown> };
    try {
      last = await read();
      if (last.present) return last;
    } catch (err) {
      if (!(err instanceof DeviceConnectionLost) && !(err instanceof LunaCommandError)) throw err;
      last = { present: false, state: { unanswered: err.message } };
    }
    if (Date.now() > until) return last;
    await delay(1000);
  }
}

/** After `hsm firmware upgrade` the HSM restarts on the new firmware by itself: the documented
 * procedures send no command after it (firmware 7.7.1-20 notes: `hsm firmware upgrade`, then "To
 * Confirm That the Update..."; LunaCM "performs an automatic restart" after a firmware rollback),
 * so none is sent here. This step waits, reading `hsm show`, until the HSM answers on the target
 * firmware (an answer the HSM cannot give while it restarts is waited through, up to
 * `waitSeconds`; then the step needs an operator). Read-only: a retry just reads again. */
export const hsmRestarted = defineOperation('firmware.hsmRestarted', {
  async probe(ctx, { targetFirmware }) {
    return waitUntil(0, () => hsmShowsFirmware(ctx.device(), targetFirmware));
  },
  async act() {
    return { commands: [] }; // nothing to send: the HSM restarts on its own
  },
  async verify(ctx, { targetFirmware, waitSeconds }) {
    return waitUntil(waitSeconds * 1000, () => hsmShowsFirmware(ctx.device(), targetFirmware));
  },
});

async function hsmShowsFirmware(d: DeviceAccess, targetFirmware: string) {
  const show = await readHsmShow(d);
  return { present: show.firmware === targetFirmware, state: { firmware: show.firmware, targetFirmware } };
}

/** Reboot and wait for SSH and the expected appliance software (the software update "completes on
 * the appliance's reboot"). Idempotent only with an expectation: a retry then finds the appliance
 * already on it and does not reboot again; so does an appliance that rebooted by itself, or a
 * firmware-only package, which leaves the software as it was (no reboot is needed then). */
export const applianceReboot = defineOperation('appliance.reboot', {
  async probe(ctx, { expectFirmware, expectSoftware }) {
    if (!expectFirmware && !expectSoftware) return { present: false, state: {} };
    return versionsAre(await readHsmShow(ctx.device()), expectFirmware, expectSoftware);
  },
  async act(ctx) {
    await ctx.device().run('sysconf appliance reboot', { answers: [PROCEED], endsSession: true });
    return { commands: ['sysconf appliance reboot'] };
  },
  async verify(ctx, { expectFirmware, expectSoftware, waitSeconds }) {
    const d = ctx.device();
    const until = Date.now() + waitSeconds * 1000;
    await delay(500);
    for (;;) {
      try {
        return versionsAre(await readHsmShow(d), expectFirmware, expectSoftware);
      } catch (err) {
        if (!(err instanceof DeviceConnectionLost)) throw err;
      }
      if (Date.now() > until) throw new RebootHung(d.ref, waitSeconds);
      await delay(1000);
    }
  },
});

function versionsAre(show: { firmware: string; softwareVersion: string }, firmware?: string, software?: string) {
  const present =
    (!firmware || show.firmware === firmware) && (!software || sameRelease(show.softwareVersion, software));
  return {
    present,
    state: {
      firmware: show.firmware,
      software: show.softwareVersion,
      ...(firmware ? { expectFirmware: firmware } : {}),
      ...(software ? { expectSoftware: software } : {}),
    },
  };
}
