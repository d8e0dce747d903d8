/**
 * The cluster-certificate handler in konnect mode against a local fake of Kong Konnect's Control
 * Planes API (node:http on 127.0.0.1) and a real moto_server (Secrets Manager holds the access
 * token and the plane's secret). The fake checks the `Authorization: Bearer <token>` header and
 * the JSON body of every call the way Konnect does, and can answer 401, 404, 409, 5xx or go away.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { onEvent, type OnEventRequest, type OnEventResponse } from '../../src/handlers/cluster-certificate';
import { konnectTiming } from '../../src/handlers/cluster-certificate/konnect-api';
import { KONNECT_LOOPBACK_ENV } from '../../src/handlers/cluster-certificate/properties';
import { createSelfSignedCertificate } from '../../src/handlers/cluster-certificate/x509';
import { startMoto, type Moto } from '../support/moto';

const TOKEN = 'kpat_TestTokenThatMustNeverBeLogged0123456789abcdef';
const WRONG_TOKEN = 'spat_RevokedTokenThatMustNeverBeLogged987654';
const CONTROL_PLANE = '9524ec7d-36d9-465d-a8c5-83a3c9390458';
const UNKNOWN_CONTROL_PLANE = '00000000-1111-4222-8333-444444444444';
const DAY_MS = 24 * 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// a fake Konnect

interface Pinned {
  id: string;
  cert: string;
}

interface Call {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

/** Plays the Konnect Control Planes API v2 for one control plane. */
class FakeKonnect {
  readonly pinned = new Map<string, Pinned>();
  readonly calls: Call[] = [];
  /** Statuses answered (without doing anything) to the next requests, in order. */
  failNext: number[] = [];
  /** When set, every request gets this status. */
  always?: number;
  /** Pin the next POST but answer 502, as if the answer were lost on the way back. */
  loseNextPostAnswer = false;
  /** Called when a certificate is pinned, before answering (sees the world as it was then). */
  onPin?: (cert: string) => Promise<void>;
  private server?: Server;
  url = '';

