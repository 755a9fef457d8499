import { applianceStore } from './appliance-server';
import type { BackupState } from './backup-device';
import { CRLF } from './lunash/output';
import { LunaError, type CommandContext, type CommandSpec, type ShellDialect } from './lunash/shell';
import { archiveList, LUNACM_QUESTIONS, partitionClearOutput, restoreOutput } from './lunacm-shapes';
import { compareVersions } from './versions';

// LunaCM as the backup workstation runs it (simulator/SOURCES.md says where each shape comes
// from). Slot 0 is the Luna Backup HSM; each appliance partition assigned to the workstation's
// NTLS client name is a further slot. A backup is made from the current slot (`slot set`), logged
// in as its Crypto Officer (`role login -name co`), to a backup partition on the Backup HSM
// (`partition archive backup -slot <Backup HSM slot> -partition <name>`), which asks for the
// Backup HSM SO's password and the backup partition's cloning domain when it creates it. With a
// domain that is not the source partition's, no object is cloned and the backup partition is
// left empty (Thales, `partition archive backup`).

/** A partition's Crypto Officer password and cloning domain, as its owner initialised it (on the
 * appliance, out of the simulator's reach): undefined for a partition never initialised. */
export type PartitionSecrets = (appliance: string, partition: string) => { co: string; domain: string } | undefined;

interface Slot {
  id: number;
  label: string;
  serial: string;
  description: string;
  model: string;
  firmware: string;
  appliance?: string;
}

export function slots(state: BackupState, applianceDirs: string[]): Slot[] {
  // the Backup HSM's slot prints its own model and firmware (both as the state says: the model's
  // words guessed); a partition's slot, its appliance's firmware
  const list: Slot[] = [
    {
      id: 0,
      label: state.name,
      serial: state.serial,
      description: 'G7 Backup HSM',
      model: state.backupHsmModel,
      firmware: state.backupHsmFirmware,
    },
  ];
  for (const dir of applianceDirs) {
    const appliance = applianceStore(dir).read();
    const client = appliance.clients.find((c) => c.name === state.clientName);
    for (const partition of appliance.partitions.filter((p) => client?.partitions.includes(p.name))) {
      list.push({
        id: list.length,
        label: partition.name,
        serial: partition.serial,
        description: 'Net Token Slot',
        model: 'LunaSA 7.2.0',
        firmware: appliance.firmware,
        appliance: dir,
      });
    }
  }
  return list;
}

