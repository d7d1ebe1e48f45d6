// Which Linode account a request is for. @linode/api-v4 sends every request through one axios
// instance global to the process (baseRequest), with https://api.linode.com URLs and no per-call
// token. So that several ports (accounts, origins) can live in one process, each port method runs
// inside an AsyncLocalStorage context that names its origin, token, timeout and cancellation, and ONE
// interceptor on that instance applies whichever context the request was made in. A request made
// outside any port's context (someone else using the library) is left exactly as it was.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as linodeApi from '@linode/api-v4';
import type { AxiosError, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { LinodeBudget, Release } from './budget.js';
import { activityKeepAlive, countLinodeCall } from './callCount.js';
import { describeEndpoint, type LinodeEndpoint } from './endpoints.js';

/** The library's own API origin, which its functions build their URLs on. */
export const LIBRARY_ORIGIN = 'https://api.linode.com';

export interface LinodeRequestContext {
  /** e.g. https://api.linode.com or http://127.0.0.1:4010, without /v4 */
  origin: string;
  token: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** the account's budget this request waits for and reports to (budget.ts); none: sent at once */
  budget?: LinodeBudget;
  /** scales a 429's Retry-After (time-scaled simulators); default 1 */
  retryAfterScale?: number;
}

/** The library's axios instance; the endpoints it has no function for are called on it too. */
export const linodeAxios: AxiosInstance = linodeApi.baseRequest;

const current = new AsyncLocalStorage<LinodeRequestContext>();
let interceptorInstalled = false;

/** What a request in flight holds: its endpoint, and its place in the budget until the reply. */
interface Held { endpoint: LinodeEndpoint; release?: Release; budget?: LinodeBudget; scale: number }
// On the config itself: the library's own interceptor copies the config into a new object after ours
// (a symbol-keyed property is copied along), so a map keyed by the object would lose it.
const HELD = Symbol('lke-rotator linode request');
type WithHeld = InternalAxiosRequestConfig & { [HELD]?: Held };

async function applyContext(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
  const context = current.getStore();
  if (!context) return config;
  if (typeof config.url === 'string' && config.url.startsWith(LIBRARY_ORIGIN)) {
    config.url = context.origin + config.url.slice(LIBRARY_ORIGIN.length);
  }
  config.headers.set('Authorization', `Bearer ${context.token}`);
  config.timeout = context.timeoutMs;
  if (context.signal) config.signal = context.signal;
  const endpoint = describeEndpoint(config.method, config.url);
  const release = await context.budget?.acquire(endpoint.collection, context.signal, activityKeepAlive());
  // counted once it is sent: the activity's report says how many requests it made, by endpoint
  countLinodeCall(endpoint.name);
  (config as WithHeld)[HELD] = { endpoint, release, budget: context.budget, scale: context.retryAfterScale ?? 1 };
  return config;
}

function header(response: AxiosResponse | undefined, name: string): number | undefined {
  const raw: unknown = response?.headers?.[name];
  const parsed = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** The reply's budget headers go to the budget, and the request's place in it is given back. */
function settle(config: InternalAxiosRequestConfig | undefined, response: AxiosResponse | undefined): void {
  const held = (config as WithHeld | undefined)?.[HELD];
  if (!held || !config) return;
  delete (config as WithHeld)[HELD];
  if (response && held.budget) {
    const retryAfter = header(response, 'retry-after');
    held.budget.observe({
      status: response.status, collection: held.endpoint.collection,
      limit: header(response, 'x-ratelimit-limit'), remaining: header(response, 'x-ratelimit-remaining'), reset: header(response, 'x-ratelimit-reset'),
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 * held.scale }),
    });
  }
  held.release?.();
}

function settleReply(response: AxiosResponse): AxiosResponse {
  settle(response.config, response);
  return response;
}

function settleFailure(error: AxiosError): Promise<never> {
  settle(error.config, error.response);
  return Promise.reject(error);
}

/** Runs `fn` so that every library request it makes goes to the context's origin with its token. */
export function withLinodeContext<T>(context: LinodeRequestContext, fn: () => Promise<T>): Promise<T> {
  if (!interceptorInstalled) {
    linodeAxios.interceptors.request.use(applyContext);
    linodeAxios.interceptors.response.use(settleReply, settleFailure);
    interceptorInstalled = true;
  }
  return current.run(context, fn);
}
