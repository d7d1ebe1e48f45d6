// Temporal Web (the dev server's UI, 2.5x) as a person uses it, for the real-browser tests: open a
// workflow's tab, read the Markdown panels of its User Metadata tab, and send a Signal through the
// "More Actions" menu. Selectors are roles and visible text where the UI has them; the few ids and
// test ids below are where it has none (the Markdown panels are unnamed iframes, and the signal-name
// input's label points at an id the hidden Update dialog uses too).
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** the tabs of a workflow's page, by the last segment of their URL */
export type WorkflowTab = 'history' | 'user-metadata' | 'queries' | 'timeline';

/** the Markdown panels of the User Metadata tab: static summary and details, current details */
export type MetadataPanel = 'summary' | 'details' | 'current-details';

export interface WorkflowRef {
  webUrl: string;
  namespace: string;
  workflowId: string;
  runId: string;
}

export function workflowPageUrl(ref: WorkflowRef, tab: WorkflowTab): string {
  const segments = ['namespaces', ref.namespace, 'workflows', ref.workflowId, ref.runId, tab].map(encodeURIComponent);
  return `${ref.webUrl}/${segments.join('/')}`;
}

/** Opens the workflow's page on `tab` and waits until the page shows that workflow. */
export async function openWorkflow(page: Page, ref: WorkflowRef, tab: WorkflowTab): Promise<void> {
  await page.goto(workflowPageUrl(ref, tab));
  await page.getByRole('heading', { level: 1, name: ref.workflowId }).waitFor();
}

/** The execution status badge (Running, Completed, ...), as shown in the page header. */
export function executionStatus(page: Page): Locator {
  return page.getByTestId('execution-status');
}

/** A Markdown panel of the User Metadata tab; it is rendered in its own frame. */
export function metadataPanel(page: Page, panel: MetadataPanel): FrameLocator {
  return page.locator(`iframe#user-metadata-${panel}`).contentFrame();
}

/** Waits until `locator` is visible; the timeout error names `what` instead of a selector. */
export async function shows(locator: Locator, what: string, timeoutMs?: number): Promise<void> {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (err) {
    throw new Error(`Temporal Web does not show ${what}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/** How the signal name was given: picked from the workflow's declared signals, or typed in. */
export type SignalNameEntry = { picked: true; description: string } | { picked: false };

/**
 * "More Actions" → "Send a Signal": gives the signal name and its single JSON payload, submits, and
 * waits for Temporal Web's confirmation. When the workflow declares its signals (with descriptions,
 * read from its metadata), the name is a list to pick from and the pick's description is returned;
 * otherwise it is a free text field. `beforeSubmit` sees the filled-in dialog (screenshots).
 */
export async function sendSignal(
  page: Page, name: string, input: unknown, beforeSubmit?: (dialog: Locator) => Promise<void>,
): Promise<SignalNameEntry> {
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
  const picker = dialog.getByRole('button', { name: 'Select a signal' });
  const freeText = dialog.getByTestId('signal-name');
  await picker.or(freeText).first().waitFor();
  let entry: SignalNameEntry = { picked: false };
  if (await picker.isVisible()) {
    await picker.click();
    // each option reads "<name> <description>"; "Custom" is the free-text escape hatch
    const option = dialog.getByRole('option', { name: new RegExp(`^${name}(\\s|$)`) });
    await shows(option, `signal ${name} among the workflow's declared signals`);
    const [, ...description] = (await option.innerText()).split('\n');
    await option.click();
    entry = { picked: true, description: description.join(' ').trim() };
  } else {
    await freeText.fill(name);
  }
  // a CodeMirror editor: fill() replaces its whole text, so no auto-closed bracket is left over
  await dialog.getByRole('textbox', { name: 'Data' }).fill(JSON.stringify(input));
  await beforeSubmit?.(dialog);
  await dialog.getByRole('button', { name: 'Submit' }).click();
  await shows(page.getByText('Workflow signaled.'), `the confirmation of signal ${name}`);
  await dialog.waitFor({ state: 'hidden' });
  return entry;
}
