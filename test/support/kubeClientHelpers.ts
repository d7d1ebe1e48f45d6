// Helpers for the tests that drive the simulated Kubernetes API through @kubernetes/client-node:
// typed clients, the apiserver's error Status, kubectl's rollout-done rules and raw HTTPS requests.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import {
  ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Deployment,
  type V1DaemonSet, type V1StatefulSet,
} from '@kubernetes/client-node';
import { SERVICE_ACCOUNT_TOKEN_TYPE } from '../../common/names.js';
import type { TestKube } from './simKube.js';

export const TOKEN_SELECTOR = `type=${SERVICE_ACCOUNT_TOKEN_TYPE}`;
export const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function apiError(promise: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    const body = error.body as unknown;
    return { code: error.code, status: (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown> };
  }
  assert.fail('the call succeeded but was expected to fail');
}

export function clients(config: KubeConfig) {
  return { core: config.makeApiClient(CoreV1Api), apps: config.makeApiClient(AppsV1Api) };
}

/** kubectl rollout status's rules (docs/design.md, 'Facts about the real APIs') */
export function rolloutDone(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', w: V1Deployment | V1StatefulSet | V1DaemonSet): boolean {
  if ((w.status?.observedGeneration ?? 0) < (w.metadata?.generation ?? 0)) return false;
  if (kind === 'Deployment') {
    const d = w as V1Deployment;
    const s = d.status ?? {};
    return !s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') &&
      (s.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (s.replicas ?? 0) === (s.updatedReplicas ?? 0) &&
      (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
  }
  if (kind === 'StatefulSet') {
    const sts = w as V1StatefulSet;
    const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    return (sts.status?.readyReplicas ?? 0) >= (sts.spec?.replicas ?? 1) &&
      (sts.status?.updatedReplicas ?? 0) >= (sts.spec?.replicas ?? 1) - partition;
  }
  const ds = (w as V1DaemonSet).status!;
  return ds.updatedNumberScheduled! >= ds.desiredNumberScheduled && ds.numberAvailable! >= ds.desiredNumberScheduled;
}

export function rawRequest(kube: TestKube, path: string, init: { method?: string; token?: string; body?: string; contentType?: string } = {}):
  Promise<{ status: number; body: string }> {
  const url = new URL(`${kube.server.baseUrl.replace(/\/k8s\/clusters$/, '')}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: init.method ?? 'GET', ca: kube.server.caPem,
      headers: {
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        ...(init.contentType ? { 'Content-Type': init.contentType } : {}),
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
