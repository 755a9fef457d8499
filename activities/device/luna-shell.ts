import { createHash } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { Client, type ClientChannel } from 'ssh2';
import {
  AuthenticationFailed,
  DeviceConnectionLost,
  HostKeyMismatch,
  LunaCommandError,
  NoUsableAuthMethod,
  PasswordChangeRequired,
  UnansweredLoginQuestion,
  UnansweredPrompt,
  UnreadableOutput,
} from './errors';
import { deviceWarnings, isWarningLine, normaliseOutput, parseResult, type LunashResult } from './lunash-parser';
import { scpDownload, scpUpload } from './scp';
import { scrub } from './secrets';
import { inSpan } from '../../runtime/spans';

export interface LunaTarget {
  host: string;
  port: number;
  /** Pinned `SHA256:` fingerprint from the inventory. */
  hostKeyFingerprint: string;
}

export interface Answer {
  /** Matched against the output since the command (or the last answer) was sent. The reply goes
   * only once the question is complete: it has ended the way lunash ends a question (`>`). */
  prompt: RegExp;
  reply: string;
  /** Where the device names whose secret it asks for on the line before the question (LunaCM's
   * `enter password:` after `Logging in as the SO on slot 0.`): that line (the nearest non-blank
   * line above the question's own) must match this too, or the answer does not fit. */
  leadIn?: RegExp;
}

/** The question the device is asking at the end of `text` (what it printed since the command or
 * the last answer): its own line (the words before lunash's `> ` line, or LunaCM's line ending
 * `: ` / `->`) and the nearest non-blank line above it, if any. `command`: the PTY's echo of it
 * is not a line of the question. */
export function pendingQuestion(text: string, command?: string): { question: string; leadIn?: string } {
  const lines = normaliseOutput(text)
    .split('\n')
    .map((l) => l.trim());
  if (command !== undefined && lines[0] === command.trim()) lines.shift();
  const said = lines.filter((l) => l !== '');
  let at = said.length - 1;
  // lunash asks on one line and reads after a `>` on the next
  if (at > 0 && /^>$/.test(said[at])) at--;
  // a warning printed between them does not hide the line that names whose secret it is
  const leadIn = said
    .slice(0, Math.max(0, at))
    .filter((l) => !isWarningLine(l))
    .pop();
  return { question: said[at] ?? '', ...(leadIn !== undefined ? { leadIn } : {}) };
}

/** The answer that fits the question `text` ends with, if it is complete and one fits. */
export function answerFor(text: string, answers: readonly Answer[], command?: string): number {
  if (!QUESTION_END.test(text)) return -1;
  const { leadIn } = pendingQuestion(text, command);
  return answers.findIndex(
    (a) => a.prompt.test(text) && (a.leadIn === undefined || (leadIn !== undefined && a.leadIn.test(leadIn))),
  );
}

/** How lunash and LunaCM end a question (`… password:\r\n> `, `… 'quit' to quit now. >`,
 * LunaCM's `… or 'quit' to quit now ->` and `Enter password for Partition SO: `): a reader that
 * flushes pending input (as getpass does) would drop a reply sent on a prefix. */
const QUESTION_END = /(?:>\s?|: )$/;

/** The workstation's shell prompt, set at login as pexpect's pxssh does (`PS1='[PEXPECT]\$ '`):
 * the echo of the assignment (`…]\$ '`) cannot match it, whatever the host's own prompt was. */
