// The scale bench's reading of a finished (or stuck) fleet: which rotations were ever Blocked, and
// on what; the Linode calls between two readings of the simulator's GET /_sim/stats; and the tables
// it prints (cli-table3, as the CLI's output).
import type { Client } from '@temporalio/client';
import Table from 'cli-table3';
import type { FleetStatus, RotationReport, RotationStatus, TimelineEntry } from '../common/types.js';
import { statusQuery } from '../workflows/definitions.js';
import type { LinodeStatsSnapshot } from '../sim/linode/stats.js';

/** A Blocked step whose error is Linode's 429, or a wait that gave up on one. */
const RATE_LIMITED = /LinodeRateLimited|Linode API 429/;

export interface BlockedCount {
  /** rotations Blocked at least once, whatever the error */
  everBlocked: number;
  /** of them, Blocked at least once on a 429 */
  blockedBy429: number;
  /** rotations still Blocked when the bench stopped waiting */
  stillBlocked: number;
  /** one example message of a 429 block, for the report */
  example429: string | null;
  /** children whose timeline could not be read (a Query that timed out): not counted above */
  unread: number;
}

/**
 * Reads every child's timeline: the report of an ended one (its result), the `status` Query of one
 * still running. A rotation Blocked and retried by itself since shows only in its timeline.
 */
export async function countBlocked(client: Client, status: FleetStatus, parallel = 16): Promise<BlockedCount> {
  const children = status.clusters.filter((c) => c.workflowId !== null);
  const count: BlockedCount = { everBlocked: 0, blockedBy429: 0, stillBlocked: 0, example429: null, unread: 0 };
  const queue = [...children];
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let child = queue.shift(); child; child = queue.shift()) {
      const handle = client.workflow.getHandle(child.workflowId!, child.runId ?? undefined);
      let timeline: TimelineEntry[];
      try {
        if (child.phase === 'Running') {
          const live: RotationStatus = await handle.query(statusQuery);
          timeline = live.timeline;
          if (live.phase === 'Blocked') count.stillBlocked++;
        } else {
          timeline = (await handle.result() as RotationReport).timeline;
        }
      } catch {
        count.unread++;
        continue;
      }
      const blocks = timeline.filter((e) => e.phase === 'Blocked').map((e) => e.detail ?? '');
      if (blocks.length > 0) count.everBlocked++;
      const on429 = blocks.find((detail) => RATE_LIMITED.test(detail));
      if (on429 !== undefined) {
        count.blockedBy429++;
        count.example429 ??= `cluster ${child.id}: ${on429}`;
      }
    }
  }));
  return count;
}

export interface EndpointCalls { calls: number; rateLimited: number; collection: boolean }

/** Calls per endpoint between two readings (counts only grow), busiest first. */
export function callsBetween(before: LinodeStatsSnapshot, after: LinodeStatsSnapshot): Map<string, EndpointCalls> {
  const calls = new Map<string, EndpointCalls>();
  for (const [endpoint, now] of Object.entries(after.endpoints)) {
    const was = before.endpoints[endpoint] ?? { requests: 0, rateLimited: 0 };
    if (now.requests > was.requests) {
      calls.set(endpoint, { calls: now.requests - was.requests, rateLimited: now.rateLimited - was.rateLimited, collection: now.collection });
    }
  }
  return new Map([...calls].sort(([, a], [, b]) => b.calls - a.calls));
}

/** all calls, or only the collection GETs */
export function totalCalls(calls: Map<string, EndpointCalls>, only: 'all' | 'collection' = 'all'): { calls: number; rateLimited: number } {
  const total = { calls: 0, rateLimited: 0 };
  for (const c of calls.values()) {
    if (only === 'collection' && !c.collection) continue;
    total.calls += c.calls;
    total.rateLimited += c.rateLimited;
  }
  return total;
}

const plain = { style: { head: [], border: [] } };

/** figure | value | what it is */
export function figuresTable(rows: [string, string | number, string][]): string {
  const table = new Table({ head: ['figure', 'value', 'how'], ...plain, wordWrap: true, colWidths: [34, 22, 70] });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

/** per endpoint: the fleet's calls, per rotation, 429s, and one lone rotation's calls for comparison */
export function endpointsTable(fleet: Map<string, EndpointCalls>, rotations: number, lone: Map<string, EndpointCalls>): string {
  const table = new Table({ head: ['Linode endpoint', 'calls', 'per rotation', '429s', 'one rotation alone'], ...plain });
  const endpoints = new Set([...fleet.keys(), ...lone.keys()]);
  for (const endpoint of endpoints) {
    const f = fleet.get(endpoint) ?? lone.get(endpoint) ?? { calls: 0, rateLimited: 0, collection: false };
    table.push([`${endpoint}${f.collection ? ' (list)' : ''}`, fleet.get(endpoint)?.calls ?? 0, round((fleet.get(endpoint)?.calls ?? 0) / Math.max(1, rotations), 2), fleet.get(endpoint)?.rateLimited ?? 0,
      lone.get(endpoint)?.calls ?? 0]);
  }
  const total = totalCalls(fleet);
  table.push(['all', total.calls, round(total.calls / Math.max(1, rotations), 2), total.rateLimited, totalCalls(lone).calls]);
  return table.toString();
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
