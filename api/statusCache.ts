// The status endpoint's short-lived cache (GET /v1/rotations/:clusterId, the one dashboards poll).
// Reading a status costs a describe and a Query that a worker answers; under many pollers that
// queues behind the rotations' own work. So one read per cluster serves every caller for up to
// maxAgeMs, and callers who arrive while a read is under way share it.
//
// The bound: an answer is dated by when its read *started* (the status can only be newer than
// that), and a request is served from a read that started less than maxAgeMs before the request
// arrived. So, next to a read of its own, a caller's answer is never more than maxAgeMs older; and
// since every answer is a real answer of the run, it never shows a phase the run has not reached. This API instance's own controls drop the cluster's entry, so a caller who
// pauses and then reads sees the pause.
import type { RotationView } from './deps.js';

export interface CachedStatus {
  view: RotationView | null;
  /** how old the answer is, in ms: from the start of the read that produced it */
  ageMs: number;
}

interface Read {
  startedAt: number;
  view: Promise<RotationView | null>;
  settled: boolean;
}

/** Per cluster: the last answer, and a read in flight that will replace it. */
interface Entry {
  current?: Read;
  next?: Read;
}

export interface StatusCache {
  get(clusterId: number): Promise<CachedStatus>;
  /** the next get reads afresh (after a control, or when the caller knows it changed) */
  invalidate(clusterId: number): void;
  readonly maxAgeMs: number;
}

/**
 * maxAgeMs 0 turns caching off: every get reads. Past half the bound, a request is still served the
 * current answer while a fresh read starts behind it, so under steady polling callers rarely wait
 * for Temporal at all.
 */
export function createStatusCache(
  read: (clusterId: number) => Promise<RotationView | null>,
  { maxAgeMs, now = Date.now, maxEntries = 10_000 }: { maxAgeMs: number; now?: () => number; maxEntries?: number },
): StatusCache {
  const entries = new Map<number, Entry>();
  const fresh = (r: Read | undefined, at: number): r is Read => r !== undefined && at - r.startedAt < maxAgeMs;

  const prune = (at: number) => {
    for (const [clusterId, entry] of entries) {
      if (!fresh(entry.current, at) && !fresh(entry.next, at)) entries.delete(clusterId);
    }
    // still too many fresh ones (a scan over many clusters): drop the oldest
    for (const clusterId of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(clusterId);
    }
  };

  const startRead = (clusterId: number, entry: Entry, at: number): Read => {
    const next: Read = { startedAt: at, view: read(clusterId), settled: false };
    entry.next = next;
    next.view.then(
      () => {
        next.settled = true;
        if (entry.next === next) entry.next = undefined;
        // a later read may have settled first: keep the newer one
        if (!entry.current || entry.current.startedAt <= next.startedAt) entry.current = next;
      },
      // a failed read is never served to later callers
      () => { if (entry.next === next) entry.next = undefined; },
    );
    return next;
  };

  const answer = async (r: Read): Promise<CachedStatus> => ({ view: await r.view, ageMs: Math.max(0, now() - r.startedAt) });

  return {
    maxAgeMs,
    async get(clusterId) {
      const at = now();
      if (maxAgeMs <= 0) return { view: await read(clusterId), ageMs: 0 };
      let entry = entries.get(clusterId);
      if (!entry) {
        entry = {};
        entries.set(clusterId, entry);
        if (entries.size > maxEntries) prune(at);
      }
      const { current, next } = entry;
      if (fresh(current, at)) {
        if (!next && at - current.startedAt >= maxAgeMs / 2) startRead(clusterId, entry, at);
        return answer(current);
      }
      return answer(fresh(next, at) ? next : startRead(clusterId, entry, at));
    },
    invalidate(clusterId) {
      entries.delete(clusterId);
    },
  };
}
