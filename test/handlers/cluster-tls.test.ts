/**
 * End-to-end check of the cluster-certificate handler against a real moto_server (ACM Private CA,
 * SSM, Secrets Manager, ECS, CloudWatch): the certificates the handler really issued or stored are
 * read back from Secrets Manager and used in real node:tls handshakes that emulate Kong's control
 * plane and data plane (test/support/kong-tls.ts), in pki mode, in shared mode (with its
 * coordinated rotation) and with a subordinate CA the handler activated.
 *
 * What moto cannot model, and how each case works around it, is said where it matters:
 * - moto issues every certificate valid from now for 365 days (it ignores Validity), so nothing it
 *   issues is ever expired, and a fresh certificate is put inside the rotation window with
 *   ValidityDays 3650 / RotateBeforeDays 3649;
 * - moto's CA keys are RSA-2048 whatever KeyAlgorithm says;
 * - moto applies no extensions for the SubordinateCACertificate_PathLen0/V1 template, and returns
 *   only the issuing CA's own certificate as the chain of a leaf (see the subordinate CA tests).
 */
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
  GetCertificateAuthorityCsrCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { X509Certificate } from 'node:crypto';
import { onEvent, type OnEventRequest, type OnEventResponse } from '../../src/handlers/cluster-certificate';
import { pkiTiming } from '../../src/handlers/cluster-certificate/pki';
import { createSelfSignedCertificate, type KeyAndCertificate } from '../../src/handlers/cluster-certificate/x509';
import { handshake, KONG_CLUSTER_SERVER_NAME, type HandshakeResult } from '../support/kong-tls';
import { startMoto, type Moto } from '../support/moto';
import { createRootCa, putTrustParameter, type TestCertificateAuthority } from '../support/moto-pca';
import { createTestCa, issueTestCertificate } from '../support/test-pki';

const CLUSTER = 'cluster.kong.example.com';
const TELEMETRY = 'telemetry.kong.example.com';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OTHER_REGION = 'eu-west-1';
const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const PARTITION = 'aws';
const TEMPLATE = (name: string) => `arn:${PARTITION}:acm-pca:::template/${name}`;
const ROLLOUT_TARGETS = JSON.stringify([{ type: 'ecs-service', cluster: 'c', service: 's' }]);

let moto: Moto;
let sm: SecretsManagerClient;
let smOther: SecretsManagerClient;
let pca: ACMPCAClient;
let ssm: SSMClient;
let logs: string[];
let counter = 0;

beforeAll(async () => {
  moto = await startMoto();
  sm = new SecretsManagerClient({});
  smOther = new SecretsManagerClient({ region: OTHER_REGION });
  pca = new ACMPCAClient({});
  ssm = new SSMClient({});
  pkiTiming.pollDelayMs = 10;
}, 60_000);

afterAll(async () => {
  for (const client of [sm, smOther, pca, ssm]) client?.destroy();
  await moto?.stop();
});

let logSpy: jest.SpyInstance;
beforeEach(() => {
  logs = [];
  logSpy = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void logs.push(String(line)));
});
afterEach(() => logSpy.mockRestore());

// ---------------------------------------------------------------------------------------------
// helpers

interface Stored {
  cert: string;
  key: string;
  ca?: string;
  next?: { cert: string; key: string };
  switchAt?: string;
}

function clientFor(region?: string): SecretsManagerClient {
  return region === OTHER_REGION ? smOther : sm;
}

async function newSecret(region?: string): Promise<{ arn: string; name: string }> {
  const name = `kong/cluster-tls-${++counter}-${Date.now()}`;
  const out = await clientFor(region).send(new CreateSecretCommand({ Name: name }));
  return { arn: out.ARN!, name };
}

async function readSecret(arn: string, region?: string): Promise<{ value: Stored; versionId: string }> {
  const out = await clientFor(region).send(new GetSecretValueCommand({ SecretId: arn }));
  return { value: JSON.parse(out.SecretString!), versionId: out.VersionId! };
}

async function writeSecret(arn: string, value: Stored, region?: string): Promise<void> {
  await clientFor(region).send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(value) }));
}

