// The live worker of the safety test, in a process of its own so a case can SIGKILL it: the
// production wiring (compose(): real @linode/api-v4 and @kubernetes/client-node over HTTP(S) to the
// simulator), with the short poll intervals a
// time-scaled simulator needs. worker/main.ts reads no knobs for those, hence this entry.
// Configured by SAFETY_WORKER (JSON); see stack.ts spawnWorker(). It starts as the stack's warm
// spare: it loads, connects and builds its worker, then polls only when the parent writes a line to
// its stdin, so a SIGKILLed worker is replaced in milliseconds instead of a process start.
import { NativeConnection } from '@temporalio/worker';
import { compose, type ActivityTuning } from '../../activities/compose.js';
import { Secret } from '../../config/config.js';
import { createLinodeWorker } from '../../worker/linodeWorker.js';
import { runTogether } from '../../worker/runTogether.js';
import { createRotationWorker } from '../../worker/worker.js';

export interface WorkerChildConfig {
  address: string;
  namespace: string;
  linodeApiUrl: string;
  linodeToken: string;
  kubeconfigDir: string;
  activities: ActivityTuning;
}

const config = JSON.parse(process.env.SAFETY_WORKER ?? '{}') as WorkerChildConfig;
const connection = await NativeConnection.connect({ address: config.address });
const activities = compose({
  linode: { apiUrl: config.linodeApiUrl, token: new Secret(config.linodeToken) },
  kubeconfigDir: config.kubeconfigDir,
  activities: config.activities,
}).workerActivities();
// as a deployed worker: the Linode-bound activities also on lke-rotation-linode, for runs that name it
const linodeWorker = await createLinodeWorker({
  connection, namespace: config.namespace, activities, workerOptions: { shutdownGraceTime: '1 second' },
});
const worker = await createRotationWorker({
  connection,
  namespace: config.namespace,
  activities,
  // A SIGKILLed worker's sticky queue holds its workflows' next tasks until this passes (default 10 s),
  // so queries and Updates go unanswered that long: scaled down like the rest of the world.
  workerOptions: { shutdownGraceTime: '1 second', stickyQueueScheduleToStartTimeout: '500 ms' },
});
process.on('SIGTERM', () => { worker.shutdown(); linodeWorker.shutdown(); });
console.log('safety-worker ready');
process.stdin.once('end', () => process.exit(0)); // the parent is gone: a spare has nothing to wait for
await new Promise<void>((resolve) => { process.stdin.once('data', () => resolve()); });
// the parent waits for this line before it counts the worker as up
console.log('safety-worker polling');
await runTogether([worker, linodeWorker]);
await connection.close();
