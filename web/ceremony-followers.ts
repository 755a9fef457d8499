import type { CeremonyClient } from '../client/ceremony-client';
import { FINAL_PHASES, type CeremonyStatus, type TimelineEvent } from '../workflows/messages';

// The web app follows a ceremony for its live viewers: one poll of the workflow's queries per
// ceremony and interval however many pages watch it (queries are not recorded in history), while
// anyone watches, until the ceremony has ended.

export interface CeremonySnapshot {
  timeline: TimelineEvent[];
  status: CeremonyStatus;
}

type Reader = Pick<CeremonyClient, 'status' | 'timeline'>;

/** The ceremony's timeline, and its status read after it (so holding the evidence of every event
 * in it: evidence is set before its event is recorded). A CeremonyRefusal (`not-found`) for an
 * unknown ceremony. */
export async function readSnapshot(ceremonies: Reader, ceremonyId: string): Promise<CeremonySnapshot> {
  const timeline = await ceremonies.timeline(ceremonyId);
  const status = await ceremonies.status(ceremonyId);
  // the ceremony ended between the two reads: its timeline now holds the end as well
  if (FINAL_PHASES.includes(status.phase) && !timeline.some((e) => e.type === 'ceremony-ended'))
    return { timeline: await ceremonies.timeline(ceremonyId), status };
  return { timeline, status };
}

export interface Follower {
  /** Each new snapshot; the last one has a final phase. */
  next(snapshot: CeremonySnapshot): void;
  /** Reading the ceremony failed (it is tried again at the next interval). */
  failed(err: unknown): void;
}

interface Followed {
  followers: Set<Follower>;
  last?: CeremonySnapshot;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class CeremonyFollowers {
  private readonly followed = new Map<string, Followed>();

  constructor(
    private readonly ceremonies: Reader,
    private readonly intervalMs: number,
  ) {}

  read(ceremonyId: string): Promise<CeremonySnapshot> {
    return readSnapshot(this.ceremonies, ceremonyId);
  }

  /** Follow a ceremony; returns the function that stops following it. */
  follow(ceremonyId: string, follower: Follower): () => void {
    let entry = this.followed.get(ceremonyId);
    if (!entry) {
      entry = { followers: new Set(), stopped: false };
      this.followed.set(ceremonyId, entry);
      void this.poll(ceremonyId, entry);
    } else if (entry.last) {
      follower.next(entry.last);
    }
    entry.followers.add(follower);
    const followed = entry;
    return () => {
      followed.followers.delete(follower);
      if (followed.followers.size === 0) this.stop(ceremonyId, followed);
    };
  }

  /** How many ceremonies are being polled now. */
  get size(): number {
    return this.followed.size;
  }

  close(): void {
    for (const [id, entry] of this.followed) this.stop(id, entry);
  }

  private stop(ceremonyId: string, entry: Followed): void {
    entry.stopped = true;
    clearTimeout(entry.timer);
    if (this.followed.get(ceremonyId) === entry) this.followed.delete(ceremonyId);
  }

  private async poll(ceremonyId: string, entry: Followed): Promise<void> {
    try {
      const snapshot = await readSnapshot(this.ceremonies, ceremonyId);
      if (entry.stopped) return;
      entry.last = snapshot;
      for (const follower of [...entry.followers]) follower.next(snapshot);
      if (FINAL_PHASES.includes(snapshot.status.phase)) {
        this.stop(ceremonyId, entry);
        return;
      }
    } catch (err) {
      if (entry.stopped) return;
      for (const follower of [...entry.followers]) follower.failed(err);
    }
    if (!entry.stopped) entry.timer = setTimeout(() => void this.poll(ceremonyId, entry), this.intervalMs);
  }
}