const HOST_PROMPT_SET = "unset PROMPT_COMMAND; PS1='[CEREMONY]\\$ '";
const HOST_PROMPT = /\[CEREMONY\][$#] $/;
/** Appended to a host command: its exit status on a line of its own (bash: `$?`). */
const EXIT_STATUS = '; echo "[exit $?]"';
const EXIT_LINE = /^\[exit (\d+)\]$/;
/** A device that has asked a question none of the command's answers fits, and waits: fail now
 * (naming the question) rather than at the end of a long command's time. */
const UNANSWERED_QUESTION_MS = 10_000;

/** How to log in: a password (offered as `password`, and as `keyboard-interactive` answering the
 * server's password prompt), or a private key (`publickey`; Luna: `sysconf ssh publickey add`). */
export type LunaCredential = { password: string } | { privateKey: string; passphrase?: string };

export interface CommandOutput extends LunashResult {
  command: string;
  /** What the appliance printed, without the echo and the prompt, secrets scrubbed. */
  output: string;
  /** The `Warning:` lines it printed (see lunash-parser.ts), for the step's evidence. */
  warnings: string[];
}

/** lunash on the appliance, LunaCM on a backup workstation. */
const PROMPT = /luna(?:sh|cm):>\s*$/;
const RESULT_LINE = /Command Result\s*:/;

/** A command of the workstation's OS shell, with its exit status. */
export interface HostOutput {
  command: string;
  output: string;
  status: number;
}

export interface RunOptions {
  answers?: Answer[];
  secrets?: string[];
  allowError?: boolean;
  endsSession?: boolean;
  /** How long the command may take on a real appliance (default: the session's 15 s). */
  timeoutMs?: number;
  /** Keep at most this many characters of the output in the evidence (long logs). */
  keepChars?: number;
}
const FIRST_LOGIN = /For security purposes, you must change your/;

/** The words that name a command, as a span is named (`hsm show`, `partition create`): its leading
 * words, up to the first option or value and at most three. Never an argument: a value may be a
 * password, a label or a file name; nor any of `secrets`. */
export function commandName(command: string, secrets: ReadonlySet<string> = new Set()): string {
  const words: string[] = [];
  for (const word of command.trim().split(/\s+/)) {
    if (words.length === 3 || !/^[A-Za-z]+$/.test(word) || secrets.has(word)) break;
    words.push(word);
  }
  return words.join(' ') || '(unnamed)';
}

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** One interactive lunash session over SSH (PTY shell, as the appliance requires for prompts),
 * or a workstation's OS shell that starts LunaCM. */
export class LunaShell {
  private buffer = '';
  private ended = false;
  /** `host`: the workstation's OS shell (`runHost`); `luna`: lunash or LunaCM (`run`). */
  private mode: 'host' | 'luna' = 'luna';
  /** What `run` talks to, for its spans' names. */
  private tool: 'lunash' | 'lunacm' = 'lunash';
  private waiter: (() => void) | null = null;
  private readonly secrets = new Set<string>();

  private constructor(
    private readonly client: Client,
    private readonly stream: ClientChannel,
    readonly host: string,
    readonly user: string,
    private readonly timeoutMs: number,
    private readonly unansweredQuestionMs: number,
  ) {
    stream.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      this.waiter?.();
    });
    const onClose = () => {
      this.ended = true;
      this.waiter?.();
    };
    stream.on('close', onClose);
    client.on('close', onClose);
    client.on('error', onClose);
  }

  /** Connect with the pinned host key and a credential; wait for the lunash prompt. With
   * `firstLogin`, complete Azure's forced password change; without it, that dialog is an error. */
  static async open(
    target: LunaTarget,
    user: string,
    credential: LunaCredential,
    options: {
      timeoutMs?: number;
      firstLogin?: { newPassword: string };
      hostShell?: boolean;
      unansweredQuestionMs?: number;
    } = {},
  ): Promise<LunaShell> {
    const where = `${target.host}:${target.port}`;
    return inSpan('ssh login', { 'device.address': where }, () => LunaShell.login(target, user, credential, options));
  }

  private static async login(
    target: LunaTarget,
    user: string,
    credential: LunaCredential,
    options: Parameters<typeof LunaShell.open>[3] = {},
  ): Promise<LunaShell> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const where = `${target.host}:${target.port}`;
    let seen: string | undefined;
    const auth = authentication(user, credential);
    const client = new Client();
    const sock = netConnect({ host: target.host, port: target.port });
    sock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      // `on`, not `once`: ssh2 may emit several errors for one failed connection (e.g. a reset
      // and "lost before handshake" while an appliance reboots); an unhandled one kills the worker
      client.on('error', (err: Error & { level?: string }) => {
        if (seen !== undefined && seen !== target.hostKeyFingerprint)
          reject(new HostKeyMismatch(where, target.hostKeyFingerprint, seen));
        else if (err.level === 'client-authentication') reject(auth.failure(where));
        else reject(new DeviceConnectionLost(where, `connect (${err.message})`));
      });
      client.once('close', () => reject(new DeviceConnectionLost(where, 'connect')));
      client.connect({
        sock,
        username: user,
        readyTimeout: timeoutMs,
        authHandler: auth.next,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return seen === target.hostKeyFingerprint;
        },
      });
    });
    const stream = await new Promise<ClientChannel>((resolve, reject) =>
      client.shell({ term: 'vt100', cols: 200, rows: 60 }, (err, s) =>
        err ? reject(new DeviceConnectionLost(where, 'shell')) : resolve(s),
      ),
    );
    const shell = new LunaShell(
      client,
      stream,
      where,
      user,
      timeoutMs,
      options.unansweredQuestionMs ?? UNANSWERED_QUESTION_MS,
    );
    if ('password' in credential) shell.secrets.add(credential.password);
    if (options.hostShell) {
      // typed ahead: the shell reads it once it is ready, whatever its banner and own prompt
      shell.mode = 'host';
      stream.write(`${HOST_PROMPT_SET}\r`);
      await shell.waitFor((text) => HOST_PROMPT.test(text), 'login (shell prompt)');
      shell.buffer = '';
      return shell;
    }
    await shell.waitFor((text) => PROMPT.test(text) || FIRST_LOGIN.test(text), 'login');
    if (FIRST_LOGIN.test(shell.buffer)) {
      if (!options.firstLogin) {
        shell.close();
        throw new PasswordChangeRequired(where, user);
      }
      shell.secrets.add(options.firstLogin.newPassword);
      // the appliance's passwd asks "New password: " (a trailing space ends the question)
      for (const [prompt, reply] of [
        [/New password: $/, options.firstLogin.newPassword],
        [/Retype new password: $/, options.firstLogin.newPassword],
      ] as const) {
        await shell.waitFor((text) => prompt.test(text), 'first-login password change');
        shell.stream.write(`${reply}\r`);
      }
      await shell.waitFor(
        (text) => PROMPT.test(text) || /passwd: Authentication token manipulation error/.test(text),
        'first-login password change',
      );
      if (!PROMPT.test(shell.buffer)) {
        const reason = shell.buffer.split(/\r?\n/).find((l) => /BAD PASSWORD|Sorry/i.test(l)) ?? 'refused';
        shell.close();
        throw new LunaCommandError('(first login password change)', 1, 'password change refused', [reason.trim()]);
      }
    }
    shell.buffer = '';
    return shell;
  }

  /** Wait until `done` holds for what the device printed. `unanswered`: the failure when the
   * device has asked a question nobody answers (undefined while it has not) and then says nothing
   * more for the session's `unansweredQuestionMs`. */
  private waitFor(
    done: (text: string) => boolean,
    during: string,
    timeoutMs = this.timeoutMs,
    unanswered?: (text: string) => Error | undefined,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let stall: NodeJS.Timeout | undefined;
      const finish = (err?: Error) => {
        clearTimeout(timer);
        clearTimeout(stall);
        this.waiter = null;
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new DeviceConnectionLost(this.host, `${during} (no answer in ${timeoutMs} ms)`)),
        timeoutMs,
      );
      const check = () => {
        clearTimeout(stall);
        if (done(this.buffer)) finish();
        else if (this.ended) finish(new DeviceConnectionLost(this.host, during));
        else {
          const question = unanswered?.(this.buffer);
          if (question) stall = setTimeout(() => finish(question), this.unansweredQuestionMs);
        }
      };
      this.waiter = check;
      check();
    });
  }

  /** Run a command of the workstation's OS shell; its output (no echo, no prompt, secrets
   * scrubbed) and exit status. */
  async runHost(command: string, options: { timeoutMs?: number } = {}): Promise<HostOutput> {
    if (this.mode !== 'host') throw new Error(`'${command}' is a shell command: this session runs lunash or LunaCM`);
    return this.inCommandSpan('shell', command, () => this.hostCommand(command, options));
  }

  /** A span per device command, named by the command's words only (`lunash hsm show`): never
   * its arguments nor its output. */
  private inCommandSpan<T>(tool: string, command: string, fn: () => Promise<T>): Promise<T> {
    return inSpan(`${tool} ${commandName(command, this.secrets)}`, { 'device.address': this.host }, fn);
  }

  private async hostCommand(command: string, options: { timeoutMs?: number }): Promise<HostOutput> {
    this.buffer = '';
    this.stream.write(`${command}${EXIT_STATUS}\r`);
    await this.waitFor((text) => HOST_PROMPT.test(text), `'${command}'`, options.timeoutMs);
    const lines = normaliseOutput(this.buffer).split('\n');
    if (lines[0]?.trim() === `${command}${EXIT_STATUS}`.trim()) lines.shift(); // the PTY echo
    lines.pop(); // the prompt
    while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
    const status = EXIT_LINE.exec(lines.pop()?.trim() ?? '');
    const output = scrub(lines.join('\n').trim(), this.secrets);
    if (!status)
      throw new UnreadableOutput(command, 'no exit status line after the command', output.split('\n').slice(-1)[0]);
    return { command, output, status: Number(status[1]) };
  }

  /** Start LunaCM from the workstation's shell (`lunacm`, or its path) and wait for its prompt;
   * from then on `run` sends LunaCM commands. Its banner and slot list go to the transcript. */
  async startLunacm(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
    if (this.mode !== 'host') throw new Error("LunaCM is started from the workstation's shell");
    return inSpan('lunacm start', { 'device.address': this.host }, () => this.lunacm(command, options));
  }

  private async lunacm(command: string, options: { timeoutMs?: number }): Promise<string> {
    this.buffer = '';
    this.stream.write(`${command}\r`);
    await this.waitFor((text) => PROMPT.test(text) || HOST_PROMPT.test(text), `'${command}'`, options.timeoutMs);
    const lines = normaliseOutput(this.buffer).split('\n');
    if (lines[0]?.trim() === command) lines.shift();
    const last = lines.pop() ?? '';
    const output = scrub(lines.join('\n').trim(), this.secrets);
    // back at the shell prompt: LunaCM did not start (not installed, not on PATH)
    if (!PROMPT.test(last))
      throw new UnreadableOutput(command, 'the shell did not start LunaCM', output.split('\n').slice(-1)[0] ?? '');
    this.mode = 'luna';
    this.tool = 'lunacm';
    this.buffer = '';
    return output;
  }

  /** Run one command, answering its prompts; throws LunaCommandError on a non-zero result.
   * `endsSession`: the appliance closes the connection after the result (reboot). */
  async run(command: string, options: RunOptions = {}): Promise<CommandOutput> {
    if (this.mode !== 'luna') throw new Error(`'${command}' is a LunaCM command: start LunaCM first`);
    for (const s of options.secrets ?? []) this.secrets.add(s);
    return this.inCommandSpan(this.tool, command, () => this.command(command, options));
  }

  private async command(command: string, options: RunOptions): Promise<CommandOutput> {
    const answers = [...(options.answers ?? [])];
    this.buffer = '';
    let answeredUpTo = 0;
    this.stream.write(`${command}\r`);
    const finished = (text: string) =>
      PROMPT.test(text) || (options.endsSession === true && this.ended && RESULT_LINE.test(text));
    const echo = () => (answeredUpTo === 0 ? command : undefined);
    const asked = (text: string) => answerFor(text, answers, echo());
    for (;;) {
      const unanswered = (text: string) => {
        const since = text.slice(answeredUpTo);
        if (!QUESTION_END.test(since)) return undefined;
        const { leadIn } = pendingQuestion(since, echo());
        const last = (normaliseOutput(since).trim().split('\n').slice(-1)[0] ?? '').trim();
        return new UnansweredPrompt(
          this.host,
          command,
          scrub(last, this.secrets),
          leadIn === undefined ? undefined : scrub(leadIn, this.secrets),
        );
      };
      await this.waitFor(
        (text) => finished(text) || asked(text.slice(answeredUpTo)) >= 0,
        `'${command}'`,
        options.timeoutMs,
        unanswered,
      );
      if (finished(this.buffer)) break;
      const index = asked(this.buffer.slice(answeredUpTo));
      const [answer] = answers.splice(index, 1);
      answeredUpTo = this.buffer.length;
      this.stream.write(`${answer.reply}\r`);
    }
    const lines = normaliseOutput(this.buffer).split('\n');
    if (lines[0]?.trim() === command.trim()) lines.shift(); // the PTY echo
    if (PROMPT.test(lines[lines.length - 1] ?? '')) lines.pop(); // the prompt
    const output = scrub(lines.join('\n').trim(), this.secrets);
    const result = parseResult(output);
    const warnings = deviceWarnings(output);
    if (!result)
      throw new LunaCommandError(command, -1, 'no result line', [output.split('\n').slice(-1)[0] ?? ''], warnings);
    const out: CommandOutput = { command, output, warnings, ...result };
    if (!options.allowError && (result.code !== 0 || result.errors.length > 0)) {
      throw new LunaCommandError(
        command,
        result.code,
        result.text,
        result.errors.map((e) => e.line).concat(result.errors.length ? [] : lastLines(output)),
        warnings,
      );
    }
    return out;
  }

  /** Copy a file into the login user's directory with scp (how update packages reach the
   * appliance; it may offer no SFTP subsystem). */
  async upload(remoteName: string, data: Buffer, timeoutMs = this.timeoutMs): Promise<void> {
    await inSpan('scp upload', { 'device.address': this.host }, () =>
      scpUpload(this.client, this.host, remoteName, data, timeoutMs),
    );
  }

  /** Fetch a file from the login user's directory with scp (`scp <user>@<host>:<file> .`). */
  async download(remoteName: string, timeoutMs = this.timeoutMs): Promise<Buffer> {
    return inSpan('scp download', { 'device.address': this.host }, () =>
      scpDownload(this.client, this.host, remoteName, timeoutMs),
    );
  }

  /** The connection is gone (closed by either side). */
  get closed(): boolean {
    return this.ended;
  }

  /** Does the device still answer? An empty line, and its prompt again within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<boolean> {
    if (this.ended) return false;
    const prompt = this.mode === 'host' ? HOST_PROMPT : PROMPT;
    this.buffer = '';
    this.stream.write('\r');
    try {
      await this.waitFor((text) => prompt.test(text), 'session check', timeoutMs);
      return true;
    } catch {
      return false;
    } finally {
      this.buffer = '';
    }
  }

  close(): void {
    if (!this.ended) {
      this.stream.end('exit\r');
      this.client.end();
    }
    this.ended = true;
  }
}

/** ssh2's authentication order for one credential: first `none` (to learn what the server
 * offers), then each of our methods the server offers. Afterwards, why it failed: the server
 * offered nothing we have, or refused what we sent, or asked a question we do not answer. */
