/**
 * Integration tests of the cluster-certificate custom-resource handler against a real
 * moto_server (Secrets Manager), with real TLS handshakes (node:tls) that emulate Kong's
 * `cluster_mtls = shared` control plane and data plane.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { onEvent, type OnEventRequest, type OnEventResponse } from '../../src/handlers/cluster-certificate';
import { startMoto, type Moto } from '../support/moto';

const REPO = join(__dirname, '..', '..');
const BUNDLE = join(REPO, 'dist', 'handlers', 'cluster-certificate', 'index.js');
const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

interface Credentials {
  cert: string;
  key: string;
}

let moto: Moto;
let sm: SecretsManagerClient;
const servers = new Set<tls.Server>();
let secretCounter = 0;

beforeAll(async () => {
  moto = await startMoto();
  sm = new SecretsManagerClient({});
}, 60_000);

afterAll(async () => {
  await Promise.all([...servers].map(closeServer));
  sm?.destroy();
  await moto?.stop();
});

let logSpy: jest.SpyInstance;
beforeEach(() => {
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  logSpy.mockRestore();
});

// ---------------------------------------------------------------------------------------------
// helpers

async function createSecret(): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: `kong/cluster-cert-${++secretCounter}-${Date.now()}` }));
  if (!out.ARN) throw new Error('moto returned no ARN');
  return out.ARN;
}

async function readSecret(secretArn: string): Promise<{ value: Record<string, string>; versionId: string }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return { value: JSON.parse(out.SecretString ?? 'null'), versionId: out.VersionId ?? '' };
}

async function versionStages(secretArn: string): Promise<Record<string, string[]>> {
  const out = await sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
  return out.VersionIdsToStages ?? {};
}

function props(secretArn: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ServiceToken: 'token-of-the-provider-framework', SecretArn: secretArn, Mode: 'shared', ...extra };
}

function create(resourceProperties: Record<string, unknown>): Promise<OnEventResponse> {
  return onEvent({ RequestType: 'Create', ResourceProperties: resourceProperties } as OnEventRequest);
}

function update(
  physicalId: string,
  oldProperties: Record<string, unknown>,
  newProperties: Record<string, unknown>,
): Promise<OnEventResponse> {
  return onEvent({
    RequestType: 'Update',
    PhysicalResourceId: physicalId,
    OldResourceProperties: oldProperties,
    ResourceProperties: newProperties,
  } as OnEventRequest);
}

function sha256Hex(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
}

function assertNoKeyMaterial(text: string, key: string): void {
  expect(text).not.toMatch(/PRIVATE KEY/);
  const body = key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  expect(text).not.toContain(body.slice(0, 40));
}

function closeServer(server: tls.Server): Promise<void> {
  servers.delete(server);
  return new Promise((resolve) => server.close(() => resolve()));
}

interface HandshakeResult {
  /** What the DP received back from the CP after sending `ping` (undefined: nothing). */
  received?: string;
  /** The error the DP saw, if any. */
  clientError?: string;
  /** Errors the CP saw while handshaking (`tlsClientError`). */
  serverErrors: string[];
  /** Connections the CP accepted as authorized and whose cert digest equals its own. */
  acceptedByCp: number;
  /** Connections the CP refused after the TLS handshake (authorized but another digest). */
  refusedByCp: number;
}

/**
 * One Kong shared-mode cluster connection: a CP (server) with `cp` that requires a client cert
 * it trusts (`ca: [own cert]`; `cpRejectsUnauthorized: false` leaves that to the next check, like
 * Kong's `ssl_verify_client optional_no_ca`) and, like Kong, compares the DP cert's SHA-256 with its own; a
 * DP (client) with `dp` that sends SNI kong_clustering, verifies the CP cert against `dpTrusts`
 * (default: its own cert, as a Kong DP does) and requires the CP cert's SHA-256 to equal its own
 * (unless `dpChecksDigest` is false, to see what the CP alone decides).
 */
