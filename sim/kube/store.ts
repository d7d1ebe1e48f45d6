// One cluster's objects, keyed by resource and namespace/name, with the resourceVersion counter and
// the change feed that watch connections subscribe to (no subscribers, no cost).
import type { ResourceName } from './resources.js';
import { uid } from './random.js';

export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type ChangeListener = (resource: ResourceName, type: WatchEventType, object: KubeObject) => void;

export type NewObject = Omit<KubeObject, 'metadata'> & { metadata: Omit<ObjectMeta, 'uid' | 'resourceVersion' | 'creationTimestamp'> & Partial<ObjectMeta> };

/** enough for a watch started right after a list to learn what was deleted in between */
const RECENT_DELETIONS = 32;

let stampSecond = -1;
let stamp = '';

/**
 * RFC 3339 to the second, as Kubernetes timestamps are; one string per second, shared by every object
 * stamped in it (tens of thousands of seeded objects would otherwise each carry their own copy)
 */
export function timestamp(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stamp = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
  }
  return stamp;
}

const byName = (a: KubeObject, b: KubeObject) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);

export class ObjectStore {
  /** resource -> namespace ('' for cluster-scoped) -> name -> object */
  private readonly objects = new Map<ResourceName, Map<string, Map<string, KubeObject>>>();
  private revision = 0;
  private readonly recentDeletions: { resource: ResourceName; object: KubeObject }[] = [];
  readonly listeners = new Set<ChangeListener>();

  constructor(private readonly random: () => number) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(namespace ?? '')?.get(name);
  }

  /** sorted by namespace and name, as etcd returns them */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const byNamespace = this.objects.get(resource);
    if (!byNamespace) return [];
    if (namespace !== undefined) return [...(byNamespace.get(namespace)?.values() ?? [])].sort(byName);
    return [...byNamespace.keys()].sort().flatMap((ns) => [...byNamespace.get(ns)!.values()].sort(byName));
  }

  /** one namespace's objects in insertion order, uncopied: for scans on hot paths */
  inNamespace(resource: ResourceName, namespace: string | undefined): IterableIterator<KubeObject> {
    return (this.objects.get(resource)?.get(namespace ?? '') ?? new Map<string, KubeObject>()).values();
  }

  /** every object of a resource, unsorted: for scans on the request path */
  *values(resource: ResourceName): IterableIterator<KubeObject> {
    for (const byName of this.objects.get(resource)?.values() ?? []) yield* byName.values();
  }

  count(resource: ResourceName): number {
    let total = 0;
    for (const byName of this.objects.get(resource)?.values() ?? []) total += byName.size;
    return total;
  }

  newUid(): string {
    return uid(this.random);
  }

  /** stores a new object, assigning uid, resourceVersion and creationTimestamp unless given */
  create(resource: ResourceName, object: NewObject): KubeObject {
    const stored = object as KubeObject;
    stored.metadata.uid ??= this.newUid();
    stored.metadata.creationTimestamp ??= timestamp();
    stored.metadata.resourceVersion = String(++this.revision);
    this.namespaceMap(resource, stored.metadata.namespace).set(stored.metadata.name, stored);
    this.emit(resource, 'ADDED', stored);
    return stored;
  }

  /** replaces the stored object (same namespace/name) with a new resourceVersion */
  update(resource: ResourceName, object: KubeObject): KubeObject {
    object.metadata.resourceVersion = String(++this.revision);
    this.namespaceMap(resource, object.metadata.namespace).set(object.metadata.name, object);
    this.emit(resource, 'MODIFIED', object);
    return object;
  }

  delete(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const inNamespace = this.objects.get(resource)?.get(namespace ?? '');
    const object = inNamespace?.get(name);
    if (!object) return undefined;
    inNamespace!.delete(name);
    if (inNamespace!.size === 0) this.objects.get(resource)!.delete(namespace ?? '');
    object.metadata.resourceVersion = String(++this.revision);
    this.recentDeletions.push({ resource, object });
    if (this.recentDeletions.length > RECENT_DELETIONS) this.recentDeletions.shift();
    this.emit(resource, 'DELETED', object);
    return object;
  }

  /** deletions after a resourceVersion, for a watch that starts from it (only the most recent are kept) */
  deletedSince(resource: ResourceName, resourceVersion: number): KubeObject[] {
    return this.recentDeletions
      .filter((d) => d.resource === resource && Number(d.object.metadata.resourceVersion) > resourceVersion)
      .map((d) => d.object);
  }

  private namespaceMap(resource: ResourceName, namespace: string | undefined): Map<string, KubeObject> {
    let byNamespace = this.objects.get(resource);
    if (!byNamespace) this.objects.set(resource, (byNamespace = new Map()));
    let byName = byNamespace.get(namespace ?? '');
    if (!byName) byNamespace.set(namespace ?? '', (byName = new Map()));
    return byName;
  }

  private emit(resource: ResourceName, type: WatchEventType, object: KubeObject): void {
    for (const listener of this.listeners) listener(resource, type, object);
  }
}
