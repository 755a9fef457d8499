import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter, Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { historyShapeProblems } from '../verifier/history-shape';

// Replay exported histories with the current workflow code, each within a time limit, without
// letting the SDK write to stdout.
//
// Why a child process: `Worker.runReplayHistories` waits for the SDK core to evict each run and
// has no time limit; a crafted history can keep core from ever evicting (an update accepted after
// the close event; a lone WorkflowExecutionStarted) or make core's replay poller panic, and then the
// replay waits forever. A stalled replay worker cannot be stopped in-process (the generator is
// parked in an await, so return() never runs, and the worker is not reachable to shut down), and it
// keeps the process alive. So the replays run in one child process for the whole batch, which
// streams a result per history back over IPC and is killed only when a history exceeds its limit
// (or the child dies); the histories after it go to a fresh child.

export { historyShapeProblems } from '../verifier/history-shape';

export interface ReplayItem {
  workflowId: string;
  /** the history as parsed JSON (`temporal workflow show --output json`) */
  history: unknown;
}

export type ReplayFailureKind =
  /** the history is not well formed (see historyShapeProblems); it was not replayed */
  | 'shape'
  /** the payloads could not be decoded with the data converter's codecs; not replayed */
  | 'decode'
  /** the replay did not finish within the time limit; the replayer was stopped */
  | 'timeout'
  /** the replayer process died or failed while replaying this history */
  | 'crash'
  /** the replay ran and failed: non-determinism or another replay error */
  | 'replay';

export interface ReplayOutcome {
  workflowId: string;
  /** Why the history does not replay, as one readable sentence; absent when it replays cleanly. */
  error?: string;
  kind?: ReplayFailureKind;
  /** the shape problems, one sentence each, when kind is 'shape' */
  problems?: string[];
  /** the SDK's full message, when kind is 'replay' */
  detail?: string;
}

export interface ReplayOptions {
  /** the workflow bundle to replay with (`cachedReplayBundle()` for the current code) */
  workflowBundlePath: string;
  /** Payload codecs are applied here (decode) before the history goes to the child, since codec
   * instances cannot cross the process boundary; payloadConverterPath/failureConverterPath are
   * passed on to the replay worker. */
  dataConverter?: DataConverter;
  /** per history, from the moment the replayer takes it; default 30 s */
  timeLimitMs?: number;
  /** for the replayer to start (load the workflow code); default 120 s */
  startLimitMs?: number;
  /** SDK and core logs at INFO and above instead of WARN and above */
  verbose?: boolean;
  /** where the child's output (SDK logs, panics) goes; default: this process's stderr, never stdout */
  onLog?: (text: string) => void;
}

export const DEFAULT_TIME_LIMIT_MS = 30_000;
const DEFAULT_START_LIMIT_MS = 120_000;
/** histories sent to the child ahead of the one being replayed */
const WINDOW = 4;

// ---- the parent <-> child protocol (IPC, advanced serialization); the child's stdout and stderr
// carry only logs, which the parent passes to stderr ----

/** bumped when the messages change, so a stale dist/ child is refused instead of misread */
export const REPLAY_PROTOCOL = 2;

export type ToChild =
  | {
      type: 'init';
      protocol: number;
      codePath: string;
      payloadConverterPath?: string;
      failureConverterPath?: string;
      verbose: boolean;
    }
  | { type: 'history'; index: number; workflowId: string; history: unknown }
  | { type: 'end' };

export type FromChild =
  | { type: 'ready'; protocol: number }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; error?: string; kind?: ReplayFailureKind; detail?: string }
  | { type: 'failed'; message: string }
  | { type: 'done' };

// ---- replay failures, as one sentence ----

/** The message inside core's `Failure { failure: Some(Failure { message: "…", …`, unescaped. */
function innerFailureMessage(text: string): string | undefined {
  const m = /message: "((?:[^"\\]|\\.)*)"/.exec(text);
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

