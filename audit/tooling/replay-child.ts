// The replay child (forked by replay.ts, see there why): replays the histories the parent sends
// over IPC with Worker.runReplayHistories and reports, per history, when the replayer takes it
// ('start') and how it ended ('result'). Logs go to stderr; stdout carries nothing.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describeReplayError, REPLAY_PROTOCOL, type FromChild, type ToChild } from './replay';
import { flushReplayLogs, installReplayLogger } from './replay-logs';
import { skipPromiseStackTraces } from '../../worker/promise-stack-traces';

type Init = Extract<ToChild, { type: 'init' }>;
type Item = { index: number; workflowId: string; history: ReturnType<typeof historyFromJSON> };

const send = (message: FromChild): Promise<void> =>
  new Promise((resolve) => {
    if (process.connected) process.send!(message, undefined, {}, () => resolve());
    else resolve();
  });
/** Leave once the last message is written and the core's last log lines have reached us (they
 * are forwarded from its thread in batches): the parent then sees the exit. */
const leave = () => {
  setTimeout(() => {
    flushReplayLogs();
    process.disconnect?.();
  }, 300);
};

/** The histories as the parent sends them, as an async iterable for the replayer. */
class Inbox implements AsyncIterable<Item> {
  private items: Item[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  push(item: Item) {
    this.items.push(item);
    this.wake?.();
  }
  end() {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    for (;;) {
      const item = this.items.shift();
      if (item) yield item;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

const inbox = new Inbox();
let started = false;

process.on('disconnect', () => process.exit(0)); // the parent is gone: nobody to report to
process.on('message', (message: ToChild) => {
  if (message.type === 'init' && !started) {
    started = true;
    run(message).catch((err) => send({ type: 'failed', message: (err as Error).message }).then(leave));
  } else if (message.type === 'history') {
    let history;
    try {
      history = historyFromJSON(message.history);
    } catch (err) {
      void send({
        type: 'result',
        index: message.index,
        kind: 'shape',
        error: `the history cannot be read: ${(err as Error).message}`,
      });
      return;
    }
    inbox.push({ index: message.index, workflowId: message.workflowId, history });
  } else if (message.type === 'end') inbox.end();
});

async function run(init: Init): Promise<void> {
  installReplayLogger({ verbose: init.verbose });
  skipPromiseStackTraces();
  const { codePath } = init;
  const dataConverter =
    init.payloadConverterPath || init.failureConverterPath
      ? { payloadConverterPath: init.payloadConverterPath, failureConverterPath: init.failureConverterPath }
      : undefined;

  const taken: number[] = [];
  async function* histories() {
    for await (const item of inbox) {
      taken.push(item.index);
      void send({ type: 'start', index: item.index });
      yield { workflowId: item.workflowId, history: item.history };
    }
  }
  void send({ type: 'ready', protocol: REPLAY_PROTOCOL });
  for await (const replay of Worker.runReplayHistories(
    { workflowBundle: { codePath }, replayName: 'audit', dataConverter },
    histories(),
  )) {
    const index = taken.shift()!;
    void send(
      replay.error ? { type: 'result', index, ...describeReplayError(replay.error) } : { type: 'result', index },
    );
  }
  await send({ type: 'done' });
  leave();
}
