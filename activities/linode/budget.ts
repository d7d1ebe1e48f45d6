// The account's Linode API budget, as Linode itself counts it. Every reply carries
// X-RateLimit-Limit/Remaining/Reset for the bucket closest to exhaustion, counted per token on
// Linode's side: that count already includes every worker process of this service and every other
// tool that uses the same token. So a process shares the budget with all of them by reading it:
// it sends a request only while the bucket it last saw has more
// left than the part of the account this service must leave to others, `(1 - share) x Limit`, and
// otherwise waits for the bucket's Reset (docs/design.md, "One Linode budget").
//
// Between two replies a process counts its own requests against what it saw, so a burst from one
// process stops at its share; requests of other processes in flight at that moment are the only
// overshoot, and `maxInFlight` bounds them. A 429 holds every request of the process until its
// Retry-After.
//
// Buckets are told apart by their Limit, since the headers name no bucket: one seen only on
// collection GETs (Linode's 100 per minute and 10 per second for lists) holds only collection GETs;
// any other (the general 1,600 per 2 minutes, the 800 per minute of an endpoint) holds every request.
//
// The replies name only the bucket closest to exhaustion, so the general bucket shows late: while an
// endpoint's 800 a minute is lower, the account's 1,600 per 2 minutes can pass its share unseen
// (5% over at 1000 clusters). So each process also keeps its OWN part of the general limit, strictly:
// in any window's length it sends at most `share x limit / peers` requests, where `peers` is the
// number of worker processes sharing the budget (worker/linodePeers.ts reads them from Temporal).
// The parts add up to the share. A process that joins peers already spending waits one window (and
// the time the others take to see it) before it spends: their requests of the last window still count.

import { LINODE_GENERAL_LIMIT } from '../../common/lke.js';

export interface LinodeBudgetOptions {
  /** the part of the account's limits this service may use, 0 < share <= 1; default 0.5 */
  share?: number;
  /** requests of this process in flight at once; default 8 */
  maxInFlight?: number;
  /** how often a waiting request's activity heartbeats; default 5 s */
  keepAliveMs?: number;
  /**
   * the account's general limit, which the replies may not show: this process keeps to its part of
   * it; default Linode's documented 1,600 per 2 minutes
   */
  general?: { limit: number; windowMs: number };
  /** the clock (tests) */
  now?: () => number;
}

/** What the processes sharing the budget are, as Temporal lists them on the Linode queue. */
export interface PeerView {
  /** worker processes sharing the budget, this one included */
  peers: number;
  /** the longest another process may take to see this one (the peer watch's interval) */
  noticeMs: number;
}

export const DEFAULT_BUDGET_SHARE = 0.5;
/** Linode counts a request when it arrives: a request's trip may move it this far into a later window. */
const WINDOW_SLACK_MS = 1_000;

/**
 * How long a process that joins peers already spending sends nothing: a window (and the trip's slack)
 * after the peers can have seen it, which takes them up to two looks (`noticeMs` each).
 */
export function joinHoldMs(general: { windowMs: number }, noticeMs: number): number {
  return general.windowMs + WINDOW_SLACK_MS + 2 * noticeMs;
}

/** One process's part of the share of the general limit, per window, among `peers` processes. */
export function processPart(share: number, general: { limit: number }, peers: number): number {
  return Math.max(1, Math.floor((share * general.limit) / Math.max(1, peers)));
}

const DEFAULT_MAX_IN_FLIGHT = 8;
/** How often a waiting request's activity heartbeats (the SDK throttles heartbeats to the server anyway). */
const DEFAULT_KEEP_ALIVE_MS = 5_000;
/** A Reset a little in the past still holds this long: clocks of Linode and the worker differ. */
const RESET_SLACK_MS = 250;

interface BucketView {
  limit: number;
  remaining: number;
  resetAtMs: number;
  /** seen only on replies to collection GETs */
  collectionOnly: boolean;
}

/** What a reply said about the budget. */
export interface BudgetReply {
  status: number;
  collection: boolean;
  limit?: number;
  remaining?: number;
  /** epoch seconds */
  reset?: number;
  /** ms, from Retry-After, when the reply is a 429 */
  retryAfterMs?: number;
}

export type Release = () => void;

export class LinodeBudget {
  readonly share: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;
  private readonly keepAliveMs: number;
  private readonly buckets = new Map<number, BucketView>();
  private heldUntilMs = 0;
  private inFlight = 0;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private readonly general: { limit: number; windowMs: number };
  /** when this process sent its requests of the last window (epoch ms, oldest first) */
  private readonly sent: number[] = [];
  /** the peers each observation reported, for a window: a peer that left still counts until its requests age out */
  private readonly peerHistory: { atMs: number; peers: number }[] = [];
  /** a process that joined spending peers spends nothing before this (epoch ms) */
  private joinHoldUntilMs = 0;
  private observedPeers = false;
  /** requests that waited for the budget, and 429s seen: the worker's metrics and the bench read these */
  readonly stats = { waited: 0, rateLimited: 0 };

  constructor(options: LinodeBudgetOptions = {}) {
    const share = options.share ?? DEFAULT_BUDGET_SHARE;
    if (!(share > 0 && share <= 1)) throw new RangeError(`Linode budget share must be > 0 and <= 1, got ${share}`);
    this.share = share;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.now = options.now ?? Date.now;
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.general = options.general ?? LINODE_GENERAL_LIMIT;
    if (!(this.general.limit > 0 && this.general.windowMs > 0)) throw new RangeError('Linode general limit and window must be > 0');
  }