  /** Listens on a free port, or again on the same one after {@link stop}. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    const port = this.url ? Number(new URL(this.url).port) : 0;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  reset(): void {
    this.pinned.clear();
    this.calls.length = 0;
    this.failNext = [];
    this.always = undefined;
    this.loseNextPostAnswer = false;
    this.onPin = undefined;
  }

  count(method: string, suffix = ''): number {
    return this.calls.filter((c) => c.method === method && c.path.endsWith(`dp-client-certificates${suffix}`)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const call: Call = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization };
    if (text) call.body = JSON.parse(text);
    this.calls.push(call);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const forced = this.always ?? this.failNext.shift();
    if (forced !== undefined)
      return send(forced, { status: forced, title: 'Service Unavailable', detail: 'try later' });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      // Konnect-like problem+json; echoes the presented token to prove the handler scrubs it.
      return send(401, { status: 401, title: 'Unauthorized', detail: `Invalid token ${req.headers.authorization}` });
    }
    const match = /^\/v2\/control-planes\/([^/]+)\/dp-client-certificates(?:\/([^/]+))?$/.exec(call.path);
    if (!match) return send(404, { message: 'Not Found' });
    if (match[1] !== CONTROL_PLANE)
      return send(404, { status: 404, title: 'Not Found', detail: 'control plane not found' });
    const id = match[2];
    if (call.method === 'GET' && !id) {
      const items = [...this.pinned.values()].map(item);
      return send(200, { items, page: { total: items.length } });
    }
    if (call.method === 'GET' && id) {
      const found = this.pinned.get(id);
      return found ? send(200, { item: item(found) }) : send(404, { message: 'Not found' });
    }
    if (call.method === 'DELETE' && id) {
      if (!this.pinned.delete(id)) return send(404, { message: 'Not found' });
      return send(204);
    }
    if (call.method === 'POST' && !id) {
      const body = call.body as Record<string, unknown> | undefined;
      if (req.headers['content-type'] !== 'application/json' || !body || Object.keys(body).join() !== 'cert') {
        return send(400, { message: 'body must be {"cert": "<PEM>"}' });
      }
      const cert = body.cert as string;
      new X509Certificate(cert); // a PEM Konnect could parse
      if ([...this.pinned.values()].some((p) => p.cert === cert)) {
        return send(409, { status: 409, title: 'Conflict', detail: 'certificate already exists' });
      }
      await this.onPin?.(cert);
      const pinned = { id: randomUUID(), cert };
      this.pinned.set(pinned.id, pinned);
      if (this.loseNextPostAnswer) {
        this.loseNextPostAnswer = false;
        return send(502, { message: 'Bad Gateway' });
      }
      return send(201, { item: item(pinned) });
    }
    return send(405, { message: 'Method Not Allowed' });
  }
}

function item(pinned: Pinned) {
  return { id: pinned.id, cert: pinned.cert, created_at: 1730000000, updated_at: 1730000000 };
}

// ---------------------------------------------------------------------------------------------
// fixtures

let moto: Moto;
let sm: SecretsManagerClient;
const konnect = new FakeKonnect();
let counter = 0;
const savedTiming = { ...konnectTiming };

beforeAll(async () => {
  moto = await startMoto();
  sm = new SecretsManagerClient({});
  await konnect.start();
  process.env[KONNECT_LOOPBACK_ENV] = '1';
  konnectTiming.retryDelayMs = 5;
  konnectTiming.requestTimeoutMs = 3000;
  await sm.send(new CreateSecretCommand({ Name: 'konnect/token', SecretString: TOKEN }));
  await sm.send(new CreateSecretCommand({ Name: 'konnect/revoked', SecretString: WRONG_TOKEN }));
  await sm.send(
    new CreateSecretCommand({ Name: 'konnect/token-json', SecretString: JSON.stringify({ token: TOKEN }) }),
  );
}, 60_000);

afterAll(async () => {
  delete process.env[KONNECT_LOOPBACK_ENV];
  Object.assign(konnectTiming, savedTiming);
  await konnect.stop();
  sm?.destroy();
  await moto?.stop();
});

let logSpy: jest.SpyInstance;
beforeEach(() => {
  konnect.reset();
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  // Whatever a test did, nothing it logged may hold a token.
  expect(logged()).not.toContain(TOKEN);
  expect(logged()).not.toContain(WRONG_TOKEN);
  logSpy.mockRestore();
});

function logged(): string {
  return logSpy.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
}

async function createSecret(): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: `kong/dp-konnect-${++counter}-${Date.now()}` }));
  return out.ARN!;
}

async function readSecret(arn: string): Promise<Record<string, any> | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return JSON.parse(out.SecretString ?? 'null');
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function versionCount(arn: string): Promise<number> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.keys(out.VersionIdsToStages ?? {}).length;
}

function props(secretArn: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ServiceToken: 'provider',
    SecretArn: secretArn,
    Mode: 'konnect',
    CommonName: 'dp-ecs-use1',
    ValidityDays: '365',
    RotateBeforeDays: '30',
    Label: 'fleet/dp-ecs-use1',
    KonnectControlPlaneId: CONTROL_PLANE,
    KonnectApiUrl: konnect.url,
    KonnectTokenSecret: 'konnect/token',
    ...extra,
  };
}

function send(
  RequestType: 'Create' | 'Update' | 'Delete' | 'Rotate',
  ResourceProperties: Record<string, string>,
  extra: Partial<OnEventRequest> = {},
): Promise<OnEventResponse> {
  return onEvent({ RequestType, ResourceProperties, ...extra } as OnEventRequest);
}

function sha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** Runs `fn`, expects it to reject; returns the message. */
async function failure(fn: () => Promise<unknown>): Promise<string> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(Error);
  return error!.message;
}

// ---------------------------------------------------------------------------------------------

