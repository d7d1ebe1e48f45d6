// The real `kubectl drain`, unchanged, against a simulated cluster: it finds the Eviction API through
// discovery (the policy group and pods/eviction), cordons the node, skips DaemonSet pods, evicts the
// rest and waits for them to go; a PodDisruptionBudget that allows no disruption stops it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../sim/kube/index.js';
import { kubectl, kubectlMissing } from './support/kubectl.js';
import { startTestKube, type TestKube } from './support/simKube.js';

const DRAINED = 311;
const BLOCKED = 312;
const nodeOf = (pod: KubeObject) => (pod.spec as { nodeName?: string }).nodeName;
const ownerKind = (pod: KubeObject) => pod.metadata.ownerReferences?.[0]?.kind;

describe('kubectl drain against the simulator', { skip: kubectlMissing }, () => {
  let kube: TestKube;
  before(async () => {
    // rollout steps of 100 ms real time: evicted pods come back within a second
    kube = await startTestKube({ clusterIds: [DRAINED, BLOCKED], k8sVersion: '1.32', timeScale: 0.02, rolloutStepMs: 5_000, tokenCacheMs: 60_000 });
  });
  after(async () => { await kube.stop(); });

  test('kubectl drain <node> --ignore-daemonsets --delete-emptydir-data cordons the node and evicts every pod but the DaemonSets\'', async () => {
    const cluster = kube.clusters.get(DRAINED)!;
    const kubeconfig = kube.kubeconfigFile(DRAINED);
    // the node with the most pods to evict
    const evictable = (node: string) => cluster.store.list('pods').filter((pod) => nodeOf(pod) === node && ownerKind(pod) !== 'DaemonSet');
    const [node] = cluster.nodeNames().sort((a, b) => evictable(b).length - evictable(a).length);
    const before = evictable(node);
    assert.ok(before.length > 0, 'the seed put pods to evict on the node');

    const run = await kubectl(kubeconfig, ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`node/${node} cordoned`));
    assert.match(run.stdout, new RegExp(`node/${node} drained`));
    for (const pod of before) assert.match(run.stdout, new RegExp(`pod/${pod.metadata.name} evicted`));

    assert.equal((cluster.store.get('nodes', undefined, node)!.spec as { unschedulable?: boolean }).unschedulable, true);
    const left = cluster.store.list('pods').filter((pod) => nodeOf(pod) === node);
    assert.ok(left.length > 0 && left.every((pod) => ownerKind(pod) === 'DaemonSet'), 'only DaemonSet pods stay');
    assert.equal(kube.audit.count({ clusterId: DRAINED, method: 'POST', path: /\/pods\/[^/]+\/eviction$/, applied: true }), before.length);
    assert.equal(kube.audit.count({ clusterId: DRAINED, method: 'DELETE', path: '/pods/' }), 0, 'evicted, never deleted');

    const nodes = await kubectl(kubeconfig, ['get', 'nodes']);
    assert.match(nodes.stdout, new RegExp(`^${node}\\s+Ready,SchedulingDisabled\\s`, 'm'));
    const budgets = await kubectl(kubeconfig, ['get', 'pdb', '-A']);
    assert.equal(budgets.code, 0, budgets.stderr);
    assert.match(budgets.stdout, /^NAMESPACE\s+NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/m);
    const uncordon = await kubectl(kubeconfig, ['uncordon', node]);
    assert.equal(uncordon.code, 0, uncordon.stderr);
    assert.equal((cluster.store.get('nodes', undefined, node)!.spec as { unschedulable?: boolean }).unschedulable, undefined);
  });

  test('kubectl drain stops on a PodDisruptionBudget that allows no disruption', async () => {
    const cluster = kube.clusters.get(BLOCKED)!;
    const kubeconfig = kube.kubeconfigFile(BLOCKED);
    const pdb = cluster.store.list('poddisruptionbudgets')[0];
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const guarded = cluster.store.list('pods', pdb.metadata.namespace)
      .filter((pod) => Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value));
    const { namespace, name } = pdb.metadata;
    const patch = await kubectl(kubeconfig, ['-n', namespace!, 'patch', 'pdb', name, '--type=merge',
      '-p', JSON.stringify({ spec: { maxUnavailable: null, minAvailable: guarded.length } })]);
    assert.equal(patch.code, 0, patch.stderr);

    const node = nodeOf(guarded[0])!;
    const run = await kubectl(kubeconfig, ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=10s']);
    assert.notEqual(run.code, 0, run.stdout);
    assert.match(run.stderr, new RegExp(`error when evicting pods/"${guarded[0].metadata.name}" -n "${namespace}"`));
    assert.match(run.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);
    assert.ok(cluster.store.get('pods', namespace, guarded[0].metadata.name), 'the guarded pod is still there');
    assert.equal((cluster.store.get('nodes', undefined, node)!.spec as { unschedulable?: boolean }).unschedulable, true, 'cordoned all the same');
  });
});
