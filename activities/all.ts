// Every activity a worker registers on `lke-rotation`: the rotation's steps and the fleet's
// selection and follow-up, over the same dependencies.
import { createFleetActivities } from './fleet.js';
import { createActivities, type ActivityDeps } from './index.js';

export function createWorkerActivities(deps: ActivityDeps) {
  return { ...createActivities(deps), ...createFleetActivities({ linode: deps.linode }) };
}
