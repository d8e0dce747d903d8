/**
 * The few calls of Kong Konnect's Control Planes API v2 that pin data-plane client certificates
 * (https://docs.konghq.com/konnect/api/control-planes/v2; operation ids list-dp-client-certificates,
 * create-dataplane-certificate, get-dataplane-certificate, delete-dataplane-certificate in
 * Kong/sdk-konnect-go docs/sdks/dpcertificates):
 *
 *   GET    {api}/v2/control-planes/{controlPlaneId}/dp-client-certificates        → { items: [{ id, cert, created_at, updated_at }], page }
 *   POST   {api}/v2/control-planes/{controlPlaneId}/dp-client-certificates        body { cert } → 201 { item: { id, cert, … } }
 *   GET    {api}/v2/control-planes/{controlPlaneId}/dp-client-certificates/{id}   → { item: { … } }
 *   DELETE {api}/v2/control-planes/{controlPlaneId}/dp-client-certificates/{id}   → 204
 *
 * Authenticated with `Authorization: Bearer <token>` (a personal `kpat_…` or system-account
 * `spat_…` access token). The token lives only in a private field and in that header: it is never
 * part of an error message, a log line or a return value (Konnect's own error text is scrubbed of
 * it too). Uses Node's global fetch; redirects are refused so the header never goes elsewhere.
 */
import { KongFleetError } from '../../kong/errors';
import { CERTIFICATE_PROPERTY } from './contract';
import { WHERE } from './properties';
import { describeCertificate } from './x509';

/** Retries and time limits of Konnect calls; tests shorten them. */
export const konnectTiming = {
  /** Attempts per call on 5xx, 429 and network errors. */
  attempts: 4,
  /** Delay before the second attempt; doubles before each further one. */
  retryDelayMs: 1000,
  requestTimeoutMs: 10_000,
};

/** A pinned data-plane certificate as Konnect returns it. */
export interface KonnectCertificate {
  readonly id: string;
  readonly cert: string;
}

export interface KonnectClientOptions {
  /** `https://<region>.api.konghq.com` (no trailing slash). */
  readonly apiUrl: string;
  readonly controlPlaneId: string;
  readonly token: string;
  /** Name of the secret the token came from: named in errors so the operator knows what to fix. */
  readonly tokenSecret: string;
}

const MAX_MESSAGE_LENGTH = 300;

/** The data-plane certificates pinned to one Konnect control plane. */
export class KonnectDpCertificates {
  readonly #token: string;
  private readonly apiUrl: string;
  private readonly controlPlaneId: string;
  private readonly tokenSecret: string;

  constructor(options: KonnectClientOptions) {
    this.#token = options.token;
    this.apiUrl = options.apiUrl;
    this.controlPlaneId = options.controlPlaneId;
    this.tokenSecret = options.tokenSecret;
  }

  private get collection(): string {
    return `/v2/control-planes/${encodeURIComponent(this.controlPlaneId)}/dp-client-certificates`;
  }

  async list(): Promise<KonnectCertificate[]> {
    const { body } = await this.call('GET', this.collection, [200]);
    const items = (body as { items?: unknown } | undefined)?.items;
    return Array.isArray(items) ? items.flatMap((item) => asCertificate(item) ?? []) : [];
  }

  /** The pinned certificate with this id, or undefined when Konnect does not have it (404). */
  async get(certificateId: string): Promise<KonnectCertificate | undefined> {
    const { status, body } = await this.call(
      'GET',
      `${this.collection}/${encodeURIComponent(certificateId)}`,
      [200, 404],
    );
    return status === 404 ? undefined : asCertificate((body as { item?: unknown } | undefined)?.item);
  }

  /** The pinned certificate equal to `certPem` (same DER), if any. */
  async find(certPem: string): Promise<KonnectCertificate | undefined> {
    const wanted = fingerprintOf(certPem);
    return (await this.list()).find((item) => fingerprintOf(item.cert) === wanted);
  }