describe('Create', () => {
  test('makes a P-384 clientAuth certificate with the plane name as CN, pins it, then writes {cert, key, pin}', async () => {
    const arn = await createSecret();
    const createdAt = Date.now();
    const response = await send('Create', props(arn));
    const value = (await readSecret(arn))!;

    // pinned exactly once, with the token and the PEM that is in the secret
    expect(konnect.count('POST')).toBe(1);
    const post = konnect.calls.find((c) => c.method === 'POST')!;
    expect(post.path).toBe(`/v2/control-planes/${CONTROL_PLANE}/dp-client-certificates`);
    expect(post.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post.body).toEqual({ cert: value.cert });
    const [pinned] = [...konnect.pinned.values()];
    expect(value.certificate_id).toBe(pinned.id);

    // the secret: Kong's keys, no ca, and the pin's public facts
    expect(Object.keys(value).sort()).toEqual([
      'api_url',
      'cert',
      'certificate_id',
      'control_plane_id',
      'issued_for',
      'key',
      'previous_certificates',
    ]);
    expect(value.control_plane_id).toBe(CONTROL_PLANE);
    expect(value.api_url).toBe(konnect.url);
    expect(value.previous_certificates).toEqual([]);

    const cert = new X509Certificate(value.cert);
    expect(cert.subject).toBe('CN=dp-ecs-use1');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // EKU clientAuth only
    expect(cert.ca).toBe(false);
    expect(cert.checkPrivateKey(createPrivateKey(value.key))).toBe(true);
    expect(Math.abs(Date.parse(cert.validTo) - Date.parse(cert.validFrom) - 365 * DAY_MS)).toBeLessThan(60_000);
    expect(Date.parse(cert.validFrom)).toBeLessThanOrEqual(createdAt);

    expect(response.PhysicalResourceId).toBe(`${arn}#cluster-certificate`);
    expect(response.Data?.Fingerprint).toBe(sha256(value.cert));
    const returned = JSON.stringify(response);
    expect(returned).not.toContain(TOKEN);
    expect(returned).not.toContain('PRIVATE KEY');
    expect(logged()).toContain(pinned.id);
  });

  test('the token secret may also be JSON {"token": …}', async () => {
    const arn = await createSecret();
    await send('Create', props(arn, { KonnectTokenSecret: 'konnect/token-json' }));
    expect(konnect.pinned.size).toBe(1);
  });

  test('a retried Create keeps the certificate and does not pin it twice', async () => {
    const arn = await createSecret();
    const first = await send('Create', props(arn));
    const before = (await readSecret(arn))!;
    const versions = await versionCount(arn);

    const second = await send('Create', props(arn));
    expect(second.Data).toEqual(first.Data);
    expect((await readSecret(arn))!.key).toBe(before.key);
    expect(await versionCount(arn)).toBe(versions);
    expect(konnect.count('POST')).toBe(1);
    expect(konnect.count('GET', `/${before.certificate_id}`)).toBe(1); // it checked Konnect still has it
    expect(konnect.pinned.size).toBe(1);
  });

  test('a retry pins the same certificate again when Konnect no longer has it', async () => {
    const arn = await createSecret();
    await send('Create', props(arn));
    const before = (await readSecret(arn))!;
    konnect.pinned.clear(); // unpinned by hand in Konnect

    await send('Create', props(arn));
    const after = (await readSecret(arn))!;
    expect(after.cert).toBe(before.cert);
    expect(after.key).toBe(before.key);
    expect(after.certificate_id).not.toBe(before.certificate_id);
    expect([...konnect.pinned.values()]).toEqual([{ id: after.certificate_id, cert: before.cert }]);
  });

  test('409 (pinned by an attempt whose answer was lost) is success, with the id found by listing', async () => {
    const arn = await createSecret();
    konnect.loseNextPostAnswer = true;
    await send('Create', props(arn));
    const value = (await readSecret(arn))!;
    expect(konnect.calls.map((c) => `${c.method} ${c.path.replace(/.*dp-client-certificates/, '…')}`)).toEqual([
      'POST …', // pinned, answer lost (502)
      'POST …', // 409
      'GET …', // list
    ]);
    expect(konnect.pinned.size).toBe(1);
    expect(value.certificate_id).toBe([...konnect.pinned.keys()][0]);
  });

  test('5xx twice, then success: retried, one pin', async () => {
    const arn = await createSecret();
    konnect.failNext = [503, 500];
    await send('Create', props(arn));
    expect(konnect.count('POST')).toBe(3);
    expect(konnect.pinned.size).toBe(1);
    expect((await readSecret(arn))!.certificate_id).toBe([...konnect.pinned.keys()][0]);
  });

  test('5xx on every attempt: fails after 4 attempts with the status and Konnect message; nothing written', async () => {
    const arn = await createSecret();
    konnect.always = 503;
    const message = await failure(() => send('Create', props(arn)));
    expect(message).toMatch(
      /ClusterCertificate\.KonnectApiUrl: Konnect did not answer POST \/v2\/control-planes\/.+ after 4 attempts/,
    );
    expect(message).toContain('503 try later');
    expect(konnect.count('POST')).toBe(4);
    expect(await readSecret(arn)).toBeUndefined();
  });

  test('401: a clear failure naming the token secret, never the token', async () => {
    const arn = await createSecret();
    const message = await failure(() => send('Create', props(arn, { KonnectTokenSecret: 'konnect/revoked' })));
    expect(message).toMatch(
      /^ClusterCertificate\.KonnectTokenSecret: Konnect refused the access token \(401\): check the token secret konnect\/revoked/,
    );
    expect(message).not.toContain(WRONG_TOKEN);
    expect(message).toContain('Invalid token Bearer <token>'); // Konnect's echo, scrubbed
    expect(konnect.calls[0].authorization).toBe(`Bearer ${WRONG_TOKEN}`);
    expect(konnect.count('POST')).toBe(1); // not retried
    expect(await readSecret(arn)).toBeUndefined();
  });

  test('404: the control plane is not in that Konnect region', async () => {
    const arn = await createSecret();
    const message = await failure(() => send('Create', props(arn, { KonnectControlPlaneId: UNKNOWN_CONTROL_PLANE })));
    expect(message).toContain(`control plane ${UNKNOWN_CONTROL_PLANE} not found in Konnect region ${konnect.url}`);
    expect(await readSecret(arn)).toBeUndefined();
  });

  test('an unreadable token secret fails before any Konnect call', async () => {
    const arn = await createSecret();
    const message = await failure(() => send('Create', props(arn, { KonnectTokenSecret: 'konnect/missing' })));
    expect(message).toMatch(
      /cannot read the Konnect access token secret konnect\/missing \(got "ResourceNotFoundException"/,
    );
    expect(konnect.calls).toEqual([]);
  });

  test.each([
    ['KonnectControlPlaneId', { KonnectControlPlaneId: 'my-control-plane' }, /not a Konnect control plane id/],
    [
      'KonnectApiUrl (plain http elsewhere)',
      { KonnectApiUrl: 'http://us.api.konghq.com' },
      /not a Konnect regional API URL/,
    ],
    ['KonnectApiUrl (another host)', { KonnectApiUrl: 'https://api.example.com' }, /not a Konnect regional API URL/],
    ['KonnectApiUrl (global)', { KonnectApiUrl: 'https://global.api.konghq.com' }, /not a Konnect regional API URL/],
    ['KonnectTokenSecret', { KonnectTokenSecret: '' }, /KonnectTokenSecret: is required/],
  ])('invalid %s is refused before any call', async (_name, change, pattern) => {
    const arn = await createSecret();
    await expect(send('Create', props(arn, change))).rejects.toThrow(pattern);
    expect(konnect.calls).toEqual([]);
  });

  test('the local API URL is refused unless the tests allow it explicitly', async () => {
    const arn = await createSecret();
    delete process.env[KONNECT_LOOPBACK_ENV];
    try {
      await expect(send('Create', props(arn))).rejects.toThrow(/KonnectApiUrl: is not a Konnect regional API URL/);
    } finally {
      process.env[KONNECT_LOOPBACK_ENV] = '1';
    }
    expect(konnect.calls).toEqual([]);
  });
});

describe('Update', () => {
  test('a new Generation makes a new certificate, pinned; the old pin is kept for the rollout', async () => {
    const arn = await createSecret();
    const created = await send('Create', props(arn));
    const before = (await readSecret(arn))!;
    const old = props(arn);
    const updated = await send('Update', props(arn, { Generation: '2' }), {
      OldResourceProperties: old,
      PhysicalResourceId: created.PhysicalResourceId,
    });
    const after = (await readSecret(arn))!;
    expect(updated.Data?.Fingerprint).not.toBe(created.Data?.Fingerprint);
    expect(after.previous_certificates).toEqual([
      {
        certificate_id: before.certificate_id,
        control_plane_id: CONTROL_PLANE,
        api_url: konnect.url,
        unpin_after: expect.any(String),
      },
    ]);
    expect(konnect.pinned.size).toBe(2);
  });

  test('a token secret change keeps the certificate and checks the pin with the new token', async () => {
    const arn = await createSecret();
    const created = await send('Create', props(arn));
    const updated = await send('Update', props(arn, { KonnectTokenSecret: 'konnect/token-json' }), {
      OldResourceProperties: props(arn),
      PhysicalResourceId: created.PhysicalResourceId,
    });
    expect(updated.Data).toEqual(created.Data);
    expect(konnect.count('POST')).toBe(1);
    expect(konnect.calls.at(-1)?.method).toBe('GET');
  });
});

/**
 * Runs `fn` with the wall clock (Date only) at `time`, still advancing; timers stay real so
 * fetch, moto and the retries behave as usual.
 */
async function at<T>(time: number, fn: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: time,
    advanceTimers: true,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  try {
    return await fn();
  } finally {
    jest.useRealTimers();
  }
}

const HOUR_MS = 60 * 60 * 1000;

describe('Rotate', () => {
  /** A plane created now, and the moment its certificate is 10 days from expiry (rotation due). */
  async function planeNearExpiry() {
    const arn = await createSecret();
    await send('Create', props(arn));
    const first = (await readSecret(arn))!;
    const due = Date.parse(new X509Certificate(first.cert).validTo) - 10 * DAY_MS;
    konnect.calls.length = 0;
    return { arn, first, due };
  }

  test('a due certificate: the new one is pinned before the secret changes; the old one is unpinned a day later', async () => {
    const { arn, first, due } = await planeNearExpiry();

    // Not due yet: the check makes no Konnect call at all.
    await send('Rotate', props(arn));
    expect(konnect.calls).toEqual([]);
    expect((await readSecret(arn))!.cert).toBe(first.cert);

    const secretAtPin: string[] = [];
    konnect.onPin = async () => {
      secretAtPin.push((await readSecret(arn))!.cert);
    };
    await at(due, () => send('Rotate', props(arn)));
    const second = (await readSecret(arn))!;
    expect(second.cert).not.toBe(first.cert);
    expect(secretAtPin).toEqual([first.cert]); // Konnect pinned the new one while the secret still held the old
    expect(konnect.pinned.get(second.certificate_id)?.cert).toBe(second.cert);
    expect(konnect.pinned.get(first.certificate_id)?.cert).toBe(first.cert); // old still pinned
    expect(second.previous_certificates).toEqual([
      {
        certificate_id: first.certificate_id,
        control_plane_id: CONTROL_PLANE,
        api_url: konnect.url,
        unpin_after: expect.any(String),
      },
    ]);
    const unpinAfter = Date.parse(second.previous_certificates[0].unpin_after);
    expect(Math.abs(unpinAfter - due - 24 * HOUR_MS)).toBeLessThan(60_000);
    expect(konnect.count('DELETE', `/${first.certificate_id}`)).toBe(0);

    // During the rollouts: the old pin stays, no Konnect call.
    konnect.calls.length = 0;
    await at(due + HOUR_MS, () => send('Rotate', props(arn)));
    expect(konnect.calls).toEqual([]);
    expect(konnect.pinned.has(first.certificate_id)).toBe(true);

    // A day later: the old certificate is unpinned and forgotten; the current one is untouched.
    await at(due + 25 * HOUR_MS, () => send('Rotate', props(arn)));
    expect(konnect.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      `DELETE /v2/control-planes/${CONTROL_PLANE}/dp-client-certificates/${first.certificate_id}`,
    ]);
    expect(konnect.calls[0].authorization).toBe(`Bearer ${TOKEN}`);
    const third = (await readSecret(arn))!;
    expect(third.cert).toBe(second.cert);
    expect(third.previous_certificates).toEqual([]);
    expect([...konnect.pinned.keys()]).toEqual([second.certificate_id]);
  });

  test('an expired certificate is replaced the same way', async () => {
    const { arn, first } = await planeNearExpiry();
    const expired = Date.parse(new X509Certificate(first.cert).validTo) + DAY_MS;
    await at(expired, () => send('Rotate', props(arn)));
    const second = (await readSecret(arn))!;
    expect(second.cert).not.toBe(first.cert);
    expect(second.previous_certificates.map((p: { certificate_id: string }) => p.certificate_id)).toEqual([
      first.certificate_id,
    ]);
  });

  test('Konnect failing during a rotation leaves the secret as it was', async () => {
    const { arn, first, due } = await planeNearExpiry();
    konnect.always = 500;
    await expect(at(due, () => send('Rotate', props(arn)))).rejects.toThrow(/after 4 attempts/);
    expect((await readSecret(arn))!.cert).toBe(first.cert);
  });

  test('a failed unpin is retried at the next check and does not fail the check', async () => {
    const { arn, first, due } = await planeNearExpiry();
    await at(due, () => send('Rotate', props(arn)));
    konnect.always = 503;
    await at(due + 25 * HOUR_MS, () => send('Rotate', props(arn)));
    expect((await readSecret(arn))!.previous_certificates).toHaveLength(1);
    expect(logged()).toMatch(/unpin failed, retried at the next check/);
    konnect.always = undefined;
    await at(due + 26 * HOUR_MS, () => send('Rotate', props(arn)));
    expect((await readSecret(arn))!.previous_certificates).toEqual([]);
    expect(konnect.pinned.has(first.certificate_id)).toBe(false);
  });
});

