// Every mutating call either API receives, so tests can count side effects exactly.

export interface AuditEntry {
  at: string;
  api: 'linode' | 'kube';
  clusterId: number | null;
  method: string;
  path: string;
  /** HTTP status sent, or 'dropped' when the connection was destroyed */
  status: number | 'dropped';
  /** true when the call's side effect was applied (it can be, even when the reply is a 5xx or dropped) */
  applied: boolean;
}

export interface AuditQuery {
  api?: AuditEntry['api'];
  clusterId?: number;
  method?: string;
  /** substring or pattern of the path */
  path?: string | RegExp;
  applied?: boolean;
}

export class AuditLog {
  private readonly entries: AuditEntry[] = [];

  record(entry: Omit<AuditEntry, 'at'>): void {
    this.entries.push({ at: new Date().toISOString(), ...entry });
  }

  list(query: AuditQuery = {}): AuditEntry[] {
    return this.entries.filter((e) =>
      (query.api === undefined || e.api === query.api) &&
      (query.clusterId === undefined || e.clusterId === query.clusterId) &&
      (query.method === undefined || e.method === query.method.toUpperCase()) &&
      (query.applied === undefined || e.applied === query.applied) &&
      (query.path === undefined ||
        (typeof query.path === 'string' ? e.path.includes(query.path) : query.path.test(e.path))));
  }

  count(query: AuditQuery = {}): number {
    return this.list(query).length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
