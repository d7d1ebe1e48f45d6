// The `secret` kubeconfig sink through @kubernetes/client-node against the simulator acting as the
// management cluster (one simulated cluster's apiserver): two sinks, as two worker replicas would
// hold, deliver concurrently for the same and for different clusters.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  CLUSTER_ID_LABEL, createSecretSink, kubeconfigSecretName, KUBECONFIG_KEY,
} from '../activities/kubeconfig/secretSink.js';
import { kubeStatusCode } from '../activities/errors.js';
import type { KubeconfigSink } from '../activities/ports.js';
import { kubeconfigOf, linodeFor } from './support/liveAdapters.js';
import { rejection } from './support/failures.js';
import { useSimulator } from './support/sim.js';
import { ConfigError, loadConfig } from '../config/config.js';

const NAMESPACE = 'lke-rotator';
const kubeconfigFor = (clusterId: number, generation: string) =>
  `apiVersion: v1\nkind: Config\n# cluster ${clusterId}, generation ${generation}\nusers:\n- name: u\n  user:\n    token: secret-${clusterId}-${generation}\n`;

describe('Secret kubeconfig sink on @kubernetes/client-node', () => {
  const sim = useSimulator({ clusters: 1, timeScale: 0.001, seed: 14, rateLimit: false });
  let management: string;
  let core: CoreV1Api;
  const sink = (): KubeconfigSink => createSecretSink({ namespace: NAMESPACE, cluster: { kubeconfigYaml: management } });

  before(async () => {
    const linode = linodeFor(sim());
    management = await kubeconfigOf(linode, sim().state.list()[0].cluster.id);
    const config = new KubeConfig();
    config.loadFromString(management);
    core = config.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });

  const secretOf = (clusterId: number) => core.readNamespacedSecret({ name: kubeconfigSecretName(clusterId), namespace: NAMESPACE });

  test('a delivery is an Opaque Secret labelled with the cluster id; read gives it back; the same content again writes nothing', async () => {
    const a = sink();
    assert.equal(await a.read(101), null);
    const location = await a.write(101, 'prod-eu', kubeconfigFor(101, 'one'));
    assert.equal(location, `secret/${NAMESPACE}/lke-kubeconfig-101`);
    const stored = await secretOf(101);
    assert.equal(stored.type, 'Opaque');
    assert.equal(stored.metadata?.labels?.[CLUSTER_ID_LABEL], '101');
    assert.equal(Buffer.from(stored.data![KUBECONFIG_KEY], 'base64').toString(), kubeconfigFor(101, 'one'));
    assert.equal(await a.read(101), kubeconfigFor(101, 'one'));
    const listed = await core.listNamespacedSecret({ namespace: NAMESPACE, labelSelector: `${CLUSTER_ID_LABEL}=101` });
    assert.deepEqual(listed.items.map((s) => s.metadata?.name), ['lke-kubeconfig-101']);

    // a retried delivery (same content, from either replica) leaves the Secret untouched
    await a.write(101, 'prod-eu', kubeconfigFor(101, 'one'));
    await sink().write(101, 'prod-eu', kubeconfigFor(101, 'one'));
    assert.equal((await secretOf(101)).metadata?.resourceVersion, stored.metadata?.resourceVersion);

    await a.write(101, 'prod-eu', kubeconfigFor(101, 'two'));
    assert.equal(await sink().read(101), kubeconfigFor(101, 'two'));
    assert.notEqual((await secretOf(101)).metadata?.resourceVersion, stored.metadata?.resourceVersion);
  });

  test('two sinks delivering at once: every write lands, none is lost to a conflict, the last one stays', async () => {
    const [a, b] = [sink(), sink()];
    const shared = 202;
    const writes: Promise<string>[] = [];
    const written: string[] = [];
    for (let i = 0; i < 12; i++) {
      const content = kubeconfigFor(shared, `g${i}`);
      written.push(content);
      writes.push((i % 2 ? b : a).write(shared, 'shared', content));
      // different clusters at the same time, one per sink
      writes.push(a.write(300 + i, `a-${i}`, kubeconfigFor(300 + i, 'a')));
      writes.push(b.write(400 + i, `b-${i}`, kubeconfigFor(400 + i, 'b')));
    }
    await Promise.all(writes);
    const final = await a.read(shared);
    assert.ok(final !== null && written.includes(final), 'the Secret holds one of the delivered kubeconfigs, whole');
    for (let i = 0; i < 12; i++) {
      assert.equal(await b.read(300 + i), kubeconfigFor(300 + i, 'a'));
      assert.equal(await a.read(400 + i), kubeconfigFor(400 + i, 'b'));
    }
    // then one after the other: the later write is what stays, whichever replica made it
    await b.write(shared, 'shared', kubeconfigFor(shared, 'b-last'));
    await a.write(shared, 'shared', kubeconfigFor(shared, 'a-last'));
    assert.equal(await b.read(shared), kubeconfigFor(shared, 'a-last'));
  });

  test('a write based on a stale read is refused with 409, and the newer content stays', async () => {
    const clusterId = 505;
    await sink().write(clusterId, 'stale', kubeconfigFor(clusterId, 'old'));
    const read = await secretOf(clusterId);
    await sink().write(clusterId, 'stale', kubeconfigFor(clusterId, 'new'));
    const staleBody = { ...read, data: { [KUBECONFIG_KEY]: Buffer.from(kubeconfigFor(clusterId, 'stale')).toString('base64') } };
    const conflict = await core.replaceNamespacedSecret({ name: kubeconfigSecretName(clusterId), namespace: NAMESPACE, body: staleBody })
      .then(() => null, (err: unknown) => err);
    assert.equal(kubeStatusCode(conflict), 409);
    assert.equal(await sink().read(clusterId), kubeconfigFor(clusterId, 'new'));
  });

  test('a failed delivery names the Secret, never the kubeconfig', async () => {
    const elsewhere = createSecretSink({ namespace: 'no-such-namespace', cluster: { kubeconfigYaml: management } });
    const failure = await rejection(elsewhere.write(606, 'x', kubeconfigFor(606, 'leak')));
    assert.match(failure.message, /secret\/no-such-namespace\/lke-kubeconfig-606/);
    assert.ok(!JSON.stringify({ message: failure.message, stack: failure.stack, cause: String(failure.cause) }).includes('secret-606-leak'));
  });
});