  /**
   * Pins the certificate. A 409 (already pinned, e.g. a retried request whose first answer was
   * lost) is success: the id is found by listing and matching the certificate.
   */
  async pin(certPem: string): Promise<{ certificate: KonnectCertificate; alreadyPinned: boolean }> {
    const { status, body } = await this.call('POST', this.collection, [200, 201, 409], { cert: certPem });
    if (status !== 409) {
      const certificate = asCertificate((body as { item?: unknown } | undefined)?.item);
      if (!certificate) {
        throw new KongFleetError(
          `${WHERE}.${CERTIFICATE_PROPERTY.konnectApiUrl}`,
          'Konnect pinned the certificate but returned no id',
          {
            got: `POST ${this.collection} → ${status}`,
            expected: '{ "item": { "id": …, "cert": … } }',
          },
        );
      }
      return { certificate, alreadyPinned: false };
    }
    const existing = await this.find(certPem);
    if (!existing) {
      throw new KongFleetError(
        `${WHERE}.${CERTIFICATE_PROPERTY.konnectControlPlaneId}`,
        `Konnect answered 409 (already pinned) but control plane ${this.controlPlaneId} lists no equal certificate`,
        { got: konnectMessage(body, this.#token) || '409' },
      );
    }
    return { certificate: existing, alreadyPinned: true };
  }

  /** Unpins the certificate; `absent` when Konnect does not have it (404: already gone). */
  async unpin(certificateId: string): Promise<'unpinned' | 'absent'> {
    const { status } = await this.call(
      'DELETE',
      `${this.collection}/${encodeURIComponent(certificateId)}`,
      [200, 204, 404],
    );
    return status === 404 ? 'absent' : 'unpinned';
  }

  /**
   * One API call with retries on 5xx, 429 and network errors. Answers in `accepted` are returned;
   * 401/403 and 404 (outside `accepted`) and any other status fail with a message that says what
   * to fix and never contains the token.
   */
  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    accepted: readonly number[],
    payload?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    let lastFailure = '';
    for (let attempt = 1; attempt <= konnectTiming.attempts; attempt++) {
      if (attempt > 1) await sleep(konnectTiming.retryDelayMs * 2 ** (attempt - 2));
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${this.apiUrl}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            Accept: 'application/json',
            ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: payload === undefined ? undefined : JSON.stringify(payload),
          redirect: 'error',
          signal: AbortSignal.timeout(konnectTiming.requestTimeoutMs),
        });
        text = await response.text();
      } catch (error) {
        lastFailure = `network error ${networkErrorName(error)}`;
        continue;
      }
      const body = parseJson(text);
      const status = response.status;
      if (accepted.includes(status)) return { status, body };
      if (status >= 500 || status === 429) {
        lastFailure = `${status} ${konnectMessage(body, this.#token)}`.trim();
        continue;
      }
      throw this.refusal(method, path, status, body);
    }
    throw new KongFleetError(
      `${WHERE}.${CERTIFICATE_PROPERTY.konnectApiUrl}`,
      `Konnect did not answer ${method} ${path} after ${konnectTiming.attempts} attempts`,
      { got: `last: ${lastFailure}`, expected: `a working Konnect API at ${this.apiUrl}` },
    );
  }

  private refusal(method: string, path: string, status: number, body: unknown): KongFleetError {
    const message = konnectMessage(body, this.#token);
    if (status === 401 || status === 403) {
      return new KongFleetError(
        `${WHERE}.${CERTIFICATE_PROPERTY.konnectTokenSecret}`,
        `Konnect refused the access token (${status}): check the token secret ${this.tokenSecret} — it must hold a valid personal (kpat_) or system-account (spat_) access token allowed to manage the data-plane certificates of control plane ${this.controlPlaneId}`,
        message ? { got: message } : undefined,
      );
    }
    if (status === 404) {
      return new KongFleetError(
        `${WHERE}.${CERTIFICATE_PROPERTY.konnectControlPlaneId}`,
        `control plane ${this.controlPlaneId} not found in Konnect region ${this.apiUrl}`,
        message ? { got: message } : undefined,
      );
    }
    return new KongFleetError(
      `${WHERE}.${CERTIFICATE_PROPERTY.konnectApiUrl}`,
      `Konnect refused ${method} ${path} (${status})`,
      { got: message || `HTTP ${status}` },
    );
  }
}

/** SHA-256 of a PEM certificate's DER, or undefined when it does not parse. */
function fingerprintOf(certPem: string): string | undefined {
  try {
    return describeCertificate(certPem).fingerprint;
  } catch {
    return undefined;
  }
}

function asCertificate(value: unknown): KonnectCertificate | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, cert } = value as { id?: unknown; cert?: unknown };
  return typeof id === 'string' && id !== '' && typeof cert === 'string' ? { id, cert } : undefined;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Konnect's error text: `detail` or `message` or `title` (its problem+json and legacy shapes),
 * shortened, on one line, with the token removed should Konnect ever echo it.
 */
function konnectMessage(body: unknown, token: string): string {
  let text = '';
  if (typeof body === 'string') text = body;
  else if (typeof body === 'object' && body !== null) {
    const { detail, message, title } = body as Record<string, unknown>;
    text = [detail, message, title].find((value): value is string => typeof value === 'string') ?? '';
  }
  if (token !== '') text = text.split(token).join('<token>');
  text = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}…` : text;
}

function networkErrorName(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  return (error as Error)?.name ?? 'Error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