/** A replay error from the SDK as one readable sentence (+ the full message as detail). */
export function describeReplayError(error: { name?: string; message: string }): {
  error: string;
  kind: ReplayFailureKind;
  detail: string;
} {
  const inner = innerFailureMessage(error.message);
  const short = (inner ?? error.message.split('\n')[0]).slice(0, 500);
  const sentence =
    error.name === 'DeterminismViolationError' || /nondetermin/i.test(error.message)
      ? `the current workflow code does not reproduce this history (nondeterminism): ${short}`
      : `the replay failed: ${short}`;
  return { error: sentence, kind: 'replay', detail: error.message };
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;

// ---- codecs: decode in the parent ----

/** The history with every payload decoded by the codecs (last codec first, as the SDK decodes), as JSON again. */
/** The history (parsed JSON) with every payload decoded by the codecs (decryption), as JSON again. */
export async function decodedHistory(
  history: unknown,
  codecs: NonNullable<DataConverter['payloadCodecs']>,
): Promise<unknown> {
  const parsed = historyFromJSON(history);
  const all: Payload[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
      const v = value as Record<string, unknown>;
      if ('metadata' in v && 'data' in v) all.push(v);
      else Object.values(v).forEach(collect);
    }
  };
  collect(parsed.events);
  let decoded = all;
  for (const codec of [...codecs].reverse()) decoded = await codec.decode(decoded);
  all.forEach((p, i) => {
    p.metadata = decoded[i].metadata;
    p.data = decoded[i].data;
  });
  return JSON.parse(historyToJSON(parsed));
}

// ---- the child ----

/** The compiled child entry: beside this file when running from dist/, else dist/ of the project. */
export function replayChildPath(): string {
  const beside = join(__dirname, 'replay-child.js');
  if (existsSync(beside)) return beside;
  const built = join(__dirname, '..', '..', 'dist', 'audit', 'tooling', 'replay-child.js');
  if (existsSync(built)) return built;
  throw new Error(`${built} is missing: compile first (npm run build)`);
}

interface Pending {
  index: number;
  workflowId: string;
  history: unknown;
}

/**
 * Replay each history with the current workflow code, in one child process, each within
 * `timeLimitMs`. Always resolves, with one outcome per item in order; never writes to stdout.
 */
export async function replayHistories(items: ReplayItem[], options: ReplayOptions): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = items.map(({ workflowId }) => ({ workflowId }));
  let pending: Pending[] = [];
  const codecs = options.dataConverter?.payloadCodecs ?? [];
  for (const [index, item] of items.entries()) {
    const problems = historyShapeProblems(item.history);
    if (problems.length > 0) {
      outcomes[index] = {
        workflowId: item.workflowId,
        kind: 'shape',
        problems,
        error: `the history is not well formed: ${problems.join('; ')}`,
      };
      continue;
    }
    let history = item.history;
    if (codecs.length > 0) {
      try {
        history = await decodedHistory(history, codecs);
      } catch (err) {
        outcomes[index] = {
          workflowId: item.workflowId,
          kind: 'decode',
          error: `the history's payloads cannot be decoded: ${(err as Error).message}`,
        };
        continue;
      }
    }
    pending.push({ index, workflowId: item.workflowId, history });
  }
  if (pending.length === 0) return outcomes;

  const settle = (index: number, outcome: Omit<ReplayOutcome, 'workflowId'>) => {
    outcomes[index] = { workflowId: items[index].workflowId, ...outcome };
  };
  const settled = new Set<number>();
  while (pending.length > 0) {
    await runChild(pending, options, (index, outcome) => {
      settled.add(index);
      settle(index, outcome);
    });
    const before = pending.length;
    pending = pending.filter((p) => !settled.has(p.index));
    if (pending.length === before) {
      // cannot happen (every run settles at least one history), but never loop forever
      for (const p of pending)
        settle(p.index, { kind: 'crash', error: 'the replayer stopped without replaying this history' });
      break;
    }
  }
  return outcomes;
}

/** One child over `pending`: settles what it replays; on a timeout or a crash settles the history
 * being replayed and returns, leaving the rest to the next child. */
