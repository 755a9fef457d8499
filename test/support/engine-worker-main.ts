import { runWorkerProcess } from '../../worker/run-process';

// The worker process of the engine tests, which run hand-written plans (`testPlan`): the policy
// applies, the catalogue check does not (`acceptPlansNotFromCatalogue`). Never deployed.
runWorkerProcess({ acceptPlansNotFromCatalogue: true }).catch((err) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
