// Which Linode account a request is for. @linode/api-v4 sends every request through one axios
// instance global to the process (baseRequest), with https://api.linode.com URLs and no per-call
// token. So that several ports (accounts, origins) can live in one process, each port method runs
// inside an AsyncLocalStorage context that names its origin, token, timeout and cancellation, and ONE
// interceptor on that instance applies whichever context the request was made in. A request made
// outside any port's context (someone else using the library) is left exactly as it was.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as linodeApi from '@linode/api-v4';
import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';

/** The library's own API origin, which its functions build their URLs on. */
export const LIBRARY_ORIGIN = 'https://api.linode.com';

export interface LinodeRequestContext {
  /** e.g. https://api.linode.com or http://127.0.0.1:4010, without /v4 */
  origin: string;
  token: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The library's axios instance; the endpoints it has no function for are called on it too. */
export const linodeAxios: AxiosInstance = linodeApi.baseRequest;

const current = new AsyncLocalStorage<LinodeRequestContext>();
let interceptorInstalled = false;

function applyContext(config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
  const context = current.getStore();
  if (!context) return config;
  if (typeof config.url === 'string' && config.url.startsWith(LIBRARY_ORIGIN)) {
    config.url = context.origin + config.url.slice(LIBRARY_ORIGIN.length);
  }
  config.headers.set('Authorization', `Bearer ${context.token}`);
  config.timeout = context.timeoutMs;
  if (context.signal) config.signal = context.signal;
  return config;
}

/** Runs `fn` so that every library request it makes goes to the context's origin with its token. */
export function withLinodeContext<T>(context: LinodeRequestContext, fn: () => Promise<T>): Promise<T> {
  if (!interceptorInstalled) {
    linodeAxios.interceptors.request.use(applyContext);
    interceptorInstalled = true;
  }
  return current.run(context, fn);
}
