/**
 * A small HTTP client for an OpenSearch Service domain's REST API: every request is signed with
 * SigV4 for the service `es` (the domain's IAM master user is the caller's role), 5xx / 429 answers
 * and network errors are retried with exponential backoff, and failures become
 * {@link OpenSearchRequestError}s that name the request, the HTTP status and OpenSearch's own
 * message — never a credential.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import * as http from 'node:http';
import * as https from 'node:https';

/** Credentials or a provider of them, as the SigV4 signer takes them. */
export type SigningCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface SignedClientOptions {
  /** Scheme, host and port: `https://<domain endpoint>` in Lambda, `http://127.0.0.1:<port>` in tests. */
  readonly baseUrl: string;
  /** Signing region (the domain's). */
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** Tries per request when the answer is 5xx/429 or there is none. @default 4 */
  readonly maxAttempts?: number;
  /** Wait before the first retry; doubles each time. @default 2000 */
  readonly retryDelayMs?: number;
  /** Per-attempt timeout. @default 20000 */
  readonly timeoutMs?: number;
}

export interface OpenSearchResponse {
  readonly status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  readonly body: unknown;
}

/** A request that failed for good: its message is safe to show as a custom-resource failure reason. */
export class OpenSearchRequestError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'OpenSearchRequestError';
  }
}

const MAX_REASON_LENGTH = 400;

export class SignedOpenSearchClient {
  private readonly base: URL;
  private readonly signer: SignatureV4;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  /** Values redacted from every error message (filled once credentials are resolved). */
  private readonly secrets = new Set<string>();

  constructor(options: SignedClientOptions) {
    this.base = new URL(options.baseUrl);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new OpenSearchRequestError(`unsupported scheme in ${this.base.protocol}//${this.base.host}`);
    }
    this.signer = new SignatureV4({
      service: 'es',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.retryDelayMs = options.retryDelayMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 20000;
  }

  /**
   * Sends `method /path` (JSON `body`, optional `query`) and returns the final answer, whatever its
   * status; retries 5xx/429 and network errors. Throws only when no answer came at all.
   */
  public async request(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string> } = {},
  ): Promise<OpenSearchResponse> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(this.retryDelayMs * 2 ** (attempt - 2));
      // Signed anew on every attempt (a signature is valid for minutes, retries may take longer);
      // a credentials failure is not a network error and is not retried here.
      const signed = await this.sign(method, path, body, options.query);
      try {
        const answer = await this.send(method, path, signed.headers, body, options.query);
        const retryable = answer.status >= 500 || answer.status === 429;
        if (retryable && attempt < this.maxAttempts) continue;
        return { status: answer.status, body: parseBody(answer.text) };
      } catch (error) {
        lastError = error;
      }
    }
    throw new OpenSearchRequestError(
      this.redact(
        `${method} /${path}: no answer from ${this.base.host} after ${this.maxAttempts} attempt(s) (${describeNetworkError(lastError)})`,
      ),
    );
  }

  /** Throws an {@link OpenSearchRequestError} unless `response.status` is one of `accepted`. */
  public expectStatus(
    method: string,
    path: string,
    response: OpenSearchResponse,
    accepted: readonly number[] = [200, 201],
  ): OpenSearchResponse {
    if (accepted.includes(response.status)) return response;
    throw new OpenSearchRequestError(
      this.redact(`${method} /${path}: HTTP ${response.status} (${describeOpenSearchError(response.body)})`),
      response.status,
    );
  }

  /** `request` + `expectStatus`. */
  public async call(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string>; accepted?: readonly number[] } = {},
  ): Promise<OpenSearchResponse> {
    const response = await this.request(method, path, options);
    return this.expectStatus(method, path, response, options.accepted);
  }

  private async sign(
    method: string,
    path: string,
    body: string | undefined,
    query: Record<string, string> | undefined,
  ): Promise<HttpRequest> {
    const headers: Record<string, string> = { host: this.base.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = new HttpRequest({
      method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      port: this.base.port ? Number(this.base.port) : undefined,
      path: `/${path}`,
      query,
      headers,
      body,
    });
    const signed = (await this.signer.sign(request)) as HttpRequest;
    this.rememberSecrets(signed.headers);
    return signed;
  }

  private send(
    method: string,
    path: string,
    signedHeaders: Record<string, string>,
    body: string | undefined,
    query: Record<string, string> | undefined,
  ): Promise<{ status: number; text: string }> {
    const transport = this.base.protocol === 'https:' ? https : http;
    const search = query ? `?${new URLSearchParams(query).toString()}` : '';
    const headers: Record<string, string | number> = { ...signedHeaders };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    return new Promise((resolve, reject) => {
      const request = transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port || undefined,
          method,
          path: `/${path}${search}`,
          headers,
          timeout: this.timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error(`timed out after ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  /** The session token rides in a header; keep it (and the key id) out of any message. */
  private rememberSecrets(headers: Record<string, string>): void {
    const token = headers['x-amz-security-token'];
    if (token) this.secrets.add(token);
    const keyId = /Credential=([^/]+)\//.exec(headers['authorization'] ?? '')?.[1];
    if (keyId) this.secrets.add(keyId);
  }

  private redact(message: string): string {
    let result = message;
    for (const secret of this.secrets) result = result.split(secret).join('<redacted>');
    return result.replace(/\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, '<redacted>');
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * OpenSearch's error text in its three shapes: the security plugin's `{"status","message"}`, the
 * REST layer's `{"error":{"type","reason"}}` and the AWS front end's `{"Message"}` (IAM denials).
 */
export function describeOpenSearchError(body: unknown): string {
  let reason: string | undefined;
  if (typeof body === 'string') reason = body;
  else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string') reason = b.message;
    else if (typeof b.Message === 'string') reason = b.Message;
    else if (typeof b.error === 'string') reason = b.error;
    else if (b.error && typeof b.error === 'object') {
      const e = b.error as Record<string, unknown>;
      reason = [e.type, e.reason].filter((part) => typeof part === 'string').join(': ') || undefined;
    }
  }
  const text = (reason ?? 'no error message').replace(/\s+/g, ' ').trim();
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text;
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (e && typeof e.code === 'string') return e.code;
  if (e && typeof e.message === 'string') return e.message.slice(0, MAX_REASON_LENGTH);
  return 'unknown error';
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
