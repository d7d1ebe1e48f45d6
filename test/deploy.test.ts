// The Kubernetes manifests under deploy/: rendered by kubectl's built-in kustomize, as
// `kubectl apply -k deploy/` would, then checked against the Kubernetes OpenAPI schemas of pinned
// versions in strict mode (unknown fields fail) by `kubernetes-validate` (PyPI, which bundles
// those schemas; .ci/run installs it pinned), plus the project's own expectations of them: non-root,
// read-only root filesystem, probes, resources, and no secret value anywhere.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  V1Container, V1Deployment, V1PodSpec, V1Role, V1RoleBinding, V1Secret, V1Service,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ENV } from '../common/names.js';

const DEPLOY = fileURLToPath(new URL('../deploy/', import.meta.url));
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
// Run as a module so that it does not depend on pip's script directory being on PATH.
const [VALIDATOR, ...VALIDATOR_ARGS] = process.env.KUBERNETES_VALIDATE?.split(' ') ?? ['python3', '-m', 'kubernetes_validate'];
/** The oldest Kubernetes the manifests must still apply to, and the newest the validator knows. */
const KUBERNETES_VERSIONS = ['1.33.0', '1.37.0'];

function probe(command: string, args: string[]): string | undefined {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  return run.error || run.status !== 0 ? `${command}: ${run.error?.message ?? run.stderr.trim()}` : undefined;
}

const missingTools = [
  probe(KUBECTL, ['version', '--client']),
  probe(VALIDATOR, [...VALIDATOR_ARGS, '--version']),
].filter((reason): reason is string => reason !== undefined);
// CI installs both (kubectl ships with the machine image, .ci/run pip-installs the validator), so
// there a missing tool is a failure; on a developer machine the tests skip, and say so loudly.
const skip = missingTools.length > 0 && !process.env.CI
  ? `MANIFESTS NOT VALIDATED: ${missingTools.join('; ')} (kubectl comes with the machine image; the validator: pip install kubernetes-validate==1.37.0, as .ci/run does)`
  : undefined;
if (skip) console.warn(`\n!!! ${skip}\n`);

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
}

function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function render(dir: string): { text: string; objects: KubeObject[] } {
  const run = spawnSync(KUBECTL, ['kustomize', join(DEPLOY, dir)], { encoding: 'utf8' });
  assert.equal(run.status, 0, `kubectl kustomize ${dir} failed: ${run.error?.message ?? run.stderr}`);
  return { text: run.stdout, objects: parseObjects(run.stdout) };
}

function one<T>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(found.length, 1, `one ${kind} ${name}`);
  return found[0] as T;
}

