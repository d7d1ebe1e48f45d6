// There is no Docker engine on the build machines, so docker-compose.yml is checked against the
// Compose Specification's JSON schema (vendored from compose-spec/compose-spec, Apache-2.0) instead of
// being run, plus the project's own expectations of it and of the Dockerfile: Temporal from its
// supported images (schema by an admin-tools job, never the deprecated auto-setup), the same server
// and UI as the dev server the tests use, Node 24, and a kubeconfig volume the non-root user owns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { resolveTemporalCli } from '../dev/binaries.js';

const root = new URL('../', import.meta.url);

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  configs?: { source: string; target: string }[];
  volumes?: string[];
  healthcheck?: unknown;
}

interface Compose {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
}

async function loadCompose(): Promise<Compose> {
  return parse(await readFile(new URL('docker-compose.yml', root), 'utf8')) as Compose;
}

async function compileSchema() {
  const schema = JSON.parse(await readFile(new URL('test/fixtures/compose-spec.json', root), 'utf8'));
  // It names draft-07 by its https URL, which Ajv does not alias to the draft-07 meta-schema it
  // ships; the body is plain draft-07.
  delete schema.$schema;
  // The spec's own draft-07 schema uses "format" only as a property name; strict mode would object
  // to its non-standard keywords, which are not ours to fix.
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(schema);
}

/** `repository:tag` of an image; the tag must be an exact version, never a floating one. */
function pinned(image: string | undefined, repository: string): string {
  const match = new RegExp(`^${repository}:(\\d+\\.\\d+\\.\\d+)$`).exec(image ?? '');
  assert.ok(match, `${image} is ${repository} at an exact x.y.z tag`);
  return match[1];
}

/** A one-shot job's shell script as the container runs it (Compose turns `$$` into `$`). */
function script(service: Service): string {
  const [shell, flags, body] = service.command ?? [];
  assert.equal(shell, 'sh');
  assert.match(flags, /^-e/, 'the job stops at the first failing step');
  return body.replaceAll('$$', '$');
}

test('docker-compose.yml conforms to the Compose Specification schema', async () => {
  const validate = await compileSchema();
  const ok = validate(await loadCompose());
  assert.equal(ok, true, JSON.stringify(validate.errors, null, 2));
});

test('the schema check can fail: a service with an unknown key is rejected', async () => {
  const validate = await compileSchema();
  const compose = await loadCompose() as unknown as { services: Record<string, Record<string, unknown>> };
  compose.services.worker = { ...compose.services.worker, restart_policy_typo: 'always' };
  assert.equal(validate(compose), false);
});