async function kongSharedHandshake(
  cp: Credentials,
  dp: Credentials,
  options: { dpTrusts?: string[]; dpChecksDigest?: boolean; cpRejectsUnauthorized?: boolean } = {},
): Promise<HandshakeResult> {
  const result: HandshakeResult = { serverErrors: [], acceptedByCp: 0, refusedByCp: 0 };
  let tcpConnections = 0;
  const cpDigest = sha256Hex(cp.cert);
  const server = tls.createServer(
    {
      cert: cp.cert,
      key: cp.key,
      requestCert: true,
      rejectUnauthorized: options.cpRejectsUnauthorized ?? true,
      ca: [cp.cert],
    },
    (socket) => {
      const peer = socket.getPeerX509Certificate();
      if (!peer || createHash('sha256').update(peer.raw).digest('hex') !== cpDigest) {
        result.refusedByCp++;
        socket.destroy();
        return;
      }
      result.acceptedByCp++;
      socket.on('data', (data) => socket.end(`pong:${data.toString()}`));
      socket.on('error', () => undefined);
    },
  );
  server.on('connection', () => tcpConnections++);
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => result.serverErrors.push(error.code ?? error.message));
  servers.add(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dpDigest = sha256Hex(dp.cert);

  try {
    await new Promise<void>((resolve) => {
      let received = '';
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        cert: dp.cert,
        key: dp.key,
        ca: options.dpTrusts ?? [dp.cert],
        servername: 'kong_clustering',
        checkServerIdentity: (host, peer) => {
          const error = tls.checkServerIdentity(host, peer);
          if (error) return error;
          if (options.dpChecksDigest === false) return undefined;
          const peerDigest = peer.fingerprint256.replace(/:/g, '').toLowerCase();
          return peerDigest === dpDigest ? undefined : new Error('CP certificate digest differs from the DP own');
        },
      });
      const timer = setTimeout(() => {
        result.clientError ??= 'timeout';
        socket.destroy();
      }, 10_000);
      socket.on('secureConnect', () => socket.write('ping'));
      socket.on('data', (data) => (received += data.toString()));
      socket.on('error', (error: NodeJS.ErrnoException) => (result.clientError ??= error.code ?? error.message));
      socket.on('close', () => {
        clearTimeout(timer);
        if (received) result.received = received;
        resolve();
      });
    });
    // Let the CP record its side of every connection (a refused client cert is reported late).
    const deadline = Date.now() + 2000;
    while (result.serverErrors.length + result.acceptedByCp + result.refusedByCp < tcpConnections) {
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await closeServer(server);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

describe('cluster-certificate handler, shared mode (moto Secrets Manager)', () => {
  let secretArn: string;
  let created: OnEventResponse;
  let generation1: Credentials;
  let createdAt: number;

  beforeAll(async () => {
    const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    secretArn = await createSecret();
    createdAt = Date.now();
    created = await create(props(secretArn, { Generation: '1' }));
    generation1 = (await readSecret(secretArn)).value as unknown as Credentials;
    spy.mockRestore();
  });

  test('Create fills the secret with exactly {cert, key} and returns a stable physical id', async () => {
    expect(created.PhysicalResourceId).toBe(`${secretArn}#cluster-certificate`);
    const { value, versionId } = await readSecret(secretArn);
    expect(Object.keys(value).sort()).toEqual(['cert', 'key']);
    expect(value.cert).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(value.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/); // PKCS#8
    expect(created.Data?.SecretVersionId).toBe(versionId);
  });

  test('the certificate is what kong hybrid gen_cert makes: EC secp384r1, CN=kong_clustering, self-signed, 1095 days', () => {
    const cert = new X509Certificate(generation1.cert);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(cert.subject).toBe('CN=kong_clustering');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // EKU serverAuth, clientAuth
    expect(cert.checkHost('kong_clustering')).toBe('kong_clustering');

    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    expect(Math.abs(notAfter - notBefore - 1095 * DAY_MS)).toBeLessThanOrEqual(MINUTE_MS);
    expect(Math.abs(createdAt - 5 * MINUTE_MS - notBefore)).toBeLessThanOrEqual(MINUTE_MS);

    const key = createPrivateKey(generation1.key);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(cert.checkPrivateKey(key)).toBe(true);
  });

  test('Data describes the certificate (SHA-256, notAfter, serial) and holds no key material', () => {
    const cert = new X509Certificate(generation1.cert);
    const data = created.Data!;
    expect(Object.keys(data).sort()).toEqual(['Fingerprint', 'NotAfter', 'SecretVersionId', 'SerialNumber']);
    expect(data.Fingerprint).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(data.Fingerprint).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(data.NotAfter).toBe(new Date(cert.validTo).toISOString());
    expect(data.SerialNumber).toBe(cert.serialNumber.toLowerCase());
    expect(data.SerialNumber).toMatch(/^[0-7][0-9a-f]{31}$/); // 16 bytes, positive
    assertNoKeyMaterial(JSON.stringify(created), generation1.key);
  });

  test('logs only the request type, the secret ARN and the fingerprint', async () => {
    const arn = await createSecret();
    const response = await create(props(arn));
    const { value } = await readSecret(arn);
    const logged = logSpy.mock.calls.map((args) => args.map(String).join(' ')).join('\n');
    expect(logged).toContain(arn);
    expect(logged).toContain(response.Data!.Fingerprint);
    expect(logged).toContain('Create');
    assertNoKeyMaterial(logged, value.key);
    expect(logged).not.toContain('BEGIN CERTIFICATE');
  });

  test('CP and DP sharing the pair complete a mutual TLS handshake as Kong does in shared mode', async () => {
    const result = await kongSharedHandshake(generation1, generation1);
    expect(result).toEqual({ received: 'pong:ping', serverErrors: [], acceptedByCp: 1, refusedByCp: 0 });
  });

  test('a custom CommonName still passes the DP host check for kong_clustering (SAN)', async () => {
    const arn = await createSecret();
    await create(props(arn, { CommonName: 'fleet-eu' }));
    const { value } = await readSecret(arn);
    expect(new X509Certificate(value.cert).subject).toBe('CN=fleet-eu');
    const result = await kongSharedHandshake(value as unknown as Credentials, value as unknown as Credentials);
    expect(result.received).toBe('pong:ping');
  });

  describe('Update', () => {
    test('(b) an unrelated property change keeps the certificate and the secret version', async () => {
      const arn = await createSecret();
      const before = await create(props(arn, { Generation: 'a' }));
      const stagesBefore = await versionStages(arn);
      const after = await update(
        before.PhysicalResourceId,
        props(arn, { Generation: 'a' }),
        props(arn, { Generation: 'a', Description: 'renamed', ServiceToken: 'another-token' }),
      );
      expect(after).toEqual(before);
      expect(await versionStages(arn)).toEqual(stagesBefore);
    });

    test('defaults and explicit values are the same properties', async () => {
      const arn = await createSecret();
      const before = await create({ SecretArn: arn });
      const after = await update(
        before.PhysicalResourceId,
        { SecretArn: arn },
        { SecretArn: arn, Mode: 'shared', CommonName: 'kong_clustering', ValidityDays: '1095', Generation: '' },
      );
      expect(after.Data?.Fingerprint).toBe(before.Data?.Fingerprint);
    });

    test('(c) a new Generation makes a new pair in a new secret version, same physical id', async () => {
      const arn = await createSecret();
      const before = await create(props(arn, { Generation: '1' }));
      const old = await readSecret(arn);
      const after = await update(
        before.PhysicalResourceId,
        props(arn, { Generation: '1' }),
        props(arn, { Generation: '2' }),
      );
      const now = await readSecret(arn);

      expect(after.PhysicalResourceId).toBe(before.PhysicalResourceId);
      expect(after.Data?.Fingerprint).not.toBe(before.Data?.Fingerprint);
      expect(after.Data?.Fingerprint).toBe(sha256Hex(now.value.cert));
      expect(now.versionId).not.toBe(old.versionId);
      expect(after.Data?.SecretVersionId).toBe(now.versionId);
      const stages = await versionStages(arn);
      expect(stages[now.versionId]).toContain('AWSCURRENT');
      expect(stages[old.versionId]).toContain('AWSPREVIOUS');
      expect(now.value.key).not.toBe(old.value.key);
    });

    test.each([
      ['CommonName', { CommonName: 'other' }],
      ['ValidityDays', { ValidityDays: '30' }],
    ])('a %s change makes a new pair', async (_name, change) => {
      const arn = await createSecret();
      const before = await create(props(arn));
      const after = await update(before.PhysicalResourceId, props(arn), props(arn, change));
      expect(after.Data?.Fingerprint).not.toBe(before.Data?.Fingerprint);
    });

    test('ValidityDays sets the validity', async () => {
      const arn = await createSecret();
      await create(props(arn, { ValidityDays: '30' }));
      const cert = new X509Certificate((await readSecret(arn)).value.cert);
      expect(Math.abs(Date.parse(cert.validTo) - Date.parse(cert.validFrom) - 30 * DAY_MS)).toBeLessThanOrEqual(
        MINUTE_MS,
      );
    });

    test('(a) a DP holding the next generation is rejected by the CP of the first generation', async () => {
      const arn = await createSecret();
      const first = await create(props(arn, { Generation: '1' }));
      const cp = (await readSecret(arn)).value as unknown as Credentials;
      await update(first.PhysicalResourceId, props(arn, { Generation: '1' }), props(arn, { Generation: '2' }));
      const dp = (await readSecret(arn)).value as unknown as Credentials;
      expect(sha256Hex(dp.cert)).not.toBe(sha256Hex(cp.cert));

      // A real DP trusts only its own cert: no connection, no data.
      const realistic = await kongSharedHandshake(cp, dp);
      expect(realistic.received).toBeUndefined();
      expect(realistic.clientError).toBeDefined();
      expect(realistic.acceptedByCp).toBe(0);

      // Even a DP that trusts the CP's cert and checks nothing more is refused by the CP: the CP
      // does not trust its client cert and ends the connection before any data is exchanged.
      const refused = await kongSharedHandshake(cp, dp, { dpTrusts: [cp.cert], dpChecksDigest: false });
      expect(refused.received).toBeUndefined();
      expect(refused.acceptedByCp).toBe(0);
      expect(refused.serverErrors).toHaveLength(1);

      // Kong's own CP check, the digest comparison, refuses it as well.
      const byDigest = await kongSharedHandshake(cp, dp, {
        dpTrusts: [cp.cert],
        dpChecksDigest: false,
        cpRejectsUnauthorized: false,
      });
      expect(byDigest.received).toBeUndefined();
      expect(byDigest).toMatchObject({ acceptedByCp: 0, refusedByCp: 1, serverErrors: [] });

      // The same CP still accepts a DP of its own generation.
      expect((await kongSharedHandshake(cp, cp)).received).toBe('pong:ping');
    });

    test('a new SecretArn is a new resource: the new secret is filled, the old one left alone', async () => {
      const oldArn = await createSecret();
      const newArn = await createSecret();
      const before = await create(props(oldArn));
      const oldValue = await readSecret(oldArn);
      const after = await update(before.PhysicalResourceId, props(oldArn), props(newArn));
      expect(after.PhysicalResourceId).toBe(`${newArn}#cluster-certificate`);
      expect(after.Data?.Fingerprint).toBe(sha256Hex((await readSecret(newArn)).value.cert));
      expect(after.Data?.Fingerprint).not.toBe(before.Data?.Fingerprint);
      expect(await readSecret(oldArn)).toEqual(oldValue);
    });

    test('a secret without a value gets a new pair even without a property change', async () => {
      const arn = await createSecret();
      const after = await update(`${arn}#cluster-certificate`, props(arn), props(arn, { Description: 'x' }));
      expect(after.Data?.Fingerprint).toBe(sha256Hex((await readSecret(arn)).value.cert));
    });

    test('a secret edited into something else is an error that quotes none of it', async () => {
      const arn = await createSecret();
      await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'abc-not-json-s3cr3t' }));
      const failure = update(`${arn}#cluster-certificate`, props(arn), props(arn, { Description: 'x' }));
      await expect(failure).rejects.toThrow(/ClusterCertificate\.SecretArn: the secret value is not JSON/);
      await expect(failure).rejects.not.toThrow(/s3cr3t/);
    });
  });

  describe('Delete', () => {
    test('is a no-op that returns the physical id, even with unreadable properties', async () => {
      const arn = await createSecret();
      const before = await create(props(arn));
      const value = await readSecret(arn);
      const deleted = await onEvent({
        RequestType: 'Delete',
        PhysicalResourceId: before.PhysicalResourceId,
        ResourceProperties: { SecretArn: arn, ValidityDays: 'abc' },
      } as OnEventRequest);
      expect(deleted).toEqual({ PhysicalResourceId: before.PhysicalResourceId });
      expect(await readSecret(arn)).toEqual(value);
    });
  });

  describe('(d) invalid properties fail with a KongFleetError before touching the secret', () => {
    test.each(['0', 'abc', '3651', '1.5', '-3', ''])('ValidityDays %p', async (days) => {
      const arn = await createSecret();
      const failure = create(props(arn, { ValidityDays: days }));
      await expect(failure).rejects.toThrow(
        /^ClusterCertificate\.ValidityDays: certificate validity .*expected an integer from 1 to 3650/,
      );
      await expect(failure).rejects.toMatchObject({ name: 'KongFleetError', where: 'ClusterCertificate.ValidityDays' });
      expect(await versionStages(arn)).toEqual({});
    });

    test('ValidityDays on Update', async () => {
      const arn = await createSecret();
      const before = await create(props(arn));
      await expect(update(before.PhysicalResourceId, props(arn), props(arn, { ValidityDays: 'abc' }))).rejects.toThrow(
        /ClusterCertificate\.ValidityDays/,
      );
    });

    test.each([
      [
        'Mode',
        { Mode: 'acme' },
        /ClusterCertificate\.Mode: unsupported cluster certificate mode \(got "acme"; expected one of shared, shared-copy, pki, konnect\)/,
      ],
      ['Mode', { Mode: 'constructor' }, /ClusterCertificate\.Mode: unsupported/],
      ['CommonName', { CommonName: 'x'.repeat(65) }, /ClusterCertificate\.CommonName/],
      ['CommonName', { CommonName: '' }, /ClusterCertificate\.CommonName/],
      ['SecretArn', { SecretArn: 'my-secret' }, /ClusterCertificate\.SecretArn: not a Secrets Manager secret ARN/],
    ])('%s %p', async (_name, change, message) => {
      const arn = await createSecret();
      await expect(create({ ...props(arn), ...change })).rejects.toThrow(message);
    });
  });
});

