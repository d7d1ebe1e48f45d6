// The whole simulator end to end: the kubeconfig its Linode API serves works with @kubernetes/client-node,
// and `npm run sim` runs it standalone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../sim/index.js';
import {
  baseRequest, getKubeConfig, getNodePools, httpError, recycleNode, TIME_SCALE, TOKEN, useSimulator, useToken, v4, v4beta, waitFor,
} from './support/simLinodeHarness.js';
import { startSimCli } from './support/simCli.js';

describe('whole simulator: the served kubeconfig works with @kubernetes/client-node', () => {
  let sim: Simulator;
  before(async () => {
    // a 5-minute boot (300 ms here) leaves time to see a replacement Node NotReady before it turns Ready
    sim = await startSimulator({ clusters: 4, seed: 11, timeScale: TIME_SCALE, delays: { nodeReadyMs: 300_000 }, rateLimit: false });
    useSimulator(sim.linodeApiUrl);
    useToken(sim.linodeToken);
  });
  after(async () => {
    useToken(TOKEN);
    await sim.stop();
  });

  const kubeconfigOf = async (id: number): Promise<{ yaml: string; token: string; core: CoreV1Api }> => {
    const yaml = Buffer.from((await getKubeConfig(id)).kubeconfig, 'base64').toString();
    const kc = new KubeConfig();
    kc.loadFromString(yaml);
    return { yaml, token: kc.getCurrentUser()?.token ?? assert.fail('no token'), core: kc.makeApiClient(CoreV1Api) };
  };
  const status = async (call: Promise<unknown>): Promise<number> => {
    try { await call; return 200; } catch (err) { if (err instanceof ApiException) return err.code; throw err; }
  };
  const readyNodes = async (core: CoreV1Api): Promise<Map<string, { providerID?: string; ready: boolean }>> =>
    new Map((await core.listNode()).items.map((n) => [n.metadata?.name ?? '', {
      providerID: n.spec?.providerID,
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    }]));

  it('serves Nodes that match the Linode pools, and the lke-admin token Secret', async () => {
    const id = sim.state.list()[0].cluster.id;
    const { core, yaml } = await kubeconfigOf(id);
    assert.match(yaml, new RegExp(`server: ${sim.kubeBaseUrl}/${id}`));
    const nodes = await readyNodes(core);
    const pools = await getNodePools(id);
    const instanceIds = pools.data.flatMap((p) => p.nodes.map((n) => `linode://${n.instance_id}`)).sort();
    assert.deepEqual([...nodes.values()].map((n) => n.providerID).sort(), instanceIds);
    assert.ok([...nodes.values()].every((n) => n.ready));
    for (const name of nodes.keys()) assert.match(name, new RegExp(`^lke${id}-\\d+-[0-9a-f]{12}$`));

    const secrets = await core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: 'type=kubernetes.io/service-account-token' });
    const accounts = secrets.items.map((s) => s.metadata?.annotations?.['kubernetes.io/service-account.name']);
    assert.ok(accounts.includes('lke-admin'));
  });

  it('regenerate: the new kubeconfig carries a new token that works, and the old token is refused', async () => {
    const id = sim.state.list()[1].cluster.id;
    const old = await kubeconfigOf(id);
    const secretsBefore = (await old.core.listNamespacedSecret({ namespace: 'kube-system' })).items.map((s) => s.metadata?.uid);

    await baseRequest.post(v4(`/lke/clusters/${id}/regenerate`), { kubeconfig: true, servicetoken: true });
    assert.equal((await httpError(getKubeConfig(id))).status, 503);
    const fresh = await waitFor('the new kubeconfig', async () => { try { return await kubeconfigOf(id); } catch { return undefined; } });
    assert.notEqual(fresh.token, old.token);
    assert.equal((await fresh.core.listNode()).items.length, sim.state.kube(id)?.nodeNames().length);
    assert.equal(await status(old.core.listNode()), 401);
    const secretsAfter = (await fresh.core.listNamespacedSecret({ namespace: 'kube-system', fieldSelector: 'type=kubernetes.io/service-account-token' })).items;
    assert.ok(secretsAfter.length > 0 && secretsAfter.every((s) => !secretsBefore.includes(s.metadata?.uid)), 'every token Secret is new');
    assert.equal(sim.audit.count({ api: 'linode', clusterId: id, applied: true }), 1);
  });

  it('recycle replaces the Kubernetes Node: the old one goes, a new one named for the new instance turns Ready', async () => {
    const id = sim.state.list()[2].cluster.id;
    const { core } = await kubeconfigOf(id);
    const pool = (await getNodePools(id)).data[0];
    const target = pool.nodes[0];
    const before = await readyNodes(core);
    const oldName = [...before.entries()].find(([, n]) => n.providerID === `linode://${target.instance_id}`)?.[0] ?? assert.fail('no Node for the instance');

    await recycleNode(id, target.id);
    const getNode = async (): Promise<{ instance_id: number | null; status: string }> =>
      (await baseRequest.get(v4beta(`/lke/clusters/${id}/nodes/${target.id}`))).data;
    const replaced = await waitFor('a new instance', async () => { const n = await getNode(); return n.instance_id !== null ? n : undefined; });
    const afterJoin = await readyNodes(core);
    assert.equal(afterJoin.has(oldName), false);
    const [newName, newNode] = [...afterJoin.entries()].find(([, n]) => n.providerID === `linode://${replaced.instance_id}`) ?? assert.fail('no new Node');
    assert.match(newName, new RegExp(`^lke${id}-${pool.id}-[0-9a-f]{12}$`));
    assert.equal(replaced.status, 'not_ready');
    assert.equal(newNode.ready, false, 'the replacement joins NotReady');
    await waitFor('the new Node Ready', async () => (await readyNodes(core)).get(newName)?.ready);
    assert.equal((await getNode()).status, 'ready');
    assert.equal((await readyNodes(core)).size, before.size);
  });

  it('a node that never becomes Ready shows NotReady in Kubernetes and not_ready in Linode', async () => {
    const id = sim.state.list()[3].cluster.id;
    const { core } = await kubeconfigOf(id);
    const node = (await getNodePools(id)).data[0].nodes[0];
    sim.state.setNodeNeverReady(id, node.id);
    const name = [...(await readyNodes(core)).entries()].find(([, n]) => n.providerID === `linode://${node.instance_id}`)?.[0] ?? assert.fail('no Node');
    assert.equal((await readyNodes(core)).get(name)?.ready, false);
    assert.equal((await baseRequest.get(v4beta(`/lke/clusters/${id}/nodes/${node.id}`))).data.status, 'not_ready');
  });
});

describe('npm run sim (standalone)', () => {
  it('prints the API URL and token, serves the fleet, and stops on SIGINT', async () => {
    const sim = await startSimCli(['--clusters', '3', '--seed', '7', '--time-scale', '0.01']);
    let code: number | null | undefined;
    try {
      const reply = await fetch(`${sim.url}/v4/lke/clusters`, { headers: { Authorization: `Bearer ${sim.token}` } });
      assert.equal(reply.status, 200);
      assert.equal(((await reply.json()) as { results: number }).results, 3);
    } finally {
      code = await sim.stop();
    }
    assert.equal(code, 0);
  });
});
