// Links to a run that the API's answers and the webhook notifications carry: pure URL building over
// the configured base URLs, shared so both point at the same pages.

/** Temporal Web's page of one run; null without TEMPORAL_WEB_URL. */
export function temporalWebLink(webUrl: string | undefined, namespace: string) {
  const base = webUrl?.replace(/\/+$/, '');
  return (workflowId: string, runId: string): string | null =>
    base
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}`
      : null;
}
