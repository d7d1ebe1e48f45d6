// A fixed one-minute window per token, reported the way Linode does: X-RateLimit-Limit,
// X-RateLimit-Remaining, X-RateLimit-Reset (epoch seconds) on every reply, Retry-After on a 429.
// Real time, not simulated time: a rate limit is about the client's real request pace.

const WINDOW_MS = 60_000;

export interface RateLimitVerdict {
  allowed: boolean;
  headers: Record<string, string>;
}

export class TokenRateLimiter {
  private readonly windows = new Map<string, { start: number; used: number }>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  take(token: string): RateLimitVerdict {
    const now = this.now();
    let window = this.windows.get(token);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, used: 0 };
      this.windows.set(token, window);
    }
    const allowed = window.used < this.perMinute;
    if (allowed) window.used++;
    const resetMs = window.start + WINDOW_MS;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(this.perMinute),
      'X-RateLimit-Remaining': String(this.perMinute - window.used),
      'X-RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
    };
    if (!allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil((resetMs - now) / 1000)));
    return { allowed, headers };
  }
}
