// The rotation's activities (docs/design.md, 'The steps of one rotation'), over the ports of activities/ports.ts.
// Each is safe to run twice: Temporal retries them, and a worker can die after a side effect and
// before its result is recorded. Long waits heartbeat their progress and resume from the last
// heartbeat's details on the next attempt, so a retry neither starts over nor repeats a side effect.
// Inputs and results carry fingerprints and references only; kubeconfigs come from the Linode API or
// the worker-local cache and never leave the worker.
//
// One file per stretch of the runbook, under activities/rotation/: snapshot, credentials (delete,
// regenerate, await), delivery (verify, recreate user tokens, deliver, release), podsAndNodes.
import type { RotationActivities } from '../common/activities.js';
import { createActivityContext, type ActivityDeps } from './rotation/context.js';
import { createCredentialActivities } from './rotation/credentials.js';
import { createDeliveryActivities } from './rotation/delivery.js';
import { createPodAndNodeActivities } from './rotation/podsAndNodes.js';
import { createSnapshotActivity } from './rotation/snapshot.js';

export type { ActivityDeps } from './rotation/context.js';

export function createActivities(deps: ActivityDeps): RotationActivities {
  const ctx = createActivityContext(deps);
  return {
    ...createSnapshotActivity(ctx),
    ...createCredentialActivities(ctx),
    ...createDeliveryActivities(ctx),
    ...createPodAndNodeActivities(ctx),
  };
}