function authentication(user: string, credential: LunaCredential) {
  const ours = 'password' in credential ? (['password', 'keyboard-interactive'] as const) : (['publickey'] as const);
  let offered: string[] | undefined;
  const tried: string[] = [];
  let unknownPrompt: string | undefined;
  const method = (name: (typeof ours)[number]) => {
    if (name === 'publickey' && 'privateKey' in credential)
      return {
        type: 'publickey' as const,
        username: user,
        key: credential.privateKey,
        passphrase: credential.passphrase,
      };
    if (name === 'password' && 'password' in credential)
      return { type: 'password' as const, username: user, password: credential.password };
    const password = 'password' in credential ? credential.password : '';
    return {
      type: 'keyboard-interactive' as const,
      username: user,
      prompt: (
        _name: string,
        _instructions: string,
        _lang: string,
        prompts: { prompt: string }[],
        finish: (answers: string[]) => void,
      ) => {
        // answer the password prompt only; anything else (a one-time code, a question) we refuse
        const unknown = prompts.find((p) => !/password/i.test(p.prompt));
        if (unknown) unknownPrompt = unknown.prompt.trim();
        finish(unknown ? [] : prompts.map(() => password));
      },
    };
  };
  return {
    next: (methodsLeft: string[] | null) => {
      if (methodsLeft === null) return { type: 'none' as const, username: user };
      offered = methodsLeft;
      // one attempt: a password refused over one method is refused over the other too (and each
      // failed login may count against the account)
      const name = ours.find((m) => methodsLeft.includes(m));
      if (!name || tried.length > 0) return false;
      tried.push(name);
      return method(name);
    },
    failure: (where: string): Error => {
      if (tried.length === 0) return new NoUsableAuthMethod(where, user, offered ?? [], [...ours]);
      if (unknownPrompt) return new UnansweredLoginQuestion(where, user, unknownPrompt);
      return new AuthenticationFailed(
        where,
        user,
        'password' in credential ? 'wrong password for this appliance user' : 'the key was refused',
      );
    },
  };
}

function lastLines(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Command Result/.test(l))
    .slice(-1);
}
