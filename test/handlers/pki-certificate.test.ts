/**
 * Integration tests of the cluster-certificate handler in pki mode against a real moto_server
 * (ACM Private CA, SSM, Secrets Manager, CloudWatch): create, update, delete and the scheduled
 * rotation, checking the issued certificates themselves (chain, EKU, SANs, P-384 keys).
 */
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { onEvent, type OnEventRequest } from '../../src/handlers/cluster-certificate';
import { pkiTiming } from '../../src/handlers/cluster-certificate/pki';
import { startMoto, type Moto } from '../support/moto';
import { createRootCa, putTrustParameter, type TestCertificateAuthority } from '../support/moto-pca';

const CLUSTER = 'cluster.kong.example.com';
const TELEMETRY = 'telemetry.kong.example.com';
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let moto: Moto;
let sm: SecretsManagerClient;
let pca: ACMPCAClient;
let ssm: SSMClient;
let ca: TestCertificateAuthority;
let logs: string[];
let counter = 0;
const PARAMETER = '/kong-fleet/test/certificate-authority-arn';

beforeAll(async () => {
  moto = await startMoto();
  sm = new SecretsManagerClient({});
  pca = new ACMPCAClient({});
  ssm = new SSMClient({});
  ca = await createRootCa(pca, 'kong-fleet test cluster CA');
  await putTrustParameter(ssm, PARAMETER, ca.arn);
  pkiTiming.pollDelayMs = 10;
}, 60_000);

afterAll(async () => {
  for (const client of [sm, pca, ssm]) client?.destroy();
  await moto?.stop();
});

let logSpy: jest.SpyInstance;
beforeEach(() => {
  logs = [];
  logSpy = jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(String(line)));
});
afterEach(() => logSpy.mockRestore());

async function newSecret(): Promise<string> {
  const out = await sm.send(new CreateSecretCommand({ Name: `kong/pki-${++counter}-${Date.now()}` }));
  return out.ARN!;
}

async function readSecret(arn: string): Promise<{ value: Record<string, string>; versionId: string }> {
  const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
  return { value: JSON.parse(out.SecretString!), versionId: out.VersionId! };
}

function cpProps(secretArn: string, extra: Record<string, string> = {}) {
  return {
    SecretArn: secretArn,
    Mode: 'pki',
    Role: 'control-plane',
    CommonName: CLUSTER,
    DnsNames: `${CLUSTER},${TELEMETRY}`,
    ValidityDays: '365',
    TrustParameter: PARAMETER,
    Label: 'control-plane',
    ...extra,
  };
}

function dpProps(secretArn: string, extra: Record<string, string> = {}) {
  return {
    SecretArn: secretArn,
    Mode: 'pki',
    Role: 'data-plane',
    CommonName: 'dp-eks-use1',
    ValidityDays: '365',
    TrustParameter: PARAMETER,
    Label: 'dp-eks-use1',
    ...extra,
  };
}

function send(RequestType: OnEventRequest['RequestType'], props: Record<string, string>, old?: Record<string, string>) {
  return onEvent({ RequestType, ResourceProperties: props, OldResourceProperties: old } as OnEventRequest);
}

function ekus(pem: string): string[] {
  return new X509Certificate(pem).keyUsage ?? [];
}

function sans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '').split(', ').filter(Boolean);
}