  /**
   * How many processes share the budget now. Fewer than before take effect only a window later: the
   * requests of a process that left still count at Linode until then. A process that finds peers at
   * its first view joins them: it waits until their last window has passed since they could see it.
   */
  setPeers(view: PeerView): void {
    const now = this.now();
    const peers = Math.max(1, Math.floor(view.peers));
    if (!this.observedPeers && peers > 1) this.joinHoldUntilMs = now + joinHoldMs(this.general, view.noticeMs);
    this.observedPeers = true;
    this.peerHistory.push({ atMs: now, peers });
    this.forgetOldPeerCounts();
    this.wake();
  }

  /** Only the count in effect a window ago and the later ones still matter. */
  private forgetOldPeerCounts(): void {
    const since = this.now() - this.general.windowMs - WINDOW_SLACK_MS;
    while (this.peerHistory.length > 1 && this.peerHistory[1].atMs <= since) this.peerHistory.shift();
  }

  /** The requests this process may send in a window's length: its part of the share of the general limit. */
  processAllowance(): number {
    this.forgetOldPeerCounts();
    return processPart(this.share, this.general, Math.max(1, ...this.peerHistory.map((p) => p.peers)));
  }

  /** The requests of a bucket that belong to others: never spent by this service. */
  private reserveOf(limit: number): number {
    return Math.floor(limit * (1 - this.share));
  }

  /** When a request of this kind may go (epoch ms), or 0 now. */
  private blockedUntil(collection: boolean): number {
    const now = this.now();
    let until = this.heldUntilMs > now ? this.heldUntilMs : 0;
    if (this.inFlight >= this.maxInFlight) until = Math.max(until, Number.POSITIVE_INFINITY);
    if (this.joinHoldUntilMs > now) until = Math.max(until, this.joinHoldUntilMs);
    // this process's own part of the general limit, over any window's length
    const windowMs = this.general.windowMs + WINDOW_SLACK_MS;
    while (this.sent.length > 0 && this.sent[0] <= now - windowMs) this.sent.shift();
    const allowance = this.processAllowance();
    if (this.sent.length >= allowance) until = Math.max(until, this.sent[this.sent.length - allowance] + windowMs);
    for (const bucket of this.buckets.values()) {
      if (bucket.collectionOnly && !collection) continue;
      if (bucket.resetAtMs + RESET_SLACK_MS <= now) continue;
      if (bucket.remaining <= this.reserveOf(bucket.limit)) until = Math.max(until, bucket.resetAtMs + RESET_SLACK_MS);
    }
    return until;
  }

  /**
   * Waits until a request may go, then counts it; call the returned release when its reply (or
   * failure) is in. Rejects with the signal's reason when it is aborted while waiting.
   */
  async acquire(collection: boolean, signal?: AbortSignal, keepAlive?: () => void): Promise<Release> {
    let waited = false;
    let alive: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const until = this.blockedUntil(collection);
        if (until === 0) break;
        waited = true;
        // a wait can last a window's reset (minutes): the activity says it is alive meanwhile
        if (keepAlive && !alive) alive = setInterval(keepAlive, this.keepAliveMs);
        await this.wait(until, signal);
      }
    } finally {
      if (alive) clearInterval(alive);
    }
    if (waited) this.stats.waited++;
    this.inFlight++;
    this.sent.push(this.now());
    // counted against what we saw until Linode's next reply says where the bucket stands
    for (const bucket of this.buckets.values()) {
      if (!bucket.collectionOnly || collection) bucket.remaining--;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.wake();
    };
  }

  /** Takes in what a reply said: the bucket it names, and a 429's Retry-After. */
  observe(reply: BudgetReply): void {
    if (reply.status === 429) {
      this.stats.rateLimited++;
      const retryAfterMs = reply.retryAfterMs ?? 1_000;
      this.heldUntilMs = Math.max(this.heldUntilMs, this.now() + retryAfterMs);
    }
    const { limit, remaining, reset } = reply;
    if (limit === undefined || remaining === undefined || reset === undefined) return this.wake();
    if (!(limit > 0) || !(remaining >= 0) || !(reset > 0)) return this.wake();
    const resetAtMs = reset * 1000;
    const known = this.buckets.get(limit);
    const collectionOnly = reply.collection && (known?.collectionOnly ?? true);
    if (known && known.resetAtMs === resetAtMs) {
      // the same window: replies may arrive out of order, and the lower count is the later one
      known.remaining = Math.min(known.remaining, remaining);
      known.collectionOnly = collectionOnly;
    } else if (!known || resetAtMs > known.resetAtMs) {
      this.buckets.set(limit, { limit, remaining, resetAtMs, collectionOnly });
    }
    this.wake();
  }

  /** Sleeps until `untilMs` (or a release), whichever is first; an abort rejects. */
  private wait(untilMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        this.waiters.delete(done);
        reject(signal?.reason);
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', aborted, { once: true });
      this.schedule(untilMs);
    });
  }

  /** One timer for all waiters, at the earliest time any of them may go. */
  private schedule(untilMs: number): void {
    if (!Number.isFinite(untilMs) || (this.timer && this.timerAtMs <= untilMs)) return; // a release, or an earlier timer, wakes it
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = untilMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, untilMs - this.now()));
    this.timer.unref?.();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
