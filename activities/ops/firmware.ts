import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { readHsmShow, readPackageFiles, readPendingUpdate } from '../device/queries';
import { PROCEED } from '../device/luna-constants';
import { DeviceConnectionLost, RebootHung, VerificationFailed } from '../device/errors';
import type { DeviceAccess } from '../device/device-access';
import { defineOperation, type OperationContext } from './operation';


async function localPackage(ctx: OperationContext, file: string, sha256: string): Promise<Buffer> {
  const data = await readFile(join(ctx.packagesDir, file)).catch((err: NodeJS.ErrnoException) => {
    throw new VerificationFailed(`package ${file} is not in the worker's package directory (${err.code})`);
  });
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== sha256) throw new VerificationFailed(`package ${file} has sha256 ${actual}, the request says ${sha256}: refusing to upload it`);
  return data;
}

async function firmwareNow(d: DeviceAccess) {
  return (await readHsmShow(d)).firmware;
}

/** Upload an update package after checking its sha256 against the request. */
export const firmwareUpload = defineOperation('firmware.upload', {
  async probe(ctx, { file, sha256 }) {
    const data = await localPackage(ctx, file, sha256);
    const files = await readPackageFiles(ctx.device());
    return { present: files.some((f) => f.file === file && f.size === data.length), state: { file, size: data.length, sha256, onAppliance: files } };
  },
  async act(ctx, { file, sha256 }) {
    await ctx.device().upload(file, await localPackage(ctx, file, sha256));
    return { commands: [`(sftp put ${file})`] };
  },
});

/** Install an uploaded package; the new firmware runs after the next reboot. */
export const firmwareUpgrade = defineOperation('firmware.upgrade', {
  async probe(ctx, { targetFirmware }) {
    const d = ctx.device();
    const firmware = await firmwareNow(d);
    const pending = await readPendingUpdate(d);
    return { present: firmware === targetFirmware || pending === targetFirmware, state: { firmware, pending } };
  },
  async act(ctx, { file, authCode }) {
    const d = ctx.device();
    // Thales: disable Secure Trusted Channel before a firmware update
    await d.run('hsm stc disable', { answers: [PROCEED] });
    await d.hsmLogin(); // "You must log into the HSM before you run this command."
    const command = `package update ${file} -authcode ${authCode}`;
    await d.run(command, { answers: [PROCEED] });
    return { commands: ['hsm stc disable', 'hsm login', command] };
  },
});

/** Reboot and wait for SSH and the expected firmware. Idempotent only with `expectFirmware`: a
 * retry then finds the appliance already on it and does not reboot again. */
export const applianceReboot = defineOperation('appliance.reboot', {
  async probe(ctx, { expectFirmware }) {
    if (!expectFirmware) return { present: false, state: {} };
    const firmware = await firmwareNow(ctx.device());
    return { present: firmware === expectFirmware, state: { firmware } };
  },
  async act(ctx) {
    await ctx.device().run('sysconf appliance reboot', { answers: [PROCEED], endsSession: true });
    return { commands: ['sysconf appliance reboot'] };
  },
  async verify(ctx, { expectFirmware, waitSeconds }) {
    const d = ctx.device();
    const until = Date.now() + waitSeconds * 1000;
    await delay(500);
    for (;;) {
      try {
        const firmware = await firmwareNow(d);
        return { present: !expectFirmware || firmware === expectFirmware, state: { firmware, expectFirmware } };
      } catch (err) {
        if (!(err instanceof DeviceConnectionLost)) throw err;
      }
      if (Date.now() > until) throw new RebootHung(d.ref, waitSeconds);
      await delay(1000);
    }
  },
});

/** Is the appliance already on the target firmware? (Then a firmware ceremony has nothing to do.) */
export const firmwareOnTarget = defineOperation('firmware.onTarget', {
  probeOnly: true,
  async probe(ctx, { targetFirmware }) {
    const firmware = await firmwareNow(ctx.device());
    return { present: firmware === targetFirmware, state: { firmware, targetFirmware } };
  },
});
