/**
 * The few Grafana HTTP API calls the handler makes, authenticated with a service account token.
 * The token lives only in this object: it is sent in the Authorization header and scrubbed from
 * every error message (Grafana may echo request details back).
 */

/** A Grafana API call that failed; the message names the call and never contains the token. */
export class GrafanaApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when Grafana could not be reached. */
    public readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'GrafanaApiError';
  }
}

export interface GrafanaResponse {
  readonly status: number;
  readonly body: unknown;
}

const REQUEST_TIMEOUT_MS = 20_000;
const EXCERPT_CHARS = 200;

export class GrafanaApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * Sends one request; resolves for 2xx and for the statuses in `accept`, throws
   * {@link GrafanaApiError} otherwise.
   */
  public async request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    accept: readonly number[] = [],
  ): Promise<GrafanaResponse> {
    const call = `Grafana API ${method} ${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error', // never replay the bearer token to another host
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new GrafanaApiError(this.scrub(`${call}: Grafana could not be reached (${reason})`), undefined);
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if ((response.status >= 200 && response.status < 300) || accept.includes(response.status)) {
      return { status: response.status, body: parsed };
    }
    const detail = describeBody(parsed, text);
    throw new GrafanaApiError(
      this.scrub(`${call}: HTTP ${response.status}, ${meaningOf(response.status)}${detail ? `: ${detail}` : ''}`),
      response.status,
    );
  }

  private scrub(message: string): string {
    return this.token ? message.split(this.token).join('[token]') : message;
  }
}

function meaningOf(status: number): string {
  if (status === 401) return 'the service account token was not accepted';
  if (status === 403) return 'the service account lacks the permission (it needs the Grafana Admin role)';
  if (status === 404) return 'not found';
  if (status === 409) return 'conflict with an existing object (same name under another uid?)';
  if (status === 412) return 'precondition failed (the object changed meanwhile)';
  if (status >= 500) return 'the Grafana workspace failed; deploy again once it is healthy';
  return 'request refused';
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Grafana's own `message` when there is one, else the start of the body. */
function describeBody(parsed: unknown, text: string): string {
  const message = (parsed as { message?: unknown } | undefined)?.message;
  const detail = typeof message === 'string' ? message : text;
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  return oneLine.length > EXCERPT_CHARS ? `${oneLine.slice(0, EXCERPT_CHARS)}…` : oneLine;
}
