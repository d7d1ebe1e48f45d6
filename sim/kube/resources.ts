// The resource types the simulated apiserver serves, and the discovery documents kubectl reads to
// map `secrets`, `deploy`, `deployment/x` onto them.

export type ResourceName =
  | 'namespaces' | 'nodes' | 'secrets' | 'serviceaccounts' | 'pods' | 'deployments' | 'statefulsets' | 'daemonsets'
  | 'poddisruptionbudgets';

export type ApiGroup = '' | 'apps' | 'policy';

export interface ResourceType {
  name: ResourceName;
  singular: string;
  kind: string;
  group: ApiGroup;
  namespaced: boolean;
  shortNames: string[];
  /** field selector labels the real apiserver accepts for this resource besides metadata.name/namespace */
  extraFieldLabels: string[];
  /** workloads and pods: the status can only be written by the controller */
  hasStatus: boolean;
  /** metadata.generation counts spec changes (workloads, PodDisruptionBudgets) */
  hasGeneration?: boolean;
}

export const RESOURCES: readonly ResourceType[] = [
  { name: 'namespaces', singular: 'namespace', kind: 'Namespace', group: '', namespaced: false, shortNames: ['ns'], extraFieldLabels: ['status.phase'], hasStatus: true },
  { name: 'nodes', singular: 'node', kind: 'Node', group: '', namespaced: false, shortNames: ['no'], extraFieldLabels: ['spec.unschedulable'], hasStatus: true },
  { name: 'secrets', singular: 'secret', kind: 'Secret', group: '', namespaced: true, shortNames: [], extraFieldLabels: ['type'], hasStatus: false },
  { name: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', group: '', namespaced: true, shortNames: ['sa'], extraFieldLabels: [], hasStatus: false },
  { name: 'pods', singular: 'pod', kind: 'Pod', group: '', namespaced: true, shortNames: ['po'], extraFieldLabels: ['spec.nodeName', 'status.phase'], hasStatus: true },
  { name: 'deployments', singular: 'deployment', kind: 'Deployment', group: 'apps', namespaced: true, shortNames: ['deploy'], extraFieldLabels: [], hasStatus: true, hasGeneration: true },
  { name: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', group: 'apps', namespaced: true, shortNames: ['sts'], extraFieldLabels: [], hasStatus: true, hasGeneration: true },
  { name: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', group: 'apps', namespaced: true, shortNames: ['ds'], extraFieldLabels: [], hasStatus: true, hasGeneration: true },
  { name: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', group: 'policy', namespaced: true, shortNames: ['pdb'], extraFieldLabels: [], hasStatus: true, hasGeneration: true },
];

const BY_GROUP_AND_NAME = new Map(RESOURCES.map((r) => [`${r.group}/${r.name}`, r]));
const BY_KIND = new Map(RESOURCES.map((r) => [r.kind, r]));

export function resourceType(group: string, name: string): ResourceType | undefined {
  return BY_GROUP_AND_NAME.get(`${group}/${name}`);
}

export function resourceByKind(kind: string): ResourceType {
  const type = BY_KIND.get(kind);
  if (!type) throw new Error(`unknown kind ${kind}`);
  return type;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/v1` : 'v1';
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * The Eviction subresource, listed in core/v1 under the policy group as the apiserver lists it: kubectl
 * drain's CheckEvictionSupport looks for this entry (and the policy group) before it evicts rather than deletes.
 */
const POD_EVICTION = { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };

function apiResourceList(group: ApiGroup) {
  const resources = RESOURCES.filter((r) => r.group === group).flatMap((r) => [
    { name: r.name, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: VERBS,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.group === 'apps' ? { categories: ['all'] } : r.name === 'pods' ? { categories: ['all'] } : {}) },
    ...(r.hasStatus
      ? [{ name: `${r.name}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }]
      : []),
    ...(r.name === 'pods' ? [POD_EVICTION] : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/v1` : 'v1', resources };
}

export const CORE_V1_RESOURCES = apiResourceList('');
export const APPS_V1_RESOURCES = apiResourceList('apps');
export const POLICY_V1_RESOURCES = apiResourceList('policy');

export const API_VERSIONS = {
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }],
};

const apiGroup = (name: string) => ({
  name,
  versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
  preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
});
const APPS_GROUP = apiGroup('apps');
const POLICY_GROUP = apiGroup('policy');

export const API_GROUP_LIST = { kind: 'APIGroupList', apiVersion: 'v1', groups: [APPS_GROUP, POLICY_GROUP] };
export const APPS_GROUP_DOC = { kind: 'APIGroup', apiVersion: 'v1', ...APPS_GROUP };
export const POLICY_GROUP_DOC = { kind: 'APIGroup', apiVersion: 'v1', ...POLICY_GROUP };

/** the discovery document at a path (/version, /api, /apis, a group or group version), if it is one */
export function discoveryDocument(k8sVersion: string, path: string): unknown {
  switch (path.replace(/\/+$/, '') || '/') {
    case '/version': return versionInfo(k8sVersion);
    case '/api': return API_VERSIONS;
    case '/apis': return API_GROUP_LIST;
    case '/api/v1': return CORE_V1_RESOURCES;
    case '/apis/apps': return APPS_GROUP_DOC;
    case '/apis/apps/v1': return APPS_V1_RESOURCES;
    case '/apis/policy': return POLICY_GROUP_DOC;
    case '/apis/policy/v1': return POLICY_V1_RESOURCES;
    default: return undefined;
  }
}

/** the `/version` document for an LKE minor version like "1.31" */
export function versionInfo(k8sVersion: string) {
  const [major, minor] = k8sVersion.split('.');
  const gitVersion = `v${major}.${minor}.${patchLevel(Number(minor))}`;
  return {
    major, minor, gitVersion, gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64',
  };
}

/** a plausible patch release per minor, stable so kubelet versions and /version agree */
export function patchLevel(minor: number): number {
  return (minor * 7) % 11 + 1;
}