/** The slot list LunaCM prints for `slot list` and as it starts. */
export function slotList(state: BackupState, applianceDirs: string[], current = 0): string {
  // as LunaCM 7.1/7.2 prints it (Cloudflare docs, Keyless SSL with IBM Cloud HSM / Azure
  // Dedicated HSM); the Backup HSM slot's model and configuration are guessed
  const field = (name: string, value: string | number) => `    ${`${name} ->`.padEnd(24)}${value}`.trimEnd();
  const blocks = slots(state, applianceDirs).map((s) =>
    [
      field('Slot Id', s.id),
      field('Label', s.label),
      field('Serial Number', s.serial),
      field('Model', s.model),
      field('Firmware Version', s.firmware),
      field(
        'Configuration',
        s.description === 'Net Token Slot'
          ? 'Luna User Partition With SO (PW) Signing With Cloning Mode'
          : 'Backup Device',
      ),
      field('Slot Description', s.description),
      '',
    ].join(CRLF),
  );
  return ['', '    Available HSMs:', '', ...blocks, '', `    Current Slot Id: ${current}`].join(CRLF);
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const slotInvalid = (what: string) => new LunaError('0x00000003', 'CKR_SLOT_ID_INVALID', what);

function slotOf(c: CommandContext<BackupState>, dirs: string[], id: number): Slot {
  const slot = slots(c.state, dirs).find((s) => s.id === id);
  if (!slot) throw slotInvalid(`No slot ${id}.`);
  return slot;
}

/** The current slot's appliance partition, with its owner's secrets. */
function currentPartition(c: CommandContext<BackupState>, dirs: string[], secrets: PartitionSecrets) {
  const slot = slotOf(c, dirs, c.session.slot ?? 0);
  if (!slot.appliance)
    throw slotInvalid('The current slot is not an HSM partition: slot set -slot <partition slot> first.');
  const appliance = applianceStore(slot.appliance).read();
  const partition = appliance.partitions.find((p) => p.serial === slot.serial);
  if (!partition) throw slotInvalid('The partition of the current slot is gone.');
  return { slot, appliance: appliance.name, partition, secrets: secrets(appliance.name, partition.name) };
}

/** LunaCM's password question as Thales documents it for `role login` (7.2 docs, "Initialize
 * the Crypto User Role on a PW-Authenticated Partition": `        enter password: ********`): the
 * role is named by the command, not by the question. */
const ENTER_PASSWORD = '        enter password: ';

/** Before the Backup HSM SO's password the SO is named on a line of its own, then LunaCM asks its
 * own `enter password:` (guessed: no capture of `partition archive backup` asking was found). */
const backupSoQuestion = (slot: number) =>
  `${CRLF}  Logging in as the SO on slot ${slot}.${CRLF}${CRLF}  enter password: `;

/** Failed Crypto Officer logins before the role locks out (Thales, "Logging In to the
 * Application Partition": ten, partition policy 20's default). */
const CO_LOGIN_ATTEMPTS = 10;
const attemptsKey = (source: { appliance: string; partition: { name: string } }) =>
  `${source.appliance}/${source.partition.name}`;
const coAttemptsLeft = (state: BackupState, key: string) => state.coLoginAttemptsLeft[key] ?? CO_LOGIN_ATTEMPTS;

/** Answer `question` (no echo), as LunaCM reads a secret. */
const secret = (c: CommandContext<BackupState>, question: string) => c.io.ask(question, { echo: false });

/** The Backup HSM SO's password, given with `-password` where the command takes it or else asked
 * for; a wrong one refuses the command before it changes anything. */
async function requireBackupSo(c: CommandContext<BackupState>, slot: number, given?: unknown): Promise<void> {
  const so = typeof given === 'string' ? given : await secret(c, backupSoQuestion(slot));
  if (so !== c.state.hsmSoPassword)
    throw new LunaError(
      '0x000000a0',
      'CKR_PIN_INCORRECT',
      `The SO password of the Backup HSM in slot ${slot} is not correct.`,
    );
}

function backupCommand(dirs: string[], secrets: PartitionSecrets): CommandSpec<BackupState> {
  return {
    words: ['partition', 'archive', 'backup'],
    options: { slot: 'value', partition: 'value', replace: 'flag', append: 'flag' },
    required: ['slot', 'partition'],
    run: async (c) => {
      const target = slotOf(c, dirs, Number(c.options.slot));
      if (target.appliance) throw slotInvalid(`Slot ${target.id} is not a Backup HSM.`);
      const source = currentPartition(c, dirs, secrets);
      if (c.session.role?.slot !== source.slot.id)
        throw new LunaError(
          '0x00000101',
          'CKR_USER_NOT_LOGGED_IN',
          'You must be logged in as the Crypto Officer of the current slot.',
        );
      const label = String(c.options.partition);
      if (!LABEL.test(label))
        throw new LunaError('0x00000013', 'CKR_ATTRIBUTE_VALUE_INVALID', `Invalid backup partition name: ${label}`);
      const existing = c.state.backups.find((b) => b.label === label);
      // "Error in execution: <name>." and the result, as Thales' LunaCM reference quotes them
      if (existing && !c.options.replace && !c.options.append)
        throw new LunaError('0x80000203', 'LUNA_RET_OBJECT_EXISTS');

      let backup = existing;
      if (!existing || c.options.replace) {
        if (existing) {
          const question = `${CRLF}  You are about to replace backup partition ${label}.${CRLF}  All contents of the backup partition will be destroyed.${CRLF}${CRLF}  Are you sure you wish to continue?${CRLF}${CRLF}  ${LUNACM_QUESTIONS.proceed}`;
          if (!(await c.confirm(question))) throw new LunaError('0x0000000b', 'User Cancelled Operation');
        }
        await requireBackupSo(c, target.id);
        const domain = await secret(
          c,
          `${CRLF}  Creating partition ${label} on slot ${target.id}.${CRLF}${CRLF}  ${LUNACM_QUESTIONS.backupDomain}`,
        );
        c.state.backups = c.state.backups.filter((b) => b.label !== label);
        const sourceFirmware = applianceStore(source.slot.appliance!).read().firmware;
        backup = {
          label,
          domain,
          sourceSerial: source.partition.serial,
          sourcePartition: source.partition.name,
          sourceAppliance: source.appliance,
          sourceFirmware,
          objects: 0,
          createdAt: new Date().toISOString(),
        };
        c.state.backups.push(backup);
      }
      const handles = Array.from({ length: source.partition.objects }, (_, i) => 100 + i);
      if (backup!.domain !== source.secrets?.domain) {
        // each object fails verification at the Backup HSM; the backup partition stays as it was
        const lines = handles.map(
          (h) => `  Failed to clone object ${h}: the Backup HSM could not verify it (CKR_CERTIFICATE_INVALID).`,
        );
        throw new LunaError(
          '0x80000000',
          'CKR_CERTIFICATE_INVALID',
          'The cloning domain of the backup partition does not match the source partition.',
          lines.join(CRLF),
        );
      }
      backup!.objects = source.partition.objects;
      return [
        '',
        '  Verifying that all objects can be backed up...',
        `  ${handles.length} objects will be backed up.`,
        '',
        '  Backing up objects...',
        ...handles.map((h, i) => `  Cloned object ${h} to partition ${label} (new handle ${200 + i}).`),
        '',
        '  Backup Complete.',
        '',
        `  ${handles.length} objects have been backed up to partition ${label}`,
        `  on slot ${target.id}.`,
      ].join(CRLF);
    },
  };
}

/** `partition archive delete -slot <Backup HSM slot> -partition <name>`: deletes a backup
 * partition from the Backup HSM (Thales names the command in the LunaCM `partition archive`
 * family; its page was not found, so its questions and lines are guessed): it asks to confirm
 * ("proceed", in the form of the captured `partition init` question), then the Backup HSM SO's
 * password (the SO "is required to create or modify a backup partition": Thales, Backup HSM 7).
 * A name the Backup HSM does not hold, or a wrong SO password, deletes nothing. */
function archiveDeleteCommand(dirs: string[]): CommandSpec<BackupState> {
  return {
    words: ['partition', 'archive', 'delete'],
    options: { slot: 'value', partition: 'value' },
    required: ['slot', 'partition'],
    run: async (c) => {
      const target = slotOf(c, dirs, Number(c.options.slot));
      if (target.appliance) throw slotInvalid(`Slot ${target.id} is not a Backup HSM.`);
      const label = String(c.options.partition);
      if (!c.state.backups.some((b) => b.label === label))
        throw new LunaError(
          '0x00000003',
          'CKR_ARGUMENTS_BAD',
          `There is no backup partition ${label} on slot ${target.id}.`,
        );
      const question = `${CRLF}  You are about to delete backup partition ${label}.${CRLF}  All contents of the backup partition will be destroyed.${CRLF}${CRLF}  ${LUNACM_QUESTIONS.proceed}`;
      if (!(await c.confirm(question))) throw new LunaError('0x0000000b', 'User Cancelled Operation');
      await requireBackupSo(c, target.id);
      c.state.backups = c.state.backups.filter((b) => b.label !== label);
      return ['', `  Backup partition ${label} deleted from slot ${target.id}.`].join(CRLF);
    },
  };
}

/** The Crypto Officer of the current slot must be logged in (backup, restore and clear all say so). */
function requireCryptoOfficer(c: CommandContext<BackupState>, source: { slot: Slot }): void {
  if (c.session.role?.slot !== source.slot.id)
    throw new LunaError(
      '0x00000101',
      'CKR_USER_NOT_LOGGED_IN',
      'You must be logged in as the Crypto Officer of the current slot.',
    );
}

/** The firmware from which partitions are V0/V1: their backups restore to no older firmware
 * (Thales, `partition archive restore`: "any attempt to restore from a higher-security status to
 * lower-security status fails gracefully"). */
const V0_V1_FIRMWARE = '7.7.0';

/** `partition archive restore -slot <Backup HSM slot> -partition <backup name>`: the backup
 * partition's objects are cloned to the current partition, as its Crypto Officer, and added to
 * what it holds (Thales, `partition archive restore`: "restore objects from the specified backup
 * partition, in a backup HSM, in a specified slot, to the current user partition"). The Backup HSM
 * asks for its SO's password (guessed, as the backup asks it). Each object is verified by the
 * target against its cloning domain: with another domain, nothing is restored and the command
 * fails with CKR_CERTIFICATE_INVALID (Thales, same page). */
function restoreCommand(dirs: string[], secrets: PartitionSecrets): CommandSpec<BackupState> {
  return {
    words: ['partition', 'archive', 'restore'],
    options: { slot: 'value', partition: 'value', password: 'value' },
    required: ['slot', 'partition'],
    run: async (c) => {
      const from = slotOf(c, dirs, Number(c.options.slot));
      if (from.appliance) throw slotInvalid(`Slot ${from.id} is not a Backup HSM.`);
      const target = currentPartition(c, dirs, secrets);
      requireCryptoOfficer(c, target);
      const label = String(c.options.partition);
      const backup = c.state.backups.find((b) => b.label === label);
      // guessed: no page prints the refusal of an unknown backup partition
      if (!backup)
        throw new LunaError('0x00000003', 'CKR_ARGUMENTS_BAD', `No backup partition ${label} on slot ${from.id}.`);
      await requireBackupSo(c, from.id, c.options.password);
      const appliance = applianceStore(target.slot.appliance!);
      const firmware = appliance.read().firmware;
      if (
        backup.sourceFirmware &&
        compareVersions(backup.sourceFirmware, V0_V1_FIRMWARE) >= 0 &&
        compareVersions(firmware, V0_V1_FIRMWARE) < 0
      ) {
        throw new LunaError(
          '0x80000000',
          'CKR_DEVICE_ERROR',
          `Backup ${label} was made from firmware ${backup.sourceFirmware}: it cannot be restored to firmware ${firmware}.`,
        );
      }
      const handles = Array.from({ length: backup.objects }, (_, i) => 200 + i);
      if (backup.domain !== target.secrets?.domain) {
        const lines = handles
          .slice(0, 1)
          .map((h) => `  Failed to clone object ${h}: the partition could not verify it (CKR_CERTIFICATE_INVALID).`);
        throw new LunaError(
          '0x80000000',
          'CKR_CERTIFICATE_INVALID',
          'The cloning domain of the partition does not match the backup partition.',
          lines.join(CRLF),
        );
      }
      appliance.update((s) => {
        const p = s.partitions.find((x) => x.serial === target.partition.serial);
        if (p) p.objects += backup.objects;
      });
      return restoreOutput(label, handles, target.slot.id).join(CRLF);
    },
  };
}

/** `partition clear`: every object of the current partition is deleted, as its Crypto Officer;
 * `proceed` unless `-force` (guessed from LunaCM's other destructive commands: no page of it was
 * found in the search index). */
function clearCommand(dirs: string[], secrets: PartitionSecrets): CommandSpec<BackupState> {
  return {
    words: ['partition', 'clear'],
    options: { force: 'flag' },
    run: async (c) => {
      const target = currentPartition(c, dirs, secrets);
      requireCryptoOfficer(c, target);
      if (!c.options.force) {
        const question = `${CRLF}  You are about to delete all objects on the partition in slot ${target.slot.id}.${CRLF}${CRLF}  ${LUNACM_QUESTIONS.proceed}`;
        if (!(await c.confirm(question))) throw new LunaError('0x0000000b', 'User Cancelled Operation');
      }
      let cleared = 0;
      applianceStore(target.slot.appliance!).update((s) => {
        const p = s.partitions.find((x) => x.serial === target.partition.serial);
        if (p) [cleared, p.objects] = [p.objects, 0];
      });
      return partitionClearOutput(cleared).join(CRLF);
    },
  };
}

export function lunacmCommands(dirs: string[], secrets: PartitionSecrets): CommandSpec<BackupState>[] {
  return [
    { words: ['slot', 'list'], run: async (c) => slotList(c.state, dirs, c.session.slot ?? 0) },
    {
      words: ['slot', 'set'],
      options: { slot: 'value' },
      required: ['slot'],
      run: async (c) => {
        const slot = slotOf(c, dirs, Number(c.options.slot));
        c.session.slot = slot.id;
        if (c.session.role && c.session.role.slot !== slot.id) c.session.role = undefined;
        return `${CRLF}        Current Slot Id:    ${slot.id}     (${slot.description})`;
      },
    },
    {
      words: ['role', 'login'],
      options: { name: 'value', password: 'value' },
      required: ['name'],
      run: async (c) => {
        const name = String(c.options.name).toLowerCase();
        if (name !== 'co' && name !== 'crypto officer')
          throw new LunaError(
            '0x00000003',
            'CKR_ARGUMENTS_BAD',
            `The simulator logs in only the Crypto Officer, not ${String(c.options.name)}.`,
          );
        const source = currentPartition(c, dirs, secrets);
        if (!source.secrets)
          throw new LunaError(
            '0x00000102',
            'CKR_USER_PIN_NOT_INITIALIZED',
            `The Crypto Officer of ${source.partition.name} is not initialized.`,
          );
        const key = attemptsKey(source);
        // a locked-out Crypto Officer is refused whatever is typed (Thales, `role login`)
        if (coAttemptsLeft(c.state, key) === 0)
          throw new LunaError(
            '0x000000a4',
            'CKR_PIN_LOCKED',
            `The Crypto Officer of ${source.partition.name} is locked out.`,
          );
        const password =
          typeof c.options.password === 'string' ? c.options.password : await secret(c, `${CRLF}${ENTER_PASSWORD}`);
        if (password !== source.secrets.co) {
          // each wrong password counts; a successful login resets the count (Thales, `role login`)
          c.state.coLoginAttemptsLeft[key] = coAttemptsLeft(c.state, key) - 1;
          throw new LunaError('0x000000a0', 'CKR_PIN_INCORRECT');
        }
        c.state.coLoginAttemptsLeft[key] = CO_LOGIN_ATTEMPTS;
        c.session.role = { slot: source.slot.id, name: 'co' };
        return '';
      },
    },
    {
      // the command and "Locked out": Thales LunaCM reference, `role login` ("The output of role
      // show ... gives a status of \"Locked out\""); the "State of role" heading as public
      // LunaCM automation reads it; every other line's words guessed
      words: ['role', 'show'],
      options: { name: 'value' },
      required: ['name'],
      run: async (c) => {
        const name = String(c.options.name).toLowerCase();
        if (name !== 'co' && name !== 'crypto officer')
          throw new LunaError(
            '0x00000003',
            'CKR_ARGUMENTS_BAD',
            `The simulator shows only the Crypto Officer, not ${String(c.options.name)}.`,
          );
        const source = currentPartition(c, dirs, secrets);
        const left = coAttemptsLeft(c.state, attemptsKey(source));
        const loggedIn = c.session.role?.slot === source.slot.id;
        return [
          '',
          `   State of role Crypto Officer on slot ${source.slot.id}:`,
          `        ${source.secrets ? 'Initialized.' : 'Not initialized.'}`,
          `        ${loggedIn ? 'Logged in.' : 'Not logged in.'}`,
          `        ${left === 0 ? 'Locked out.' : 'Not locked out.'}`,
          `        Login attempts left: ${left}`,
        ].join(CRLF);
      },
    },
    {
      words: ['role', 'logout'],
      run: async (c) => {
        c.session.role = undefined;
        return '';
      },
    },
    backupCommand(dirs, secrets),
    restoreCommand(dirs, secrets),
    clearCommand(dirs, secrets),
    {
      words: ['partition', 'archive', 'list'],
      options: { slot: 'value' },
      required: ['slot'],
      run: async (c) => {
        if (slotOf(c, dirs, Number(c.options.slot)).appliance) throw slotInvalid('Not a Backup HSM slot.');
        return archiveList(c.state.backups).join(CRLF);
      },
    },
    archiveDeleteCommand(dirs),
  ];
}

/** LunaCM's result and error lines. */
export function lunacm(dirs: string[], secrets: PartitionSecrets): ShellDialect<BackupState> {
  return {
    commands: lunacmCommands(dirs, secrets),
    success: 'Command Result : No Error',
    failure: (error) =>
      `Command Result : ${error ? `${error.code} (${error.name})` : '0x00000003 (CKR_ARGUMENTS_BAD)'}`,
    errorLine: (_command, _code, name) => `Error in execution: ${name}.`,
    role: () => 'admin',
  };
}