test('compose runs Temporal on PostgreSQL, Temporal Web, the worker and the API, configured by the environment', async () => {
  const { services } = await loadCompose();
  assert.match(services.postgresql.image ?? '', /^postgres:/);
  assert.equal(services.temporal.environment?.DB, 'postgres12');
  assert.equal(services.temporal.environment?.POSTGRES_SEEDS, 'postgresql');
  assert.match(services['temporal-ui'].image ?? '', /^temporalio\/ui:/);
  for (const name of ['worker', 'api']) {
    assert.ok(services[name].build, `${name} is built from the Dockerfile`);
    assert.equal(services[name].environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(services[name].environment?.LINODE_TOKEN_FILE, `${name} reads the Linode token from a secret file`);
  }
  assert.equal(services.api.environment?.API_TOKENS_FILE, '/run/secrets/api_tokens');
});

test('no deprecated auto-setup: the server starts only after an admin-tools job set up both schemas', async () => {
  const { services, configs } = await loadCompose();
  for (const [name, service] of Object.entries(services)) {
    assert.doesNotMatch(service.image ?? '', /auto-setup/, `${name} uses no auto-setup image`);
  }
  const job = services['temporal-schema'];
  const server = services.temporal;
  assert.equal(pinned(job.image, 'temporalio/admin-tools'), pinned(server.image, 'temporalio/server'), 'admin-tools matches the server');
  assert.deepEqual(job.depends_on?.postgresql, { condition: 'service_healthy' });
  assert.deepEqual(server.depends_on?.['temporal-schema'], { condition: 'service_completed_successfully' });

  const steps = script(job);
  assert.match(steps, /temporal-sql-tool --plugin postgres12/);
  for (const command of [/ create$/m, /setup-schema -v 0\.0$/m, /update-schema -d /]) assert.match(steps, command);
  // The server's defaults: databases temporal and temporal_visibility, with their versioned schemas.
  assert.match(steps, /^setup temporal temporal$/m);
  assert.match(steps, /^setup temporal_visibility visibility$/m);
  assert.match(steps, /\/etc\/temporal\/schema\/postgresql\/v12\/\$2\/versioned/);

  // The server image refuses to start without a dynamic config file at its default path.
  const dynamic = server.configs?.find((c) => c.target === '/etc/temporal/config/dynamicconfig/docker.yaml');
  assert.ok(dynamic, 'the server gets a dynamic config file');
  assert.equal(typeof parse(configs?.[dynamic.source]?.content ?? ''), 'object');
  assert.ok(server.healthcheck, 'dependents can wait for a healthy server');
});

test('the default namespace is created (auto-setup did it) before the worker and the API start', async () => {
  const { services } = await loadCompose();
  const job = services['temporal-namespace'];
  assert.equal(pinned(job.image, 'temporalio/admin-tools'), pinned(services.temporal.image, 'temporalio/server'));
  assert.deepEqual(job.depends_on?.temporal, { condition: 'service_healthy' });
  assert.equal(job.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  const steps = script(job);
  assert.match(steps, /temporal operator cluster health/);
  assert.match(steps, /temporal operator namespace create --namespace "\$TEMPORAL_NAMESPACE"/);
  for (const name of ['worker', 'api']) {
    assert.equal(job.environment?.TEMPORAL_NAMESPACE, services[name].environment?.TEMPORAL_NAMESPACE, `the namespace ${name} uses`);
    assert.deepEqual(services[name].depends_on?.['temporal-namespace'], { condition: 'service_completed_successfully' });
  }
});

test('the one-shot jobs\' scripts parse as POSIX sh', async () => {
  const { services } = await loadCompose();
  for (const name of ['temporal-schema', 'temporal-namespace']) {
    const run = spawnSync('sh', ['-n', '-c', script(services[name])], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${name}: ${run.stderr}`);
  }
});

test('server and UI images are the ones the dev server the tests use embeds', async () => {
  const { services } = await loadCompose();
  const { stdout } = await promisify(execFile)(await resolveTemporalCli(), ['--version']);
  const embedded = /Server (\d+\.\d+\.\d+), UI (\d+\.\d+\.\d+)/.exec(stdout);
  assert.ok(embedded, `the CLI names its server and UI: ${stdout}`);
  assert.equal(pinned(services.temporal.image, 'temporalio/server'), embedded[1]);
  assert.equal(pinned(services['temporal-ui'].image, 'temporalio/ui'), embedded[2]);
});

test('the image is Node 24, and the kubeconfig directory exists owned by the non-root user', async () => {
  const dockerfile = await readFile(new URL('Dockerfile', root), 'utf8');
  const lines = dockerfile.split('\n');
  const froms = lines.filter((line) => line.startsWith('FROM '));
  assert.ok(froms.length > 0);
  for (const from of froms) assert.match(from, /^FROM node:24-bookworm-slim\b/);

  const { services } = await loadCompose();
  const dir = services.worker.environment?.KUBECONFIG_DIR;
  assert.ok(dir);
  assert.ok(services.worker.volumes?.some((volume) => volume.endsWith(`:${dir}`)), 'the worker keeps kubeconfigs on a volume');
  // A new named volume takes the ownership of the image's directory, so it must exist, be the
  // node user's, and that must happen in the final stage before USER node.
  const finalStage = lines.slice(lines.lastIndexOf(froms[froms.length - 1]));
  const user = finalStage.findIndex((line) => /^USER node\b/.test(line));
  assert.ok(user > 0, 'the final stage runs as node');
  const prepare = finalStage.slice(0, user).find((line) => line.startsWith('RUN ') && line.includes(dir));
  assert.ok(prepare, `the final stage prepares ${dir} before USER node`);
  assert.match(prepare, new RegExp(`mkdir -p ${dir}`));
  assert.match(prepare, /chown -R node:node \/var\/lib\/lke-rotator\b/);
  assert.ok(dir.startsWith('/var/lib/lke-rotator/'));
});