describe('pki mode: Create issues a certificate from the ACM Private CA named by the trust parameter', () => {
  let cp: Record<string, string>;
  let dp: Record<string, string>;
  beforeAll(async () => {
    const cpArn = await newSecret();
    const dpArn = await newSecret();
    await send('Create', cpProps(cpArn));
    await send('Create', dpProps(dpArn));
    cp = (await readSecret(cpArn)).value;
    dp = (await readSecret(dpArn)).value;
  });

  test('the secret holds exactly {cert, key, ca}', () => {
    expect(Object.keys(cp).sort()).toEqual(['ca', 'cert', 'key']);
    expect(Object.keys(dp).sort()).toEqual(['ca', 'cert', 'key']);
  });

  test('both certificates verify against the CA in the secret, which is the CA itself', () => {
    const caCert = new X509Certificate(cp.ca);
    expect(caCert.raw.equals(new X509Certificate(ca.certificate).raw)).toBe(true);
    for (const value of [cp, dp]) {
      const leaf = new X509Certificate(value.cert);
      expect(leaf.checkIssued(caCert)).toBe(true);
      expect(leaf.verify(caCert.publicKey)).toBe(true);
      expect(leaf.ca).toBe(false);
    }
  });

  test('the CP certificate is for serverAuth only, with the cluster and telemetry names as SANs', () => {
    expect(ekus(cp.cert)).toEqual([EKU_SERVER_AUTH]);
    expect(sans(cp.cert)).toEqual([`DNS:${CLUSTER}`, `DNS:${TELEMETRY}`]);
    expect(new X509Certificate(cp.cert).checkHost(CLUSTER)).toBe(CLUSTER);
  });

  test('the DP certificate is for clientAuth only', () => {
    expect(ekus(dp.cert)).toEqual([EKU_CLIENT_AUTH]);
    expect(new X509Certificate(dp.cert).subject).toContain('CN=dp-eks-use1');
  });

  test('the keys we make are EC P-384 and belong to their certificates', () => {
    for (const value of [cp, dp]) {
      const key = createPrivateKey(value.key);
      expect(key.asymmetricKeyType).toBe('ec');
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
      expect(new X509Certificate(value.cert).checkPrivateKey(key)).toBe(true);
    }
  });

  test('nothing logged contains key material', () => {
    const text = logs.join('\n');
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });
});

