// Temporal Web, in a real browser: the dev server's UI driven by headless Chromium (Debian's
// `chromium`, through playwright-core, which downloads no browser). A rotation waits at its
// beforeDelete gate; the workflow page must show its summary and its plan, and a second person
// approves it with Temporal Web's own "Send a Signal" action, no other tool. Screenshots of the page
// go to test-artifacts/temporal-web/ (docs/images/temporal-web-gate.png in the README is one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getRotationStatus, startRotation } from '../client/index.js';
import type { RotationReport } from '../common/types.js';
import { startLocalStack, type LocalStack } from '../dev/localStack.js';
import { ROTATION_CONTROL_DESCRIPTIONS } from '../workflows/definitions.js';
import { rotationSummary, tokenSecretLabel } from '../workflows/plan.js';
import { APPROVE_INPUT_EXAMPLE, signalCommand } from '../workflows/signalHelp.js';
import { CHROMIUM_MISSING, findChromium } from './support/chromium.js';
import { freePort } from './support/ports.js';
import { waitForRotationStatus } from './support/rotationStatus.js';
import {
  executionStatus, metadataPanel, openWorkflow, sendSignal, shows, type WorkflowRef,
} from './support/temporalWeb.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/temporal-web/', import.meta.url));
const chromiumPath = await findChromium();
if (!chromiumPath) process.stderr.write(`\n*** ${CHROMIUM_MISSING}\n\n`);

let stack: LocalStack | undefined;
let browser: Browser | undefined;

before(async () => {
  if (!chromiumPath) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const [started, launched] = await Promise.all([
    startLocalStack({
      server: { ui: true, uiPort: await freePort() },
      simulator: { clusters: 2, seed: 31, timeScale: 0.002, rateLimit: false },
      activities: { pollIntervalMs: 50, tokenCacheWindowMs: 2_000, recycleResendAfterMs: 5_000, retryAfterScale: 0.01 },
    }),
    // No sandbox: CI runs as root, where Chromium's sandbox refuses to start (playwright's default too).
    chromium.launch({ executablePath: chromiumPath, headless: true, chromiumSandbox: false }),
  ]);
  stack = started;
  browser = launched;
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A full-page screenshot into test-artifacts/temporal-web/. */
async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

describe('Temporal Web (real browser)', { timeout: 90_000 }, () => {
  test('shows a gated rotation with its summary and plan, and approves it with "Send a Signal" as a second person', async (t) => {
    if (!chromiumPath || !stack || !browser) {
      t.skip(CHROMIUM_MISSING);
      return;
    }
    const { client, server, sim } = stack;
    const { cluster } = sim.state.list()[0];
    const started = await startRotation(client, { clusterId: cluster.id, requestedBy: 'alice' }, { region: cluster.region, label: cluster.label });
    const gated = await waitForRotationStatus(client, cluster.id, (s) => s.phase === 'AwaitingApproval', 'the beforeDelete gate', 20_000);
    assert.equal(gated.pendingGate?.gate, 'beforeDelete');
    const plan = gated.plan;
    assert.ok(plan && plan.deleteSecrets.length > 0, 'the gate shows a plan with token Secrets to delete');

    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light', timezoneId: 'UTC' });
    t.after(() => context.close());
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      const ref: WorkflowRef = { webUrl: server.webUrl!, namespace: server.namespace, workflowId: started.workflowId, runId: started.runId };
      await openWorkflow(page, ref, 'user-metadata');
      await shows(executionStatus(page).getByText('Running'), 'the run as Running');

      // The static summary and details, set when the run was started.
      await shows(metadataPanel(page, 'summary').getByText(rotationSummary(cluster.id, cluster.region)), 'the summary');
      await shows(metadataPanel(page, 'details').getByText(/requested by alice/), 'who requested it, in the details');

      // The current details: where the run is, and the plan a second person approves.
      const current = metadataPanel(page, 'current-details');
      await shows(current.getByText('AwaitingApproval'), 'the phase AwaitingApproval');
      await shows(current.getByText(/Waiting for approval/), 'the pending gate');
      await shows(current.getByRole('heading', { name: 'Plan' }), 'the plan');
      for (const secret of plan.deleteSecrets) {
        await shows(current.getByText(tokenSecretLabel(secret)), `the token Secret ${secret.name} in the plan`);
      }
      // ... and the exact signal that answers the gate.
      await shows(current.getByText(signalCommand(ref.workflowId, 'approve', APPROVE_INPUT_EXAMPLE)), 'the approve signal to send');
      await screenshot(page, 'temporal-web-gate');

      // The requester cannot approve their own rotation: Temporal Web sends it, the run refuses it,
      // and since a signal cannot answer, the refusal and its reason show in the current details.
      await sendSignal(page, 'approve', { by: 'alice' });
      await waitForRotationStatus(client, cluster.id, (s) => (s.refusedSignals?.length ?? 0) > 0, 'the refusal of alice\'s approve', 15_000);
      await page.reload();
      await shows(metadataPanel(page, 'current-details').getByText(/Signal approve refused.*\(by alice\).*four-eyes/),
        'the refused self-approval with its reason');
      assert.equal((await getRotationStatus(client, cluster.id)).phase, 'AwaitingApproval', 'still at the gate');

      // A second person approves; the workflow declares its signals, so Temporal Web lists approve with its description.
      const entry = await sendSignal(page, 'approve', { by: 'bob' }, () => screenshot(page, 'temporal-web-send-signal'));
      assert.deepEqual(entry, { picked: true, description: ROTATION_CONTROL_DESCRIPTIONS.approve });

      // Both signals reached the run as Temporal Web sent them: name, JSON payload.
      const signaled = (await started.handle.fetchHistory()).events
        ?.map((e) => e.workflowExecutionSignaledEventAttributes)
        .filter((a) => a?.signalName === 'approve')
        .map((a) => JSON.parse(Buffer.from(a!.input!.payloads![0].data!).toString()) as unknown);
      assert.deepEqual(signaled, [{ by: 'alice' }, { by: 'bob' }]);

      // Bounded: an ignored signal would leave the run at its gate for a day.
      await waitForRotationStatus(client, cluster.id, (s) => s.phase !== 'AwaitingApproval', 'the gate to be answered', 15_000);
      const report = await started.handle.result() as RotationReport;
      assert.equal(report.phase, 'Completed', JSON.stringify(report.finalStatus?.lastError));
      assert.deepEqual(report.finalStatus?.approvals.map((a) => [a.gate, a.by]), [['beforeDelete', 'bob']]);

      await page.reload();
      await shows(executionStatus(page).getByText('Completed'), 'the run as Completed');
      await screenshot(page, 'temporal-web-completed');
    } catch (err) {
      await screenshot(page, 'temporal-web-failure').catch(() => undefined);
      throw err;
    }
  });
});
