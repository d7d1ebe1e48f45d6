// Server-side printing: `kubectl get` asks for a meta.k8s.io Table and prints its columns, as the
// real apiserver's printers would fill them for these resources.
import type { ResourceName } from './resources.js';
import type { KubeObject } from './store.js';

interface Column { name: string; type: string; format: string; description: string; priority: number }
type Cells = (object: KubeObject) => (string | number)[];

const column = (name: string, type = 'string', format = ''): Column => ({ name, type, format, description: name, priority: 0 });
const nameColumn = column('Name', 'string', 'name');
const ageColumn = column('Age');

interface Status { [field: string]: unknown; conditions?: { type: string; status: string }[] }
const statusOf = (o: KubeObject) => (o.status ?? {}) as Status;
const num = (value: unknown) => (typeof value === 'number' ? value : 0);
const age = (o: KubeObject) => humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp));

const PRINTERS: Record<ResourceName, { columns: Column[]; cells: Cells }> = {
  nodes: {
    columns: [nameColumn, column('Status'), column('Roles'), ageColumn, column('Version')],
    cells: (o) => [
      o.metadata.name,
      (statusOf(o).conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady')
        + ((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable ? ',SchedulingDisabled' : ''),
      '<none>', age(o), String((statusOf(o).nodeInfo as { kubeletVersion?: string } | undefined)?.kubeletVersion ?? ''),
    ],
  },
  secrets: {
    columns: [nameColumn, column('Type'), column('Data', 'string'), ageColumn],
    cells: (o) => [o.metadata.name, String(o.type ?? 'Opaque'), Object.keys((o.data ?? {}) as object).length, age(o)],
  },
  pods: {
    columns: [nameColumn, column('Ready'), column('Status'), column('Restarts', 'string'), ageColumn],
    cells: (o) => {
      const ready = statusOf(o).conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const containers = ((o.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
      return [o.metadata.name, `${ready ? containers : 0}/${containers}`, String(statusOf(o).phase ?? 'Pending'), '0', age(o)];
    },
  },
  deployments: {
    columns: [nameColumn, column('Ready'), column('Up-to-date', 'integer'), column('Available', 'integer'), ageColumn],
    cells: (o) => [o.metadata.name, `${num(statusOf(o).readyReplicas)}/${num((o.spec as { replicas?: number }).replicas)}`,
      num(statusOf(o).updatedReplicas), num(statusOf(o).availableReplicas), age(o)],
  },
  statefulsets: {
    columns: [nameColumn, column('Ready'), ageColumn],
    cells: (o) => [o.metadata.name, `${num(statusOf(o).readyReplicas)}/${num((o.spec as { replicas?: number }).replicas)}`, age(o)],
  },
  daemonsets: {
    columns: [nameColumn, column('Desired', 'integer'), column('Current', 'integer'), column('Ready', 'integer'),
      column('Up-to-date', 'integer'), column('Available', 'integer'), column('Node Selector'), ageColumn],
    cells: (o) => {
      const s = statusOf(o);
      return [o.metadata.name, num(s.desiredNumberScheduled), num(s.currentNumberScheduled), num(s.numberReady),
        num(s.updatedNumberScheduled), num(s.numberAvailable), '<none>', age(o)];
    },
  },
  namespaces: {
    columns: [nameColumn, column('Status'), ageColumn],
    cells: (o) => [o.metadata.name, String(statusOf(o).phase ?? 'Active'), age(o)],
  },
  poddisruptionbudgets: {
    columns: [nameColumn, column('Min Available'), column('Max Unavailable'), column('Allowed Disruptions', 'integer'), ageColumn],
    cells: (o) => {
      const spec = (o.spec ?? {}) as { minAvailable?: number | string; maxUnavailable?: number | string };
      return [o.metadata.name, String(spec.minAvailable ?? 'N/A'), String(spec.maxUnavailable ?? 'N/A'), num(statusOf(o).disruptionsAllowed), age(o)];
    },
  },
  serviceaccounts: {
    columns: [nameColumn, column('Secrets', 'integer'), ageColumn],
    cells: (o) => [o.metadata.name, ((o.secrets as unknown[] | undefined) ?? []).length, age(o)],
  },
};

export function toTable(resource: ResourceName, items: KubeObject[], list: { resourceVersion: string; continueToken?: string }) {
  const printer = PRINTERS[resource];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: list.resourceVersion, ...(list.continueToken ? { continue: list.continueToken } : {}) },
    columnDefinitions: printer.columns,
    rows: items.map((o) => ({
      cells: printer.cells(o),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/** kubectl's duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}