describe('pki mode: Update, Rotate and Delete', () => {
  test('an Update with unchanged properties keeps the certificate and the secret version', async () => {
    const arn = await newSecret();
    const created = await send('Create', dpProps(arn));
    const updated = await send('Update', dpProps(arn, { Label: 'renamed' }), dpProps(arn));
    expect(updated.Data?.Fingerprint).toBe(created.Data?.Fingerprint);
    expect(updated.Data?.SecretVersionId).toBe(created.Data?.SecretVersionId);
  });

  test('an Update that changes the DNS names re-issues with the new SANs', async () => {
    const arn = await newSecret();
    const created = await send('Create', cpProps(arn));
    const updated = await send('Update', cpProps(arn, { DnsNames: `${CLUSTER},extra.kong.example.com` }), cpProps(arn));
    expect(updated.Data?.Fingerprint).not.toBe(created.Data?.Fingerprint);
    expect(sans((await readSecret(arn)).value.cert)).toContain('DNS:extra.kong.example.com');
  });

  test('a Rotate that fires before Create has filled the secret leaves it alone', async () => {
    const arn = await newSecret();
    await send('Rotate', dpProps(arn));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(0);
    expect(logs.some((l) => l.includes('skipped: the secret has no value yet'))).toBe(true);
  });

  test('Rotate keeps a certificate that is not due and publishes its days to expiry', async () => {
    const arn = await newSecret();
    const created = await send('Create', dpProps(arn, { Label: 'metric-dp' }));
    const rotated = await send('Rotate', dpProps(arn, { Label: 'metric-dp' }));
    expect(rotated.Data?.SecretVersionId).toBe(created.Data?.SecretVersionId);
    const cw = new CloudWatchClient({});
    try {
      const metrics = await cw.send(
        new ListMetricsCommand({ Namespace: 'KongFleet', MetricName: 'ClusterCertificateDaysToExpiry' }),
      );
      const labels = (metrics.Metrics ?? []).flatMap((m) => m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`);
      expect(labels).toContain('Certificate=metric-dp');
    } finally {
      cw.destroy();
    }
  });

  test('Rotate re-issues a certificate inside the rotation window; the previous one still verifies', async () => {
    const arn = await newSecret();
    // moto always issues for 365 days: a 3650-day request with a 3649-day lead is inside the window.
    const props = dpProps(arn, { ValidityDays: '3650', RotateBeforeDays: '3649' });
    await send('Create', props);
    const before = (await readSecret(arn)).value;
    await send('Rotate', props);
    const after = (await readSecret(arn)).value;
    expect(after.cert).not.toBe(before.cert);
    expect(after.key).not.toBe(before.key);
    const caCert = new X509Certificate(after.ca);
    expect(new X509Certificate(before.cert).verify(caCert.publicKey)).toBe(true);
    expect(logs.some((l) => l.includes('"action":"issued"') && l.includes('"requestType":"Rotate"'))).toBe(true);
  });

  test('Rotate re-issues when the trust parameter names another CA (a replaced CA)', async () => {
    const other = await createRootCa(pca, 'replacement CA');
    const parameter = `/kong-fleet/test/replaced-${Date.now()}`;
    await putTrustParameter(ssm, parameter, ca.arn);
    const arn = await newSecret();
    await send('Create', dpProps(arn, { TrustParameter: parameter }));
    await putTrustParameter(ssm, parameter, other.arn);
    await send('Rotate', dpProps(arn, { TrustParameter: parameter }));
    const value = (await readSecret(arn)).value;
    expect(new X509Certificate(value.cert).checkIssued(new X509Certificate(other.certificate))).toBe(true);
  });

  test('Delete revokes the certificate and succeeds; with unreadable properties it still succeeds', async () => {
    const arn = await newSecret();
    const created = await send('Create', dpProps(arn));
    const deleted = await onEvent({
      RequestType: 'Delete',
      PhysicalResourceId: created.PhysicalResourceId,
      ResourceProperties: dpProps(arn),
    } as OnEventRequest);
    expect(deleted.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(logs.some((l) => l.includes(`revoked serial ${created.Data?.SerialNumber}`))).toBe(true);
    const broken = await onEvent({
      RequestType: 'Delete',
      PhysicalResourceId: 'x',
      ResourceProperties: { SecretArn: 'nope', Mode: 'pki' },
    } as OnEventRequest);
    expect(broken.PhysicalResourceId).toBe('x');
  });
});

describe('pki mode: failures end the request with a clear reason and leave the secret untouched', () => {
  async function expectUntouched(arn: string) {
    const described = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(Object.keys(described.VersionIdsToStages ?? {})).toHaveLength(0);
  }

  test('a CA that is not active', async () => {
    const pending = await createRootCa(pca, 'never activated', false);
    const parameter = `/kong-fleet/test/pending-${Date.now()}`;
    await putTrustParameter(ssm, parameter, pending.arn);
    const arn = await newSecret();
    await expect(send('Create', dpProps(arn, { TrustParameter: parameter }))).rejects.toThrow(
      /ClusterCertificate\.TrustParameter: the certificate authority cannot issue .*PENDING_CERTIFICATE/,
    );
    await expectUntouched(arn);
  });

  test('a trust parameter that does not hold a CA ARN', async () => {
    const parameter = `/kong-fleet/test/garbage-${Date.now()}`;
    await putTrustParameter(ssm, parameter, 'not-an-arn');
    const arn = await newSecret();
    await expect(send('Create', dpProps(arn, { TrustParameter: parameter }))).rejects.toThrow(
      /TrustParameter: does not hold an ACM Private CA ARN/,
    );
    await expectUntouched(arn);
  });

  test.each([
    [{ Role: 'server' }, /Role: is not a plane role/],
    [{ DnsNames: 'cluster..example.com' }, /DnsNames: contains a name that is not a DNS name/],
    [{ RotateBeforeDays: '365' }, /RotateBeforeDays: rotation lead time is out of range/],
    [{ TrustRegion: 'Mars' }, /TrustRegion: is not an AWS region/],
  ])('invalid property %j', async (extra, message) => {
    const arn = await newSecret();
    await expect(send('Create', cpProps(arn, extra))).rejects.toThrow(message);
    await expectUntouched(arn);
  });

  test('a control-plane certificate without DNS names', async () => {
    const arn = await newSecret();
    await expect(send('Create', cpProps(arn, { DnsNames: '' }))).rejects.toThrow(
      /needs its cluster and telemetry DNS names/,
    );
  });
});
