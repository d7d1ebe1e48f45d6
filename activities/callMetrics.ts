// Counting the calls the activities make to the Linode API and to the clusters: a thin wrapper over a
// port that records each method call and how it ended. The worker's metrics (worker/metrics.ts)
// turn the records into Prometheus counters; without them nothing is recorded.
import { FailureType } from '../common/failures.js';
import { isFailureOfType } from './errors.js';
import type { KubePortFactory, LinodePort } from './ports.js';

export type CallOutcome = 'ok' | 'rate_limited' | 'error';
export type CallRecorder = (api: 'linode' | 'kube', endpoint: string, outcome: CallOutcome) => void;

function outcomeOf(err: unknown): CallOutcome {
  return isFailureOfType(err, FailureType.linodeRateLimited) || isFailureOfType(err, FailureType.kubeRateLimited) ? 'rate_limited' : 'error';
}

/** The same port, every method call recorded under its name (getKubeconfig, regenerate, ...). */
function instrument<T extends object>(port: T, api: 'linode' | 'kube', record: CallRecorder): T {
  return new Proxy(port, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return async (...args: unknown[]) => {
        try {
          const result: unknown = await (value as (...a: unknown[]) => unknown).apply(target, args);
          record(api, name, 'ok');
          return result;
        } catch (err) {
          record(api, name, outcomeOf(err));
          throw err;
        }
      };
    },
  });
}

export const instrumentLinodePort = (port: LinodePort, record: CallRecorder): LinodePort => instrument(port, 'linode', record);

export const instrumentKubeFactory = (factory: KubePortFactory, record: CallRecorder): KubePortFactory =>
  (kubeconfig) => instrument(factory(kubeconfig), 'kube', record);
