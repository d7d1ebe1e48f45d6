// The live worker of the safety test, in a process of its own so a case can SIGKILL it: the
// production wiring (compose(): real @linode/api-v4 and @kubernetes/client-node over HTTP(S) to the
// simulator), with the short poll intervals a
// time-scaled simulator needs. worker/main.ts reads no knobs for those, hence this entry.
// Configured by SAFETY_WORKER (JSON); see stack.ts spawnWorker().
import { NativeConnection } from '@temporalio/worker';
import { compose, type ActivityTuning } from '../../activities/compose.js';
import { Secret } from '../../config/config.js';
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
const worker = await createRotationWorker({
  connection,
  namespace: config.namespace,
  activities: compose({
    linode: { apiUrl: config.linodeApiUrl, token: new Secret(config.linodeToken) },
    kubeconfigDir: config.kubeconfigDir,
    activities: config.activities,
  }).workerActivities(),
  workerOptions: { shutdownGraceTime: '1 second' },
});
process.on('SIGTERM', () => worker.shutdown());
// the parent waits for this line before it counts the worker as up
console.log('safety-worker polling');
await worker.run();
await connection.close();