describe('Delete', () => {
  test('unpins the certificate by its id', async () => {
    const arn = await createSecret();
    const created = await send('Create', props(arn));
    const { certificate_id: id } = (await readSecret(arn))!;
    const deleted = await send('Delete', props(arn), { PhysicalResourceId: created.PhysicalResourceId });
    expect(deleted).toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    const del = konnect.calls.filter((c) => c.method === 'DELETE');
    expect(del.map((c) => c.path)).toEqual([`/v2/control-planes/${CONTROL_PLANE}/dp-client-certificates/${id}`]);
    expect(del[0].authorization).toBe(`Bearer ${TOKEN}`);
    expect(konnect.pinned.size).toBe(0);
    expect(logged()).toContain(`${id} unpinned`);
  });

  test('404 (already gone) is success', async () => {
    const arn = await createSecret();
    const created = await send('Create', props(arn));
    konnect.pinned.clear();
    await expect(send('Delete', props(arn), { PhysicalResourceId: created.PhysicalResourceId })).resolves.toEqual({
      PhysicalResourceId: created.PhysicalResourceId,
    });
    expect(konnect.count('DELETE', `/${(await readSecret(arn))!.certificate_id}`)).toBe(1);
    expect(logged()).toMatch(/absent/);
  });

  test('Konnect down (connection refused) or refusing the token never blocks the delete', async () => {
    const arn = await createSecret();
    const created = await send('Create', props(arn));
    await konnect.stop(); // down: connection refused
    try {
      await expect(send('Delete', props(arn), { PhysicalResourceId: created.PhysicalResourceId })).resolves.toEqual({
        PhysicalResourceId: created.PhysicalResourceId,
      });
    } finally {
      await konnect.start();
    }
    expect(logged()).toMatch(/not unpinned .*after 4 attempts.*ECONNREFUSED/);

    await expect(
      send('Delete', props(arn, { KonnectTokenSecret: 'konnect/revoked' }), {
        PhysicalResourceId: created.PhysicalResourceId,
      }),
    ).resolves.toEqual({ PhysicalResourceId: created.PhysicalResourceId });
    expect(logged()).toMatch(/not unpinned .*refused the access token \(401\)/);
    expect(konnect.pinned.size).toBe(1);
  });
});