/** Runs the schema validator on manifests (strict: unknown fields fail) for every pinned version. */
async function validate(manifests: string): Promise<{ status: number | null; lines: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'lke-rotator-deploy-'));
  try {
    const file = join(dir, 'manifests.yaml');
    await writeFile(file, manifests);
    const versions = KUBERNETES_VERSIONS.flatMap((v) => ['-k', v]);
    const run = spawnSync(VALIDATOR, [...VALIDATOR_ARGS, '--strict', ...versions, file], { encoding: 'utf8' });
    return { status: run.status, lines: `${run.stdout}${run.stderr}`.split('\n').filter(Boolean) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function secretsExample(): Promise<{ text: string; secrets: V1Secret[] }> {
  const text = await readFile(join(DEPLOY, 'secrets.example.yaml'), 'utf8');
  return { text, secrets: parseObjects(text) as V1Secret[] };
}

function podSpec(deployment: V1Deployment): V1PodSpec {
  const spec = deployment.spec?.template.spec;
  assert.ok(spec, `${deployment.metadata?.name} has a pod template`);
  return spec;
}

const deploymentsOf = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Deployment') as V1Deployment[];

describe('the Kubernetes manifests (deploy/)', { skip }, () => {
  test('render with kustomize and conform to the Kubernetes schemas of each pinned version', async () => {
    const { text, objects } = render('.');
    const example = await secretsExample();
    const { status, lines } = await validate(`${text}\n---\n${example.text}`);
    const passed = lines.filter((line) => line.startsWith('INFO') && line.includes(' passed '));
    // A kind the validator has no schema for is only a WARN there; here it fails.
    assert.deepEqual(lines.filter((line) => !line.startsWith('INFO')), [], 'no errors or unvalidated kinds');
    assert.equal(status, 0);
    assert.equal(passed.length, (objects.length + example.secrets.length) * KUBERNETES_VERSIONS.length);
  });

  test('the schema check can fail: a misspelled container field is rejected', async () => {
    const { objects } = render('.');
    const worker = one<V1Deployment>(objects, 'Deployment', 'lke-rotator-worker');
    const broken = structuredClone(worker) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    broken.spec.template.spec.containers[0].readOnlyRootFileSystem = true;
    const { status, lines } = await validate(JSON.stringify(broken));
    assert.notEqual(status, 0);
    assert.ok(lines.some((line) => line.startsWith('ERROR') && line.includes('readOnlyRootFileSystem')), lines.join('\n'));
  });

  test('the base names no namespace; deploy/ puts every object, and the RoleBinding subject, in one', () => {
    const base = render('base').objects;
    for (const object of base) assert.equal(object.metadata.namespace, undefined, `${object.kind} ${object.metadata.name}`);
    const binding = one<V1RoleBinding>(base, 'RoleBinding', 'lke-rotator-kubeconfig-secrets');
    assert.equal(binding.subjects?.[0].namespace, undefined);

    const applied = render('.').objects;
    const namespaces = new Set(applied.map((o) => o.metadata.namespace));
    assert.equal(namespaces.size, 1);
    const [namespace] = namespaces;
    assert.ok(namespace);
    assert.equal(one<V1RoleBinding>(applied, 'RoleBinding', 'lke-rotator-kubeconfig-secrets').subjects?.[0].namespace, namespace);
  });

  test('the worker runs as several replicas; the API is a Deployment behind a Service', () => {
    const { objects } = render('.');
    const worker = one<V1Deployment>(objects, 'Deployment', 'lke-rotator-worker');
    assert.ok((worker.spec?.replicas ?? 1) >= 2, 'at least two workers');
    assert.deepEqual(podSpec(worker).containers[0].command, ['node', 'dist/worker/main.js']);

    const api = one<V1Deployment>(objects, 'Deployment', 'lke-rotator-api');
    const container = podSpec(api).containers[0];
    assert.deepEqual(container.command, ['node', 'dist/api/main.js']);
    const service = one<V1Service>(objects, 'Service', 'lke-rotator-api');
    const podLabels = api.spec?.template.metadata?.labels ?? {};
    for (const [key, value] of Object.entries(service.spec?.selector ?? {})) assert.equal(podLabels[key], value, `Service selects the API pods by ${key}`);
    const targetPort = service.spec?.ports?.[0].targetPort;
    assert.ok(container.ports?.some((p) => p.name === targetPort || p.containerPort === targetPort), 'Service targets the API port');
    const apiPort = container.env?.find((e) => e.name === ENV.apiPort)?.value;
    assert.equal(String(container.ports?.[0].containerPort), apiPort, 'the API listens on the port the pod declares');
    assert.equal(container.env?.find((e) => e.name === ENV.apiHost)?.value, '0.0.0.0');
  });

  test('the API is probed: liveness on /healthz, readiness on /readyz', () => {
    const api = one<V1Deployment>(render('.').objects, 'Deployment', 'lke-rotator-api');
    const container = podSpec(api).containers[0];
    assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      assert.ok(container.ports?.some((p) => p.name === probe?.httpGet?.port || p.containerPort === probe?.httpGet?.port));
    }
  });

  test('every pod runs non-root on a read-only root filesystem, with no privileges and resource requests', () => {
    for (const deployment of deploymentsOf(render('.').objects)) {
      const name = deployment.metadata?.name;
      const pod = podSpec(deployment);
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
      assert.equal(pod.securityContext?.runAsUser, 1000, `${name}: the image's node user`);
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${name}: seccomp`);
      const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])] as V1Container[]) {
        const where = `${name}/${container.name}`;
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root filesystem`);
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
        assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], `${where}: drops all capabilities`);
        assert.equal(container.securityContext?.privileged, undefined, `${where}: not privileged`);
        for (const resource of ['cpu', 'memory']) assert.ok(container.resources?.requests?.[resource], `${where}: ${resource} request`);
        assert.ok(container.resources?.limits?.memory, `${where}: memory limit`);
        for (const mount of container.volumeMounts ?? []) {
          if (!mount.readOnly) assert.ok(emptyDirs.has(mount.name), `${where}: writable ${mount.mountPath} is an emptyDir`);
        }
        assert.ok(container.volumeMounts?.some((m) => m.mountPath === '/tmp' && emptyDirs.has(m.name)), `${where}: a writable /tmp`);
      }
    }
  });

  test('configuration comes from variables the service reads; secrets only as mounted files', () => {
    const { objects } = render('.');
    const known = new Set<string>([...Object.values(ENV), 'XDG_CACHE_HOME']);
    // Temporal's own client environment configuration (TLS, API key, profiles) is TEMPORAL_*.
    const isKnown = (name: string) => known.has(name) || name.startsWith('TEMPORAL_');
    const config = one<{ data: Record<string, string> }>(objects, 'ConfigMap', 'lke-rotator-config');
    for (const key of Object.keys(config.data)) assert.ok(isKnown(key), `ConfigMap key ${key} is read by the service`);
    for (const deployment of deploymentsOf(objects)) {
      for (const container of podSpec(deployment).containers) {
        assert.ok(container.envFrom?.some((from) => from.configMapRef?.name === 'lke-rotator-config'));
        for (const variable of container.env ?? []) {
          assert.ok(isKnown(variable.name), `${container.name}: ${variable.name} is read by the service`);
          assert.ok(!['LINODE_TOKEN', 'TEMPORAL_API_KEY'].includes(variable.name), `${container.name}: ${variable.name} as a value`);
        }
        assert.match(container.env?.find((e) => e.name === ENV.linodeTokenFile)?.value ?? '', /^\/etc\/lke-rotator\//);
      }
    }
  });

  test('no secret value in the manifests: Secrets are referenced, and their example holds placeholders only', async () => {
    const { objects } = render('.');
    assert.deepEqual(objects.filter((o) => o.kind === 'Secret'), [], 'apply -k creates no Secret (it would overwrite the real ones)');
    const example = await secretsExample();
    const examples = new Map(example.secrets.map((s) => [s.metadata?.name, s]));
    for (const secret of example.secrets) {
      assert.equal(secret.data, undefined, `${secret.metadata?.name}: stringData placeholders only`);
      for (const [key, value] of Object.entries(secret.stringData ?? {})) {
        const placeholders = value.match(/<[^>]+>/g) ?? [];
        assert.ok(placeholders.length > 0, `${secret.metadata?.name}.${key} is a placeholder`);
        assert.doesNotMatch(value.replace(/<[^>]+>/g, ''), /[A-Za-z0-9+/=_-]{20,}/, `${secret.metadata?.name}.${key} holds nothing token-like`);
      }
    }
    const mounted = new Map<string, { optional: boolean; users: Set<string> }>();
    for (const deployment of deploymentsOf(objects)) {
      for (const volume of podSpec(deployment).volumes ?? []) {
        const ref = volume.secret;
        if (!ref?.secretName) continue;
        const source = examples.get(ref.secretName);
        assert.ok(source, `${ref.secretName} is described in deploy/secrets.example.yaml`);
        for (const item of ref.items ?? []) assert.ok(source.stringData?.[item.key] !== undefined, `${ref.secretName} has key ${item.key}`);
        const entry = mounted.get(ref.secretName) ?? { optional: ref.optional === true, users: new Set<string>() };
        entry.users.add(deployment.metadata?.name ?? '');
        mounted.set(ref.secretName, entry);
      }
    }
    assert.deepEqual([...mounted.keys()].sort(), [...examples.keys()].sort(), 'every example Secret is used');
    assert.equal(mounted.get('lke-rotator-temporal-tls')?.optional, true, 'Temporal TLS material is optional');
    // The API only reads Linode, so it never holds the worker's read/write token.
    assert.deepEqual([...(mounted.get('lke-rotator-linode-token')?.users ?? [])], ['lke-rotator-worker']);
    assert.deepEqual([...(mounted.get('lke-rotator-linode-readonly-token')?.users ?? [])], ['lke-rotator-api']);
  });

  test('the worker may manage Secrets in its own namespace only, for the `secret` kubeconfig sink', () => {
    const { objects } = render('.');
    assert.deepEqual(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'), [], 'nothing cluster-wide');
    const role = one<V1Role>(objects, 'Role', 'lke-rotator-kubeconfig-secrets');
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'update', 'patch'] }]);
    assert.match(role.metadata?.annotations?.['lke-rotator/used-by'] ?? '', /sink: secret/);
    const binding = one<V1RoleBinding>(objects, 'RoleBinding', 'lke-rotator-kubeconfig-secrets');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata?.name });
    const worker = one<V1Deployment>(objects, 'Deployment', 'lke-rotator-worker');
    assert.deepEqual(binding.subjects?.map((s) => [s.kind, s.name]), [['ServiceAccount', podSpec(worker).serviceAccountName]]);
    const api = one<V1Deployment>(objects, 'Deployment', 'lke-rotator-api');
    assert.equal(podSpec(api).automountServiceAccountToken, false, 'the API gets no Kubernetes credentials');
  });
});
