/** The floor's device step: the device latency and nothing else; when it started and ended (the
 * worker's clock: a workflow's own clock lags within a run of local activities). */
export async function floorStep(latencyMs: number): Promise<[number, number]> {
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, latencyMs));
  return [started, Date.now()];
}
