import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { hasStcAdminChannel, sameRelease } from '../../ceremonies/firmware-releases';
import { readFirmwareShow, readHsmShow, readPackageFiles, readStcStatus } from '../device/queries';
import { PROCEED } from '../device/luna-constants';
import { DeviceConnectionLost, RebootHung, VerificationFailed } from '../device/errors';
import type { DeviceAccess } from '../device/device-access';
import { defineOperation, type OperationContext } from './operation';

// The firmware upgrade as Thales documents it for a Luna Network HSM 7: the secure package copied
// with scp and verified, `package update` (appliance software, which runs after a reboot, and the
// firmware image it stages), `hsm firmware upgrade`, the reboot.

async function localPackage(ctx: OperationContext, file: string, sha256: string): Promise<Buffer> {
  const data = await readFile(join(ctx.packagesDir, file)).catch((err: NodeJS.ErrnoException) => {
    throw new VerificationFailed(`package ${file} is not in the worker's package directory (${err.code})`);
  });
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256) throw new VerificationFailed(`package ${file} has sha256 ${actual}, the request says ${sha256}: refusing to upload it`);
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
    return { present: files.some((f) => f.file === file && f.size === data.length), state: { file, size: data.length, sha256, onAppliance: files } };
  },
  async act(ctx, { file, sha256 }) {
    await ctx.device().upload(file, await localPackage(ctx, file, sha256));
    return { commands: [`(scp ${file})`] };
  },
});

/** `package verify <file> -authcode <code>`: the package decrypts and its certificate and
 * signature hold ("[Optional Step] Verify the package file, specifying the authorization code":
 * Thales, Luna HSM Firmware 7.7.1-20 update procedure). */
export const packageVerify = defineOperation('package.verify', {
  async probe(ctx, { file, authCode }) {
    const d = ctx.device();
    const listed = (await readPackageFiles(d)).find((f) => f.file === file);
    if (!listed) return { present: false, state: { file, problem: 'it is not on the appliance (package listfile)' } };
    const out = await d.run(`package verify ${file} -authcode ${authCode}`, { allowError: true });
    const verified = out.code === 0 && out.errors.length === 0;
    const problem = verified ? undefined : out.errors.map((e) => e.line).join(' ') || `Command Result : ${out.code} (${out.text})`;
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
    return { present: fw.current === targetFirmware || fw.upgrade === targetFirmware, state: { ...fw, targetFirmware } };
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

/** `hsm firmware upgrade`, after `hsm login`, to the image `package update` staged — only that
 * one: the command takes no version, so a staged image other than the target is refused. STC is
 * disabled first only where the firmware has the STC admin channel and it is enabled. */
export const firmwareUpgrade = defineOperation('firmware.upgrade', {
  async probe(ctx, { targetFirmware }) {
    const fw = await firmwareShow(ctx.device());
    return { present: fw.current === targetFirmware, state: { ...fw, targetFirmware } };
  },
  async act(ctx, { targetFirmware }) {
    const d = ctx.device();
    const fw = await firmwareShow(d);
    if (fw.upgrade !== targetFirmware) throw new VerificationFailed(`the firmware staged on the appliance is ${fw.upgrade ?? 'none'}, not ${targetFirmware}: hsm firmware upgrade would install that one, so it is not sent`);
    const commands = ['hsm firmware show', 'hsm login'];
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
});

/** Reboot and wait for SSH, the expected appliance software and firmware. Idempotent only with an
 * expectation: a retry then finds the appliance already on it and does not reboot again. */
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
  const present = (!firmware || show.firmware === firmware) && (!software || sameRelease(show.softwareVersion, software));
  return { present, state: { firmware: show.firmware, software: show.softwareVersion, ...(firmware ? { expectFirmware: firmware } : {}), ...(software ? { expectSoftware: software } : {}) } };
}

