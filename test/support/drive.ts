import type { CeremonyClient } from '../../client/ceremony-client';
import { FINAL_PHASES, type CeremonyStatus } from '../../workflows/messages';
import { waitForStatus } from './harness';

/** Act as the approvers (and the external signer) through the same updates a person's link uses:
 * approve every gate that opens with its first `quorum` approvers, until the ceremony ends or
 * needs an operator. */
export async function driveGates(
  ceremonies: CeremonyClient,
  id: string,
  options: { signoffReference?: string; timeoutMs?: number } = {},
): Promise<CeremonyStatus> {
  for (;;) {
    const status = await waitForStatus(
      ceremonies,
      id,
      (s) => Boolean(s.openGate) || s.phase === 'needs-intervention' || FINAL_PHASES.includes(s.phase),
      options.timeoutMs ?? 60_000,
    );
    if (!status.openGate) return status;
    const { plan } = await ceremonies.plan(id);
    const step = plan.steps.find((s) => s.id === status.openGate!.id)!;
    if (step.type === 'signoff') {
      await ceremonies.signoff(id, {
        gate: step.id,
        by: step.contacts[0],
        planDigest: status.planDigest,
        reference: options.signoffReference ?? 'MS-REF-0001',
      });
    } else if (step.type === 'approval') {
      for (const approver of step.approvers.slice(0, step.quorum)) {
        await ceremonies.approve(id, { gate: step.id, approver, planDigest: status.planDigest });
      }
    }
    await waitForStatus(ceremonies, id, (s) => s.openGate?.id !== step.id);
  }
}
