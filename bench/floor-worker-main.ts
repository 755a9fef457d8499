import { loadConfig } from '../runtime/config';
import { WORKER_READY } from '../worker/process';
import { createFloorWorker } from './floor';

// The floor's worker in a process of its own (bench/floor.ts, `ownProcess`): TEMPORAL_ADDRESS and
// TEMPORAL_TASK_QUEUE from the environment; runs until SIGTERM.
async function main() {
  const { worker, connection } = await createFloorWorker(loadConfig());
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  console.log(WORKER_READY);
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(`floor worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
