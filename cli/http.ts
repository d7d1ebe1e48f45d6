// The API as the CLI sees it: one bearer token, JSON in and out, and errors that carry the API's
// own code and message (never a stack, never the token).

/** The CLI's failures: `exitCode` 1 for a refusal or failure, 2 for a usage mistake. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** The API answered with its error format. */
export class ApiRequestError extends CliError {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ApiRequestError';
  }
}

export interface ApiConnection {
  url: string;
  token: string;
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly connection: ApiConnection) {
    this.base = connection.url.replace(/\/+$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      // undici puts the reason in `cause` (for several addresses, in cause.errors)
      const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the API at ${this.base} (${this.redact(reason)})`);
    }
    const text = await res.text();
    let payload: unknown;
    try {
      payload = text ? JSON.parse(text) : {};
    } catch {
      throw new CliError(`the API at ${this.base} answered ${res.status} with something that is not JSON`);
    }
    if (!res.ok) {
      const error = (payload as { error?: { code?: string; message?: string } }).error;
      throw new ApiRequestError(res.status, error?.code ?? `http_${res.status}`, this.redact(error?.message ?? res.statusText));
    }
    return payload as T;
  }

  /** The token never reaches the terminal, whatever a library or a server puts in its message. */
  private redact(message: string): string {
    return message.split(this.connection.token).join('[token]');
  }
}