describe('the esbuild bundle dist/handlers/cluster-certificate/index.js', () => {
  let workDir: string;

  beforeAll(() => {
    const built = spawnSync(process.execPath, [join(REPO, 'scripts', 'bundle-handlers.mjs')], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (built.status !== 0) throw new Error(`bundle-handlers failed:\n${built.stdout}\n${built.stderr}`);
    // Outside the repo, with no node_modules on the way up: proves the bundle is self-contained.
    workDir = mkdtempSync(join(tmpdir(), 'kong-fleet-bundle-'));
    copyFileSync(BUNDLE, join(workDir, 'index.js'));
  }, 180_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  test('runs Create in a plain Node process and fills the secret', async () => {
    const arn = await createSecret();
    const runner = [
      "const { onEvent } = require('./index.js');",
      "let input = '';",
      "process.stdin.on('data', (d) => (input += d)).on('end', () => {",
      '  onEvent(JSON.parse(input)).then(',
      "    (r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r) + '\\n'),",
      '    (e) => { console.error(e); process.exit(1); },',
      '  );',
      '});',
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', runner], {
      cwd: workDir,
      input: JSON.stringify({ RequestType: 'Create', ResourceProperties: props(arn) }),
      env: { PATH: process.env.PATH ?? '', ...moto.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // Node 20 gets the SDK's NodeVersionSupportWarning on stderr; nothing else may appear there.
    expect(
      run.stderr.replace(
        /\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?https:\/\/a\.co\/\S+\n(\(Use `node --trace-warnings[^\n]*\n)?/g,
        '',
      ),
    ).toBe('');
    expect(run.status).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const response = JSON.parse(line!.slice('RESULT '.length)) as OnEventResponse;

    const { value, versionId } = await readSecret(arn);
    expect(response.PhysicalResourceId).toBe(`${arn}#cluster-certificate`);
    expect(response.Data?.Fingerprint).toBe(sha256Hex(value.cert));
    expect(response.Data?.SecretVersionId).toBe(versionId);
    expect(new X509Certificate(value.cert).checkPrivateKey(createPrivateKey(value.key))).toBe(true);
    assertNoKeyMaterial(run.stdout, value.key);
    expect((await kongSharedHandshake(value as unknown as Credentials, value as unknown as Credentials)).received).toBe(
      'pong:ping',
    );
  });
});
