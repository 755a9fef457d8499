import { CeremonyFollowers, type CeremonySnapshot } from '../../web/ceremony-followers';
import type { CeremonyStatus, Phase, TimelineEvent } from '../../workflows/messages';

// The web app reads a followed ceremony once per interval however many pages follow it, only
// while one does, and stops at its end.

function reader(phases: Phase[]) {
  const reads: string[] = [];
  let n = 0;
  return {
    reads,
    async timeline(id: string): Promise<TimelineEvent[]> {
      reads.push(`timeline ${id}`);
      return [
        { seq: 1, at: '2026-01-01T00:00:00.000Z', type: 'ceremony-started', actor: 'dave@example.com', detail: '' },
      ];
    },
    async status(id: string): Promise<CeremonyStatus> {
      reads.push(`status ${id}`);
      const phase = phases[Math.min(n++, phases.length - 1)];
      return { ceremonyId: id, phase } as CeremonyStatus;
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('pages following one ceremony share its reads; they stop when the last page leaves', async () => {
  const ceremonies = reader(['running']);
  const followers = new CeremonyFollowers(ceremonies, 50);
  const seen: [string, Phase][] = [];
  const follower = (name: string) => ({
    next: (s: CeremonySnapshot) => seen.push([name, s.status.phase]),
    failed: () => undefined,
  });
  const leaveA = followers.follow('c1', follower('a'));
  const leaveB = followers.follow('c1', follower('b'));
  await pause(180);
  const rounds = ceremonies.reads.filter((r) => r.startsWith('timeline')).length;
  expect(rounds).toBeGreaterThanOrEqual(2);
  expect(rounds).toBeLessThanOrEqual(5); // one read per interval, not one per page
  expect(seen.filter(([name]) => name === 'b').length).toBeGreaterThanOrEqual(rounds - 1);
  leaveA();
  expect(followers.size).toBe(1);
  leaveB();
  expect(followers.size).toBe(0);
  const after = ceremonies.reads.length;
  await pause(150);
  expect(ceremonies.reads.length).toBe(after);
});

test('an ended ceremony is read a last time (its timeline again, to hold the end) and no more', async () => {
  const ceremonies = reader(['running', 'completed']);
  const followers = new CeremonyFollowers(ceremonies, 20);
  const phases: Phase[] = [];
  followers.follow('c2', { next: (s) => phases.push(s.status.phase), failed: () => undefined });
  await pause(150);
  expect(phases).toEqual(['running', 'completed']);
  // the second status was final and the timeline held no end: read again
  expect(ceremonies.reads).toEqual(['timeline c2', 'status c2', 'timeline c2', 'status c2', 'timeline c2']);
  expect(followers.size).toBe(0);
});