describe('TLS: the pinned certificate authenticates the data plane', () => {
  /** A server that, like Konnect, accepts exactly the pinned client certificates. */
  async function handshake(client: { cert: string; key: string }, pinned: string[]): Promise<string> {
    const server = await createSelfSignedCertificate({ commonName: 'konnect-cp', curve: 'P-384', validityDays: 1 });
    const pins = new Set(pinned.map(sha256));
    const tlsServer = tls.createServer(
      // ca = the pinned certificates: OpenSSL also checks the clientAuth purpose of each.
      { cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: true, ca: pinned },
      (socket) => {
        const peer = socket.getPeerX509Certificate();
        socket.end(peer && pins.has(createHash('sha256').update(peer.raw).digest('hex')) ? 'accepted' : 'refused');
      },
    );
    tlsServer.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const port = (tlsServer.address() as AddressInfo).port;
    try {
      return await new Promise<string>((resolve) => {
        let received = '';
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          cert: client.cert,
          key: client.key,
          rejectUnauthorized: false,
        });
        socket.on('data', (d) => (received += d.toString()));
        socket.on('error', (e: NodeJS.ErrnoException) => (received ||= `error ${e.code ?? e.message}`));
        socket.on('close', () => resolve(received || 'closed'));
      });
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  }

  test('the DP certificate from the secret is accepted; an unpinned one is not', async () => {
    const arn = await createSecret();
    await send('Create', props(arn));
    const value = (await readSecret(arn))!;
    const pinned = [...konnect.pinned.values()].map((p) => p.cert);
    expect(await handshake({ cert: value.cert, key: value.key }, pinned)).toBe('accepted');
    const stranger = await createSelfSignedCertificate({
      commonName: 'dp-ecs-use1',
      curve: 'P-384',
      validityDays: 30,
      extendedKeyUsage: ['clientAuth'],
    });
    expect(await handshake(stranger, pinned)).not.toBe('accepted');
  });
});