/**
 * Runs the handler as a Lambda in `region` would: the SDK clients it creates without a region take
 * AWS_REGION. Requests are awaited one at a time in these tests, so nothing else sees the change.
 */
async function inRegion<T>(region: string | undefined, run: () => Promise<T>): Promise<T> {
  if (!region) return run();
  const saved = process.env.AWS_REGION;
  process.env.AWS_REGION = region;
  try {
    return await run();
  } finally {
    process.env.AWS_REGION = saved;
  }
}

function send(
  RequestType: 'Create' | 'Rotate',
  props: Record<string, string>,
  region?: string,
): Promise<OnEventResponse> {
  return inRegion(region, () => onEvent({ RequestType, ResourceProperties: props } as unknown as OnEventRequest));
}

function refusal(result: HandshakeResult): string {
  expect(result.ok).toBe(false);
  return result.ok ? '' : result.reason;
}

/** The fingerprint the handler reports as Data.Fingerprint: SHA-256 of the DER, lowercase hex. */
function fingerprintOf(cert: string): string {
  return new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase();
}

function sameCertificate(a: string, b: string): boolean {
  return new X509Certificate(a).raw.equals(new X509Certificate(b).raw);
}

/** The PEM certificates of a bundle. */
function pems(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function bundleContains(bundle: string, cert: string): boolean {
  return pems(bundle).some((pem) => sameCertificate(pem, cert));
}

function logEntries(): Array<Record<string, unknown>> {
  return logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

function rolloutLines(): string[] {
  return logs.filter((line) => line.includes('"rollout":'));
}

// ---------------------------------------------------------------------------------------------
// pki

describe('pki mode: handshakes with the certificates the handler issued from ACM Private CA', () => {
  const PARAMETER = '/kong-fleet/tls-test/ca-arn';
  let ca: TestCertificateAuthority;
  let cp: Stored;
  let dp: Stored;

  function cpProps(secretArn: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      SecretArn: secretArn,
      Mode: 'pki',
      Role: 'control-plane',
      CommonName: CLUSTER,
      DnsNames: `${CLUSTER},${TELEMETRY}`,
      ValidityDays: '365',
      TrustParameter: PARAMETER,
      Label: 'tls-control-plane',
      ...extra,
    };
  }

  function dpProps(secretArn: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      SecretArn: secretArn,
      Mode: 'pki',
      Role: 'data-plane',
      CommonName: 'dp-eks-use1',
      ValidityDays: '365',
      TrustParameter: PARAMETER,
      Label: 'tls-data-plane',
      ...extra,
    };
  }

  async function issued(props: Record<string, string>): Promise<Stored> {
    await send('Create', props);
    return (await readSecret(props.SecretArn)).value;
  }

  beforeAll(async () => {
    ca = await createRootCa(pca, 'kong-fleet tls test cluster CA');
    await putTrustParameter(ssm, PARAMETER, ca.arn);
    const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      cp = await issued(cpProps((await newSecret()).arn));
      dp = await issued(dpProps((await newSecret()).arn));
    } finally {
      quiet.mockRestore();
    }
  });

  test.each([CLUSTER, TELEMETRY])(
    'CP and DP with their issued certificates and CA connect (server name %s)',
    async (name) => {
      expect(sameCertificate(cp.ca!, ca.certificate)).toBe(true);
      const result = await handshake(
        { mode: 'pki', cert: cp.cert, key: cp.key, ca: cp.ca },
        { mode: 'pki', cert: dp.cert, key: dp.key, ca: dp.ca, serverName: name },
      );
      expect(result).toEqual({ ok: true });
    },
  );

  test('FAIL: a DP certificate issued by another ACM Private CA is refused by the CP', async () => {
    const other = await createRootCa(pca, 'kong-fleet tls test other CA');
    const parameter = '/kong-fleet/tls-test/other-ca-arn';
    await putTrustParameter(ssm, parameter, other.arn);
    const stranger = await issued(dpProps((await newSecret()).arn, { TrustParameter: parameter }));
    expect(sameCertificate(stranger.ca!, other.certificate)).toBe(true);

    const result = await handshake(
      { mode: 'pki', cert: cp.cert, key: cp.key, ca: cp.ca },
      // Same everything else: the DP still trusts the fleet's CA for the CP certificate.
      { mode: 'pki', cert: stranger.cert, key: stranger.key, ca: dp.ca, serverName: CLUSTER },
    );
    expect(refusal(result)).toMatch(
      /data plane certificate rejected: (UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
    );
  });

  test('FAIL: an expired DP certificate is refused; an in-date one from the same CA is accepted', async () => {
    // moto cannot backdate: it issues every certificate valid from now for 365 days whatever the
    // request says, so no certificate it issues is expired. The expired client certificate
    // therefore comes from a local P-384 test CA, which this CP trusts (`ca`) instead of the moto
    // CA. The CP's own certificate and key are still those the handler issued, and the DP still
    // verifies them against the `ca` from its own secret. The in-date certificate of the same
    // local CA passes the very same set-up, so expiry is the only difference.
    const now = Date.now();
    const local = await createTestCa({
      commonName: 'kong-fleet local test CA',
      notBefore: new Date(now - 60 * DAY_MS),
      notAfter: new Date(now + 30 * DAY_MS),
    });
    const expired = await issueTestCertificate(local, {
      commonName: 'dp-expired',
      eku: ['clientAuth'],
      notBefore: new Date(now - 40 * DAY_MS),
      notAfter: new Date(now - 10 * DAY_MS),
    });
    const inDate = await issueTestCertificate(local, { commonName: 'dp-in-date', eku: ['clientAuth'] });
    const controlPlane = { mode: 'pki' as const, cert: cp.cert, key: cp.key, ca: local.cert };

    const refused = await handshake(controlPlane, {
      mode: 'pki',
      ...expired,
      ca: dp.ca,
      serverName: CLUSTER,
    });
    expect(refusal(refused)).toContain('data plane certificate rejected: CERT_HAS_EXPIRED');

    const accepted = await handshake(controlPlane, { mode: 'pki', ...inDate, ca: dp.ca, serverName: CLUSTER });
    expect(accepted).toEqual({ ok: true });
  });

  test('FAIL: a server name that is not a SAN of the CP certificate', async () => {
    const result = await handshake(
      { mode: 'pki', cert: cp.cert, key: cp.key, ca: cp.ca },
      { mode: 'pki', cert: dp.cert, key: dp.key, ca: dp.ca, serverName: 'other.kong.example.com' },
    );
    expect(refusal(result)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('FAIL: the DP client certificate (EKU clientAuth only) as the CP server certificate', async () => {
    expect(new X509Certificate(dp.cert).keyUsage).toEqual([EKU_CLIENT_AUTH]);
    const plain = await handshake(
      { mode: 'pki', cert: dp.cert, key: dp.key, ca: cp.ca },
      { mode: 'pki', cert: dp.cert, key: dp.key, ca: dp.ca, serverName: CLUSTER },
    );
    expect(refusal(plain)).toMatch(/^INVALID_PURPOSE: /);

    // Even a data-plane certificate that names the cluster host: only the EKU differs from the CP's.
    const named = await issued(dpProps((await newSecret()).arn, { CommonName: CLUSTER, DnsNames: CLUSTER }));
    expect(new X509Certificate(named.cert).keyUsage).toEqual([EKU_CLIENT_AUTH]);
    expect(new X509Certificate(named.cert).checkHost(CLUSTER)).toBe(CLUSTER);
    const result = await handshake(
      { mode: 'pki', cert: named.cert, key: named.key, ca: cp.ca },
      { mode: 'pki', cert: dp.cert, key: dp.key, ca: dp.ca, serverName: CLUSTER },
    );
    const reason = refusal(result);
    expect(reason).toMatch(/^INVALID_PURPOSE: /);
    expect(reason).not.toContain('control plane:');
  });

  test('FAIL: a DP without a client certificate', async () => {
    const result = await handshake(
      { mode: 'pki', cert: cp.cert, key: cp.key, ca: cp.ca },
      { mode: 'pki', ca: dp.ca, serverName: CLUSTER },
    );
    expect(refusal(result)).toContain('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  test('Rotate re-issues DP and CP certificates; the new ones connect and the old DP certificate is still accepted', async () => {
    // moto issues 365-day certificates whatever is asked: a 3650-day request with a 3649-day lead
    // puts a fresh certificate inside the rotation window.
    const window = { ValidityDays: '3650', RotateBeforeDays: '3649' };
    const cpArn = (await newSecret()).arn;
    const dpArn = (await newSecret()).arn;
    const cp0 = await issued(cpProps(cpArn, window));
    const dp0 = await issued(dpProps(dpArn, window));
    const connect = (server: Stored, client: Stored) =>
      handshake(
        { mode: 'pki', cert: server.cert, key: server.key, ca: server.ca },
        { mode: 'pki', cert: client.cert, key: client.key, ca: client.ca, serverName: CLUSTER },
      );
    expect(await connect(cp0, dp0)).toEqual({ ok: true });

    await send('Rotate', dpProps(dpArn, window));
    const dp1 = (await readSecret(dpArn)).value;
    expect(dp1.cert).not.toBe(dp0.cert);
    expect(dp1.key).not.toBe(dp0.key);
    expect(await connect(cp0, dp1)).toEqual({ ok: true });
    // A data plane that has not rolled yet keeps connecting until its certificate expires.
    expect(await connect(cp0, dp0)).toEqual({ ok: true });

    await send('Rotate', cpProps(cpArn, window));
    const cp1 = (await readSecret(cpArn)).value;
    expect(cp1.cert).not.toBe(cp0.cert);
    expect(await connect(cp1, dp1)).toEqual({ ok: true });
    expect(await connect(cp1, dp0)).toEqual({ ok: true });
  });
});

// ---------------------------------------------------------------------------------------------
// shared

interface Fleet {
  /** The shared secret (Mode shared) and the region its handler runs in (undefined: us-east-1). */
  readonly primary: { readonly arn: string; readonly region?: string; readonly props: Record<string, string> };
  /** A plane's copy (Mode shared-copy), in us-east-1. */
  readonly copy: { readonly arn: string; readonly props: Record<string, string> };
}

/**
 * A shared secret and one plane's copy, both created. `cross-region`: the shared secret lives in
 * eu-west-1 (its handler runs there) and the copy names it by ARN with SourceRegion; `same-region`:
 * both in us-east-1 and the copy names the shared secret by name.
 */
async function newFleet(
  kind: 'same-region' | 'cross-region',
  extra: Record<string, string> = {},
): Promise<{ fleet: Fleet; primary: Stored; copy: Stored }> {
  const region = kind === 'cross-region' ? OTHER_REGION : undefined;
  const primarySecret = await newSecret(region);
  const copySecret = await newSecret();
  const fleet: Fleet = {
    primary: {
      arn: primarySecret.arn,
      region,
      props: { SecretArn: primarySecret.arn, Mode: 'shared', ValidityDays: '30', RotateBeforeDays: '15', ...extra },
    },
    copy: {
      arn: copySecret.arn,
      props: {
        SecretArn: copySecret.arn,
        Mode: 'shared-copy',
        ...(kind === 'cross-region'
          ? { SourceSecret: primarySecret.arn, SourceRegion: OTHER_REGION }
          : { SourceSecret: primarySecret.name }),
        ...extra,
      },
    },
  };
  await send('Create', fleet.primary.props, region);
  await send('Create', fleet.copy.props);
  return { fleet, primary: await readPrimary(fleet), copy: await readCopy(fleet) };
}

const rotatePrimary = (fleet: Fleet) => send('Rotate', fleet.primary.props, fleet.primary.region);
const rotateCopy = (fleet: Fleet) => send('Rotate', fleet.copy.props);
const readPrimary = async (fleet: Fleet) => (await readSecret(fleet.primary.arn, fleet.primary.region)).value;
const readCopy = async (fleet: Fleet) => (await readSecret(fleet.copy.arn)).value;

/** A gen_cert-style pair made `ageDays` ago with a 30-day validity. */
function pairMadeDaysAgo(ageDays: number): Promise<KeyAndCertificate> {
  return createSelfSignedCertificate({
    commonName: 'kong_clustering',
    curve: 'P-384',
    validityDays: 30,
    dnsNames: [KONG_CLUSTER_SERVER_NAME],
    now: new Date(Date.now() - ageDays * DAY_MS),
  });
}

/** Kong in shared mode: the CP with `server`'s pair, a DP with `client`'s pair. */
function sharedHandshake(server: Stored, client: Stored): Promise<HandshakeResult> {
  return handshake(
    { mode: 'shared', cert: server.cert, key: server.key },
    { mode: 'shared', cert: client.cert, key: client.key, serverName: KONG_CLUSTER_SERVER_NAME },
  );
}

/**
 * Both refusals of a DP whose pair is not the CP's: the DP itself refuses the CP certificate (it
 * trusts only its own), and — seen with a DP told to trust the CP's certificate — the CP refuses
 * the DP's digest.
 */
async function expectPairMismatch(server: Stored, client: Stored): Promise<void> {
  expect(refusal(await sharedHandshake(server, client))).toMatch(/^DEPTH_ZERO_SELF_SIGNED_CERT: /);
  const trusting = await handshake(
    { mode: 'shared', cert: server.cert, key: server.key },
    { mode: 'shared', cert: client.cert, key: client.key, ca: server.cert, serverName: KONG_CLUSTER_SERVER_NAME },
  );
  expect(refusal(trusting)).toContain('data plane certificate digest does not match');
}

/**
 * A fleet whose shared secret and copy hold a pair 20 days into its 30-day life (inside the
 * 15-day rotation window); the copy took it from the shared secret on its scheduled check.
 */
async function fleetWithPairDue(
  kind: 'same-region' | 'cross-region',
  extra: Record<string, string> = {},
): Promise<{ fleet: Fleet; old: KeyAndCertificate }> {
  const { fleet } = await newFleet(kind, extra);
  const old = await pairMadeDaysAgo(20);
  await writeSecret(fleet.primary.arn, { cert: old.cert, key: old.key }, fleet.primary.region);
  await rotateCopy(fleet);
  expect((await readCopy(fleet)).cert).toBe(old.cert);
  return { fleet, old };
}

/** Moves the staged switch of the shared secret into the past. */
async function makeSwitchDue(fleet: Fleet): Promise<void> {
  const value = await readPrimary(fleet);
  expect(value.next).toBeDefined();
  await writeSecret(
    fleet.primary.arn,
    { ...value, switchAt: new Date(Date.now() - MINUTE_MS).toISOString() },
    fleet.primary.region,
  );
}

describe('shared mode: handshakes with the shared pair and a plane copy of it', () => {
  test.each(['same-region', 'cross-region'] as const)(
    '(%s) after Create the copy holds the shared pair, and CP and DP connect',
    async (kind) => {
      const { fleet, primary, copy } = await newFleet(kind);
      if (kind === 'cross-region') {
        // The copy really read across regions: the shared secret does not exist in us-east-1.
        await expect(sm.send(new GetSecretValueCommand({ SecretId: fleet.primary.arn }))).rejects.toThrow();
        expect(fleet.primary.arn).toContain(`:secretsmanager:${OTHER_REGION}:`);
      }
      expect(Object.keys(copy).sort()).toEqual(['cert', 'key']);
      expect(copy.cert).toBe(primary.cert);
      expect(copy.key).toBe(primary.key);
      expect(await sharedHandshake(primary, copy)).toEqual({ ok: true });
    },
  );

  test('(cross-region) Rotate of a pair that is due stages the next pair; the copy keeps the current one', async () => {
    const { fleet, old } = await fleetWithPairDue('cross-region');
    const before = Date.now();
    const rotated = await rotatePrimary(fleet);
    const after = Date.now();

    const primary = await readPrimary(fleet);
    expect(Object.keys(primary).sort()).toEqual(['cert', 'key', 'next', 'switchAt']);
    expect(primary.cert).toBe(old.cert);
    expect(primary.key).toBe(old.key);
    expect(primary.next!.cert).not.toBe(old.cert);
    expect(new X509Certificate(primary.next!.cert).checkHost(KONG_CLUSTER_SERVER_NAME)).toBe(KONG_CLUSTER_SERVER_NAME);
    expect(rotated.Data?.Fingerprint).toBe(fingerprintOf(old.cert));
    expect(logEntries()).toContainEqual(expect.objectContaining({ requestType: 'Rotate', action: 'staged' }));

    // An ISO time on a quarter hour, at least 60 minutes ahead (at most 75).
    const switchAt = Date.parse(primary.switchAt!);
    expect(new Date(switchAt).toISOString()).toBe(primary.switchAt);
    expect(switchAt % (15 * MINUTE_MS)).toBe(0);
    expect(switchAt).toBeGreaterThanOrEqual(before + 60 * MINUTE_MS);
    expect(switchAt).toBeLessThanOrEqual(after + 75 * MINUTE_MS);

    // A second check before the switch time changes nothing.
    const { versionId } = await readSecret(fleet.primary.arn, fleet.primary.region);
    await rotatePrimary(fleet);
    expect((await readSecret(fleet.primary.arn, fleet.primary.region)).versionId).toBe(versionId);

    const copyVersion = (await readSecret(fleet.copy.arn)).versionId;
    await rotateCopy(fleet);
    const copy = await readSecret(fleet.copy.arn);
    expect(copy.versionId).toBe(copyVersion);
    expect(copy.value).toEqual({ cert: old.cert, key: old.key });

    expect(await sharedHandshake(primary, copy.value)).toEqual({ ok: true });
  });

  test('(cross-region) at the switch time the copy (first) and the shared secret take the staged pair; FAIL: an old DP against the new CP', async () => {
    const { fleet, old } = await fleetWithPairDue('cross-region');
    await rotatePrimary(fleet);
    const next = (await readPrimary(fleet)).next!;
    await makeSwitchDue(fleet);

    await rotateCopy(fleet);
    const copy = await readCopy(fleet);
    expect(copy).toEqual({ cert: next.cert, key: next.key });
    // Until the shared secret's own check runs, the CP still serves the old pair.
    await expectPairMismatch(old, copy);

    await rotatePrimary(fleet);
    const primary = await readPrimary(fleet);
    expect(primary).toEqual({ cert: next.cert, key: next.key });

    expect(await sharedHandshake(primary, copy)).toEqual({ ok: true });
    // The documented short mismatch window of shared mode: a DP that has not switched yet is refused.
    await expectPairMismatch(primary, old);
  });

  test('(same-region) an expired shared pair is replaced at once by Rotate, without staging', async () => {
    const { fleet } = await newFleet('same-region');
    const expired = await pairMadeDaysAgo(40);
    expect(Date.parse(new X509Certificate(expired.cert).validTo)).toBeLessThan(Date.now());
    await writeSecret(fleet.primary.arn, { cert: expired.cert, key: expired.key });

    await rotatePrimary(fleet);
    const primary = await readPrimary(fleet);
    expect(Object.keys(primary).sort()).toEqual(['cert', 'key']);
    expect(primary.cert).not.toBe(expired.cert);
    expect(Date.parse(new X509Certificate(primary.cert).validTo)).toBeGreaterThan(Date.now() + 29 * DAY_MS);
    expect(logEntries()).toContainEqual(expect.objectContaining({ requestType: 'Rotate', action: 'issued' }));

    await rotateCopy(fleet);
    const copy = await readCopy(fleet);
    expect(copy.cert).toBe(primary.cert);
    expect(await sharedHandshake(primary, copy)).toEqual({ ok: true });
  });

  test('(same-region) RolloutTargets are acted on only by a Rotate that changed the certificate', async () => {
    const { fleet } = await newFleet('same-region', { RolloutTargets: ROLLOUT_TARGETS });
    expect(rolloutLines()).toEqual([]);

    // Nothing due: neither check changes anything.
    logs.length = 0;
    await rotatePrimary(fleet);
    await rotateCopy(fleet);
    expect(logEntries().filter((entry) => entry.action === 'kept')).toHaveLength(2);
    expect(rolloutLines()).toEqual([]);

    // The pair becomes due: the shared secret is rewritten with a staged pair, the certificate is
    // the same, so still no rollout (the copy's own first sync is not under test here).
    const old = await pairMadeDaysAgo(20);
    await writeSecret(fleet.primary.arn, { cert: old.cert, key: old.key });
    await writeSecret(fleet.copy.arn, { cert: old.cert, key: old.key });
    await rotatePrimary(fleet);
    expect((await readPrimary(fleet)).next).toBeDefined();
    await rotateCopy(fleet);
    expect(rolloutLines()).toEqual([]);

    // The switch: the service does not exist in moto, so the rollout fails, and the Rotate succeeds.
    await makeSwitchDue(fleet);
    const next = (await readPrimary(fleet)).next!;
    const copyRotated = await rotateCopy(fleet);
    expect((await readCopy(fleet)).cert).toBe(next.cert);
    expect(copyRotated.Data?.Fingerprint).toBe(fingerprintOf(next.cert));
    let lines = rolloutLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"rollout":"ecs-service c/s"');
    expect(lines[0]).toContain('"ok":false');

    logs.length = 0;
    await expect(rotatePrimary(fleet)).resolves.toEqual(
      expect.objectContaining({ PhysicalResourceId: expect.any(String) }),
    );
    expect((await readPrimary(fleet)).cert).toBe(next.cert);
    lines = rolloutLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"rollout":"ecs-service c/s"');
    expect(lines[0]).toContain('"ok":false');
  });
});

// ---------------------------------------------------------------------------------------------
// subordinate CA activation

describe('subordinate CA activation (Custom::KongCertificateAuthorityActivation)', () => {
  let root: TestCertificateAuthority;

  beforeAll(async () => {
    root = await createRootCa(pca, 'kong-fleet tls test root of subordinates');
  });

  async function createSubordinate(commonName: string): Promise<{ arn: string; csr: string }> {
    const created = await pca.send(
      new CreateCertificateAuthorityCommand({
        CertificateAuthorityType: 'SUBORDINATE',
        CertificateAuthorityConfiguration: {
          KeyAlgorithm: 'EC_secp384r1',
          SigningAlgorithm: 'SHA384WITHECDSA',
          Subject: { CommonName: commonName, Organization: 'kong-fleet tests' },
        },
      }),
    );
    const arn = created.CertificateAuthorityArn!;
    const csr = await pca.send(new GetCertificateAuthorityCsrCommand({ CertificateAuthorityArn: arn }));
    return { arn, csr: csr.Csr! };
  }

  async function issueCaCertificate(parentArn: string, csr: string, template: string): Promise<string> {
    const issued = await pca.send(
      new IssueCertificateCommand({
        CertificateAuthorityArn: parentArn,
        Csr: Buffer.from(csr, 'utf8'),
        SigningAlgorithm: 'SHA384WITHECDSA',
        TemplateArn: TEMPLATE(template),
        Validity: { Type: 'YEARS', Value: 5 },
      }),
    );
    const out = await pca.send(
      new GetCertificateCommand({ CertificateAuthorityArn: parentArn, CertificateArn: issued.CertificateArn }),
    );
    return out.Certificate!;
  }

  function activate(arn: string, parentArn: string, certificate: string): Promise<OnEventResponse> {
    return onEvent({
      RequestType: 'Create',
      ResourceType: 'Custom::KongCertificateAuthorityActivation',
      ResourceProperties: {
        CertificateAuthorityArn: arn,
        ParentCertificateAuthorityArn: parentArn,
        Certificate: certificate,
      },
    } as unknown as OnEventRequest);
  }

  async function status(arn: string): Promise<string | undefined> {
    const out = await pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: arn }));
    return out.CertificateAuthority?.Status;
  }

  async function pkiSecret(parameter: string, props: Record<string, string>): Promise<Stored> {
    const { arn } = await newSecret();
    await send('Create', {
      SecretArn: arn,
      Mode: 'pki',
      ValidityDays: '365',
      TrustParameter: parameter,
      ...props,
    });
    return (await readSecret(arn)).value;
  }

  test('activates a subordinate CA the parent issued; the subordinate then issues pki certificates', async () => {
    const sub = await createSubordinate('kong-fleet tls test subordinate CA');
    expect(await status(sub.arn)).toBe('PENDING_CERTIFICATE');
    const certificate = await issueCaCertificate(root.arn, sub.csr, 'SubordinateCACertificate_PathLen0/V1');

    const response = await activate(sub.arn, root.arn, certificate);
    expect(response.PhysicalResourceId).toBe(sub.arn);
    expect(await status(sub.arn)).toBe('ACTIVE');
    const imported = await pca.send(
      new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: sub.arn }),
    );
    expect(sameCertificate(imported.Certificate!, certificate)).toBe(true);
    // The handler imported the parent's chain with it.
    expect(bundleContains(imported.CertificateChain ?? '', root.certificate)).toBe(true);

    const parameter = '/kong-fleet/tls-test/subordinate-ca-arn';
    await putTrustParameter(ssm, parameter, sub.arn);
    const dp = await pkiSecret(parameter, { Role: 'data-plane', CommonName: 'dp-sub' });
    expect(bundleContains(dp.ca!, certificate)).toBe(true);
    const leaf = new X509Certificate(dp.cert);
    const subCert = new X509Certificate(certificate);
    expect(leaf.checkIssued(subCert)).toBe(true);
    expect(leaf.verify(subCert.publicKey)).toBe(true);
  });

  test('pki handshake with CP and DP certificates issued by an activated subordinate CA', async () => {
    // moto does not model the SubordinateCACertificate_PathLen0/V1 template: it puts no extension
    // in the certificate (no basicConstraints CA:TRUE, no keyUsage keyCertSign), so OpenSSL refuses
    // it as an issuer (the handshake fails with INVALID_PURPOSE). RootCACertificate/V1 is the only
    // moto template that makes a CA certificate; issued by the root from the subordinate's CSR it
    // has the subject, issuer and key of a real subordinate certificate, with CA:TRUE. The
    // activation and the issuance through pki mode are the same as in the test above.
    const sub = await createSubordinate('kong-fleet tls test subordinate CA (handshake)');
    const certificate = await issueCaCertificate(root.arn, sub.csr, 'RootCACertificate/V1');
    expect(new X509Certificate(certificate).checkIssued(new X509Certificate(root.certificate))).toBe(true);
    await activate(sub.arn, root.arn, certificate);
    expect(await status(sub.arn)).toBe('ACTIVE');

    const parameter = '/kong-fleet/tls-test/subordinate-handshake-ca-arn';
    await putTrustParameter(ssm, parameter, sub.arn);
    const cp = await pkiSecret(parameter, {
      Role: 'control-plane',
      CommonName: CLUSTER,
      DnsNames: `${CLUSTER},${TELEMETRY}`,
    });
    const dp = await pkiSecret(parameter, { Role: 'data-plane', CommonName: 'dp-sub' });
    expect(bundleContains(cp.ca!, certificate)).toBe(true);
    expect(bundleContains(dp.ca!, certificate)).toBe(true);

    // ACM Private CA returns a leaf's chain up to the root (the issuing CA's certificate and its
    // own chain); moto returns only the issuing CA's certificate, and OpenSSL, like Kong, needs
    // the root in cluster_ca_cert (with the moto chain alone the handshake fails with
    // UNABLE_TO_GET_ISSUER_CERT). Complete the bundle with the chain ACM PCA would add: the one
    // the activation imported.
    const imported = await pca.send(
      new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: sub.arn }),
    );
    const trust = (ca: string) =>
      bundleContains(ca, root.certificate) ? ca : `${ca.trimEnd()}\n${imported.CertificateChain ?? ''}`;

    const result = await handshake(
      { mode: 'pki', cert: cp.cert, key: cp.key, ca: trust(cp.ca!) },
      { mode: 'pki', cert: dp.cert, key: dp.key, ca: trust(dp.ca!), serverName: CLUSTER },
    );
    expect(result).toEqual({ ok: true });
  });

  test('FAIL: a certificate not issued by the parent is refused and the CA stays PENDING_CERTIFICATE', async () => {
    const stranger = await createRootCa(pca, 'kong-fleet tls test unrelated root');
    const sub = await createSubordinate('kong-fleet tls test orphan subordinate CA');
    const certificate = await issueCaCertificate(stranger.arn, sub.csr, 'SubordinateCACertificate_PathLen0/V1');

    await expect(activate(sub.arn, root.arn, certificate)).rejects.toThrow(/was not issued by the parent CA/);
    expect(await status(sub.arn)).toBe('PENDING_CERTIFICATE');
  });
});
