// The guide's kubectl commands, unchanged, against a simulated cluster: kubectl's discovery, table
// printing, field-selector delete, rollout restart/status (strategic merge patch + watch) all work,
// and after the token Secrets are deleted the old kubeconfig is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_ACCOUNT_TOKEN_TYPE } from '../common/names.js';
import { lkeTokenServiceAccounts } from '../sim/kube/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { kubectl, kubectlMissing as missing, type KubectlRun } from './support/kubectl.js';
import { startTestKube, type TestKube } from './support/simKube.js';
import { fetchKubeconfig } from './support/simLinode.js';

describe('the guide\'s kubectl commands against the simulator', { skip: missing }, () => {
  let kube: TestKube;
  let kubeconfig: string;
  const CLUSTER = 301;
  const TIME_SCALE = 0.02;
  before(async () => {
    // a token cache of 5 s real time (it is simulated time, scaled like the rest): long enough for
    // kubectl delete's own follow-up requests on a loaded machine, short enough to see the old kubeconfig refused soon after
    kube = await startTestKube({ clusterIds: [CLUSTER], k8sVersion: '1.32', timeScale: TIME_SCALE, rolloutStepMs: 5_000, tokenCacheMs: 5_000 / TIME_SCALE });
    kubeconfig = kube.kubeconfigFile(CLUSTER);
  });
  after(async () => { await kube.stop(); });

  const appDeployment = () => {
    const [deployment] = kube.clusters.get(CLUSTER)!.store.list('deployments').filter((d) => d.metadata.namespace !== 'kube-system');
    return { name: deployment.metadata.name, namespace: deployment.metadata.namespace! };
  };

  test('kubectl -n kube-system get secrets --field-selector="type=kubernetes.io/service-account-token"', async () => {
    const run = await kubectl(kubeconfig, ['-n', 'kube-system', 'get', 'secrets', `--field-selector=type=${SERVICE_ACCOUNT_TOKEN_TYPE}`]);
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trim().split('\n');
    assert.match(header, /^NAME\s+TYPE\s+DATA\s+AGE$/);
    assert.equal(rows.length, lkeTokenServiceAccounts('1.32').length);
    for (const account of lkeTokenServiceAccounts('1.32')) {
      assert.ok(rows.some((row) => new RegExp(`^${account}-token-[a-z0-9]{5}\\s+${SERVICE_ACCOUNT_TOKEN_TYPE}\\s+3\\s+\\d+s`).test(row)), `${account}: ${run.stdout}`);
    }
  });

  test('kubectl get nodes', async () => {
    const run = await kubectl(kubeconfig, ['get', 'nodes']);
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = run.stdout.trim().split('\n');
    assert.match(header, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    assert.deepEqual(rows.map((row) => row.split(/\s+/)[0]).sort(), kube.clusters.get(CLUSTER)!.nodeNames().sort());
    assert.ok(rows.every((row) => /\sReady\s+<none>\s+\S+\s+v1\.32\.\d+$/.test(row)), run.stdout);
  });

  test('kubectl rollout restart and rollout status --timeout=30s', async () => {
    const { name, namespace } = appDeployment();
    const restart = await kubectl(kubeconfig, ['rollout', 'restart', `deployment/${name}`, '-n', namespace]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal(restart.stdout.trim(), `deployment.apps/${name} restarted`);
    assert.ok(kube.clusters.get(CLUSTER)!.restartedAt('Deployment', namespace, name));
    const status = await kubectl(kubeconfig, ['rollout', 'status', `deployment/${name}`, '-n', namespace, '--timeout=30s']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`deployment "${name}" successfully rolled out`));
    assert.match(status.stdout, /Waiting for deployment .* rollout to finish/, 'kubectl watched it progress');
    assert.equal(kube.audit.count({ clusterId: CLUSTER, method: 'PATCH', path: `/deployments/${name}`, applied: true }), 1);

    for (const workload of ['statefulset/csi-linode-controller', 'daemonset/kube-proxy']) {
      assert.equal((await kubectl(kubeconfig, ['rollout', 'restart', workload, '-n', 'kube-system'])).code, 0);
      const done = await kubectl(kubeconfig, ['rollout', 'status', workload, '-n', 'kube-system', '--timeout=30s']);
      assert.equal(done.code, 0, `${workload}: ${done.stderr}`);
    }
  });

  test('kubectl rollout status fails on ProgressDeadlineExceeded, and refuses to restart a paused Deployment', async () => {
    const cluster = kube.clusters.get(CLUSTER)!;
    assert.equal((await kubectl(kubeconfig, ['rollout', 'restart', 'deployment/calico-kube-controllers', '-n', 'kube-system'])).code, 0);
    cluster.failRollout('Deployment', 'kube-system', 'calico-kube-controllers');
    const failed = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/calico-kube-controllers', '-n', 'kube-system', '--timeout=30s']);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /exceeded its progress deadline/);

    assert.equal((await kubectl(kubeconfig, ['rollout', 'pause', 'deployment/coredns', '-n', 'kube-system'])).code, 0);
    const refused = await kubectl(kubeconfig, ['rollout', 'restart', 'deployment/coredns', '-n', 'kube-system']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /paused/);
    assert.equal(cluster.restartedAt('Deployment', 'kube-system', 'coredns'), undefined);
    assert.equal((await kubectl(kubeconfig, ['rollout', 'resume', 'deployment/coredns', '-n', 'kube-system'])).code, 0);
  });

  test('kubectl -n kube-system delete secrets --field-selector=...; then the old kubeconfig gets 401', async () => {
    const cluster = kube.clusters.get(CLUSTER)!;
    const before = cluster.tokenSecrets('kube-system').map((s) => s.metadata.name);
    const run = await kubectl(kubeconfig, ['-n', 'kube-system', 'delete', 'secrets', `--field-selector=type=${SERVICE_ACCOUNT_TOKEN_TYPE}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n').sort(), before.map((name) => `secret "${name}" deleted`).sort());
    assert.equal(cluster.tokenSecrets('kube-system').length, 0);
    assert.equal(kube.audit.count({ clusterId: CLUSTER, method: 'DELETE', path: '/secrets/', applied: true }), before.length);

    // the apiserver caches token checks, so the old token dies within the cache period (docs/design.md, 'Facts about the real APIs': retry 15 s+)
    const deadline = Date.now() + 15_000;
    let nodes: KubectlRun;
    do {
      nodes = await kubectl(kubeconfig, ['get', 'nodes']);
    } while (nodes.code === 0 && Date.now() < deadline);
    assert.notEqual(nodes.code, 0);
    assert.match(nodes.stderr, /Unauthorized/);
    assert.equal(kube.audit.count({ clusterId: CLUSTER, method: 'DELETE', applied: true }), before.length);

    cluster.regenerateServiceTokens();
    const fresh = await kubectl(kube.kubeconfigFile(CLUSTER), ['get', 'nodes']);
    assert.equal(fresh.code, 0, fresh.stderr);
  });
});

describe('the guide\'s delete on `npm run sim` defaults (time scale 1, the 10 s token cache)', { skip: missing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-kubectl-'));
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  /** a simulator as `npm run sim` starts one (plus `extra`), and its first cluster's served kubeconfig in a file */
  async function served(extra: SimulatorOptions): Promise<{ sim: Simulator; id: number; kubeconfig: string }> {
    const sim = await startSimulator({ clusters: 1, seed: 1, ...extra });
    const id = sim.state.list()[0].cluster.id;
    const kubeconfig = join(dir, `kubeconfig-${id}-${Object.keys(extra).join('-') || 'default'}.yaml`);
    writeFileSync(kubeconfig, (await fetchKubeconfig(sim, id)).yaml ?? assert.fail('no kubeconfig served'), { mode: 0o600 });
    return { sim, id, kubeconfig };
  }

  test('kubectl -n kube-system delete secrets --field-selector="type=kubernetes.io/service-account-token" deletes them all', async () => {
    const { sim, id, kubeconfig } = await served({});
    try {
      const expected = sim.state.kube(id)!.tokenSecrets('kube-system').map((s) => `secret "${s.metadata.name}" deleted`).sort();
      const run = await kubectl(kubeconfig, ['-n', 'kube-system', 'delete', 'secrets', `--field-selector=type=${SERVICE_ACCOUNT_TOKEN_TYPE}`]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.stdout.trim().split('\n').sort(), expected);
      assert.equal(sim.state.kube(id)!.tokenSecrets('kube-system').length, 0);
    } finally {
      await sim.stop();
    }
  });

  test('without the cache (tokenCacheMs: 0) the same command fails halfway, as it did before', async () => {
    const { sim, kubeconfig } = await served({ tokenCacheMs: 0 });
    try {
      const run = await kubectl(kubeconfig, ['-n', 'kube-system', 'delete', 'secrets', `--field-selector=type=${SERVICE_ACCOUNT_TOKEN_TYPE}`]);
      assert.notEqual(run.code, 0);
      assert.match(run.stderr, /Unauthorized/);
    } finally {
      await sim.stop();
    }
  });

  test('kubectl auth whoami: a user-owned token Secret authenticates as its own service account', async () => {
    const { sim, id } = await served({ userTokenSecrets: 1 });
    try {
      const cluster = sim.state.kube(id)!;
      const [own] = cluster.tokenSecrets('kube-system').filter((s) => !lkeTokenServiceAccounts(cluster.k8sVersion).includes(
        s.metadata.annotations!['kubernetes.io/service-account.name']));
      const account = own.metadata.annotations!['kubernetes.io/service-account.name'];
      const token = Buffer.from((own.data as { token: string }).token, 'base64').toString();
      const kubeconfig = join(dir, `kubeconfig-${id}-${account}.yaml`);
      writeFileSync(kubeconfig, (await fetchKubeconfig(sim, id)).yaml!.replace(/token: .*/, `token: ${token}`), { mode: 0o600 });
      const run = await kubectl(kubeconfig, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), `system:serviceaccount:kube-system:${account}`);
    } finally {
      await sim.stop();
    }
  });
});

// kubectl here may be a dispatcher that runs the client version matching the server's minor version
// (it ships 1.27 to 1.33), so every LKE version the fleet generator uses is exercised once.
const VERSIONS = ['1.26', '1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];

describe('kubectl against every simulated LKE version', { skip: missing }, () => {
  let kube: TestKube;
  before(async () => {
    kube = await startTestKube({
      clusterIds: VERSIONS.map((_, i) => 400 + i), k8sVersion: (id) => VERSIONS[id - 400], timeScale: 0.01, rolloutStepMs: 5_000,
      appNamespaces: 1,
    });
  });
  after(async () => { await kube.stop(); });

  for (const [i, version] of VERSIONS.entries()) {
    test(`LKE ${version}: version, token Secrets, rollout restart and status`, async () => {
      const kubeconfig = kube.kubeconfigFile(400 + i);
      const info = await kubectl(kubeconfig, ['version', '-o', 'json']);
      assert.equal(info.code, 0, info.stderr);
      assert.match((JSON.parse(info.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion, new RegExp(`^v${version.replace('.', '\\.')}\\.\\d+$`));
      const secrets = await kubectl(kubeconfig, ['-n', 'kube-system', 'get', 'secrets', `--field-selector=type=${SERVICE_ACCOUNT_TOKEN_TYPE}`, '-o', 'name']);
      assert.equal(secrets.code, 0, secrets.stderr);
      assert.equal(secrets.stdout.trim().split('\n').length, lkeTokenServiceAccounts(version).length);
      assert.equal((await kubectl(kubeconfig, ['rollout', 'restart', 'deployment/coredns', '-n', 'kube-system'])).code, 0);
      const status = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/coredns', '-n', 'kube-system', '--timeout=30s']);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /successfully rolled out/);
    });
  }
});