describe('KUBECONFIG_SINK configuration', () => {
  test('directory by default; secret needs a namespace; anything else is refused by name', () => {
    assert.deepEqual(loadConfig({}).kubeconfigSink, { kind: 'directory' });
    assert.deepEqual(loadConfig({ KUBECONFIG_SINK: 'secret', KUBECONFIG_SECRET_NAMESPACE: 'lke-rotator' }).kubeconfigSink,
      { kind: 'secret', namespace: 'lke-rotator', kubeconfigFile: undefined });
    assert.equal(
      (loadConfig({ KUBECONFIG_SINK: 'secret', KUBECONFIG_SECRET_NAMESPACE: 'ops', KUBECONFIG_SINK_KUBECONFIG: '/etc/mgmt.yaml' }).kubeconfigSink as { kubeconfigFile?: string }).kubeconfigFile,
      '/etc/mgmt.yaml');
    assert.throws(() => loadConfig({ KUBECONFIG_SINK: 'secret' }), /KUBECONFIG_SINK=secret needs KUBECONFIG_SECRET_NAMESPACE/);
    assert.throws(() => loadConfig({ KUBECONFIG_SINK: 'secret', KUBECONFIG_SECRET_NAMESPACE: 'Bad_NS' }), ConfigError);
    assert.throws(() => loadConfig({ KUBECONFIG_SINK: 's3' }), /KUBECONFIG_SINK must be "directory" or "secret"/);
  });
});