function runChild(
  pending: Pending[],
  options: ReplayOptions,
  settle: (index: number, outcome: Omit<ReplayOutcome, 'workflowId'>) => void,
): Promise<void> {
  const timeLimitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const startLimitMs = options.startLimitMs ?? DEFAULT_START_LIMIT_MS;
  const log = options.onLog ?? ((text: string) => void process.stderr.write(text));
  return new Promise<void>((resolve) => {
    let child: ChildProcess;
    try {
      child = fork(replayChildPath(), [], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        serialization: 'advanced',
        execArgv: [],
      });
    } catch (err) {
      for (const p of pending)
        settle(p.index, { kind: 'crash', error: `the replayer could not be started: ${(err as Error).message}` });
      resolve();
      return;
    }
    const open = new Set(pending.map((p) => p.index));
    let sent = 0;
    let current: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    let stderrTail = '';
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-4000);
      log(text);
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);

    const lastLine = () =>
      stderrTail
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^\d+:|^at |^note:|backtrace/i.test(l))
        .slice(-1)[0]
        ?.slice(0, 300);
    const arm = (ms: number, onFire: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(onFire, ms);
    };
    const send = (message: ToChild) => {
      // a child that just died cannot take it: its exit is handled below
      if (child.connected) child.send(message, () => {});
    };
    let ended = false;
    const pump = () => {
      while (sent < pending.length && sent - (pending.length - open.size) < WINDOW) {
        const p = pending[sent++];
        try {
          send({ type: 'history', index: p.index, workflowId: p.workflowId, history: p.history });
        } catch (err) {
          // e.g. a history too deep to serialise: its own verdict, the others go on
          if (open.delete(p.index))
            settle(p.index, {
              kind: 'shape',
              error: `the history cannot be passed to the replayer: ${(err as Error).message}`,
            });
        }
      }
      if (sent === pending.length && !ended) {
        ended = true;
        send({ type: 'end' });
      }
    };
    /** Settle every open history with `outcome` (the child could not replay any of them). */
    const settleAll = (outcome: Omit<ReplayOutcome, 'workflowId'>) => {
      for (const index of open) settle(index, outcome);
      open.clear();
    };
    /** Stop listening and kill the child; resolves once it is gone and its output is read ('close'). */
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.removeAllListeners('message');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // 'close' follows a SIGKILL at once; should anything hold its pipes open, go on regardless
      setTimeout(() => resolve(), 5_000).unref();
    };

    const converter = options.dataConverter;
    send({
      type: 'init',
      protocol: REPLAY_PROTOCOL,
      codePath: options.workflowBundlePath,
      verbose: Boolean(options.verbose),
      ...(converter?.payloadConverterPath ? { payloadConverterPath: converter.payloadConverterPath } : {}),
      ...(converter?.failureConverterPath ? { failureConverterPath: converter.failureConverterPath } : {}),
    });
    arm(startLimitMs, () => {
      settleAll({ kind: 'timeout', error: `the replayer did not start within ${seconds(startLimitMs)}` });
      finish();
    });

    child.on('message', (message: FromChild) => {
      switch (message.type) {
        case 'ready':
          if (message.protocol !== REPLAY_PROTOCOL) {
            settleAll({
              kind: 'crash',
              error: `the replayer at ${replayChildPath()} speaks protocol ${message.protocol}, not ${REPLAY_PROTOCOL}: recompile (npm run build)`,
            });
            finish();
            return;
          }
          clearTimeout(timer);
          pump();
          break;
        case 'start':
          current = message.index;
          arm(timeLimitMs, () => {
            settle(message.index, {
              kind: 'timeout',
              error: `the replay did not finish within ${seconds(timeLimitMs)}; the replayer was stopped`,
            });
            open.delete(message.index);
            finish();
          });
          break;
        case 'result':
          if (current === message.index) {
            clearTimeout(timer);
            current = undefined;
          }
          if (open.delete(message.index))
            settle(
              message.index,
              message.error
                ? {
                    error: message.error,
                    kind: message.kind ?? 'replay',
                    ...(message.detail ? { detail: message.detail } : {}),
                  }
                : {},
            );
          pump();
          break;
        case 'failed':
          // the replay worker threw: blame the history it was on, or all if it never got going
          if (current !== undefined && open.delete(current))
            settle(current, { kind: 'crash', error: `the replayer failed on this history: ${message.message}` });
          else settleAll({ kind: 'crash', error: `the replayer failed: ${message.message}` });
          finish();
          break;
        case 'done':
          // every history was sent and replayed; wait for the exit, but not forever
          arm(5_000, () => finish());
          break;
      }
    });
    child.on('error', (err) => {
      settleAll({ kind: 'crash', error: `the replayer could not run: ${err.message}` });
      finish();
      resolve();
    });
    // 'close', not 'exit': the child's last output (its logs) is read by then
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (finished) {
        resolve();
        return;
      }
      finished = true;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const why = lastLine();
      if (current !== undefined && open.delete(current))
        settle(current, {
          kind: 'crash',
          error: `the replayer ${how} while replaying this history${why ? `: ${why}` : ''}`,
        });
      else if (open.size > 0 && sent === 0)
        settleAll({ kind: 'crash', error: `the replayer ${how} before replaying anything${why ? `: ${why}` : ''}` });
      else if (open.size > 0 && current === undefined) {
        // died between histories: blame the next one it would have taken, so the rest go on
        const next = pending.find((p) => open.has(p.index))!;
        open.delete(next.index);
        settle(next.index, {
          kind: 'crash',
          error: `the replayer ${how} before replaying this history${why ? `: ${why}` : ''}`,
        });
      }
      resolve();
    });
  });
}
