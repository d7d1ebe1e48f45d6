// Restart scope 'affected': exactly the workloads whose pod templates use a token Secret the rotation
// deletes. A Secret is named by a volume, a projected source, an env or an envFrom reference; and
// LKE's own kube-system components count through their service account, since LKE's regenerate
// replaces those accounts' tokens (docs/design.md, "Restarts and drains").
import { KUBE_SYSTEM, isUserOwned } from '../common/lke.js';
import type { TokenSecretRef, WorkloadRef } from '../common/types.js';
import type { PodTemplateUse } from './ports.js';

export function affectedWorkloads(templates: PodTemplateUse[], deleted: TokenSecretRef[]): WorkloadRef[] {
  const out: WorkloadRef[] = [];
  for (const template of templates) {
    // a pod can only name Secrets of its own namespace
    const inNamespace = deleted.filter((s) => s.namespace === template.ref.namespace);
    const names = new Set(inNamespace.map((s) => s.name));
    const lkeAccounts = new Set(inNamespace.filter((s) => !isUserOwned(s)).map((s) => s.serviceAccount));
    const uses = [...new Set(template.secretRefs.filter((r) => names.has(r.name)).map((r) => `${r.via} ${r.name}`))];
    const account = template.serviceAccountName;
    if (template.ref.namespace === KUBE_SYSTEM && account && lkeAccounts.has(account)) {
      uses.push(`service account ${account} (its token is replaced by LKE's regenerate)`);
    }
    if (uses.length) out.push({ ...template.ref, uses });
  }
  return out;
}
