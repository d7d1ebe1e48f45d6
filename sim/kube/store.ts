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

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class ObjectStore {
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private revision = 0;
  readonly listeners = new Set<ChangeListener>();

  constructor(private readonly random: () => number) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(key(namespace, name));
  }

  /** sorted by namespace and name, as etcd returns them */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const all = [...(this.objects.get(resource)?.values() ?? [])];
    const selected = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return selected.sort((a, b) => key(a.metadata.namespace, a.metadata.name) < key(b.metadata.namespace, b.metadata.name) ? -1 : 1);
  }

  /** unsorted, uncopied: for scans on the request path */
  values(resource: ResourceName): IterableIterator<KubeObject> {
    return (this.objects.get(resource) ?? new Map<string, KubeObject>()).values();
  }

  count(resource: ResourceName): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  newUid(): string {
    return uid(this.random);
  }

  /** stores a new object, assigning uid, resourceVersion and creationTimestamp unless given */
  create(resource: ResourceName, object: NewObject): KubeObject {
    const stored = object as KubeObject;
    stored.metadata.uid ??= this.newUid();
    stored.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.resourceVersion = String(++this.revision);
    let byKey = this.objects.get(resource);
    if (!byKey) this.objects.set(resource, (byKey = new Map()));
    byKey.set(key(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit(resource, 'ADDED', stored);
    return stored;
  }

  /** replaces the stored object (same namespace/name) with a new resourceVersion */
  update(resource: ResourceName, object: KubeObject): KubeObject {
    object.metadata.resourceVersion = String(++this.revision);
    this.objects.get(resource)?.set(key(object.metadata.namespace, object.metadata.name), object);
    this.emit(resource, 'MODIFIED', object);
    return object;
  }

  delete(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const byKey = this.objects.get(resource);
    const object = byKey?.get(key(namespace, name));
    if (!object) return undefined;
    byKey!.delete(key(namespace, name));
    object.metadata.resourceVersion = String(++this.revision);
    this.emit(resource, 'DELETED', object);
    return object;
  }

  private emit(resource: ResourceName, type: WatchEventType, object: KubeObject): void {
    for (const listener of this.listeners) listener(resource, type, object);
  }
}
