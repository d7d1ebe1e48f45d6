// There is no Docker engine on the build machines, so docker-compose.yml is checked against the
// Compose Specification's JSON schema (vendored from compose-spec/compose-spec, Apache-2.0) instead of
// being run, plus the project's own expectations of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

const root = new URL('../', import.meta.url);

async function loadCompose(): Promise<Record<string, unknown>> {
  return parse(await readFile(new URL('docker-compose.yml', root), 'utf8')) as Record<string, unknown>;
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

test('docker-compose.yml conforms to the Compose Specification schema', async () => {
  const validate = await compileSchema();
  const ok = validate(await loadCompose());
  assert.equal(ok, true, JSON.stringify(validate.errors, null, 2));
});

test('the schema check can fail: a service with an unknown key is rejected', async () => {
  const validate = await compileSchema();
  const compose = await loadCompose();
  const services = compose.services as Record<string, Record<string, unknown>>;
  services.worker = { ...services.worker, restart_policy_typo: 'always' };
  assert.equal(validate(compose), false);
});

test('compose runs Temporal on PostgreSQL, Temporal Web, the worker and the API, configured by the environment', async () => {
  const compose = await loadCompose();
  const services = compose.services as Record<string, { image?: string; build?: unknown; environment?: Record<string, string> }>;
  assert.match(services.postgresql.image ?? '', /^postgres:/);
  assert.equal(services.temporal.environment?.DB, 'postgres12');
  assert.match(services['temporal-ui'].image ?? '', /^temporalio\/ui:/);
  for (const name of ['worker', 'api']) {
    assert.ok(services[name].build, `${name} is built from the Dockerfile`);
    assert.equal(services[name].environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(services[name].environment?.LINODE_TOKEN_FILE, `${name} reads the Linode token from a secret file`);
  }
  assert.equal(services.api.environment?.API_TOKENS_FILE, '/run/secrets/api_tokens');
});
