import { createSelfSignedCertificate } from '../../src/handlers/cluster-certificate/x509';
import {
  connectDataPlane,
  ControlPlaneListener,
  ControlPlaneOptions,
  handshake,
  KONG_CLUSTER_SERVER_NAME,
  KONG_PKI_VERIFY_DEPTH,
  startControlPlaneListener,
} from '../support/kong-tls';
import { createTestCa, issueTestCertificate, TestCa, TestKeyAndCertificate } from '../support/test-pki';

const CLUSTER_NAME = 'cluster.kong.example.com';
const TELEMETRY_NAME = 'telemetry.kong.example.com';
const DAY_MS = 24 * 60 * 60 * 1000;

const listeners: ControlPlaneListener[] = [];

async function listen(opts: ControlPlaneOptions): Promise<ControlPlaneListener> {
  const listener = await startControlPlaneListener(opts);
  listeners.push(listener);
  return listener;
}

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

function expectFailure(result: { ok: boolean; reason?: string }): string {
  expect(result.ok).toBe(false);
  expect(result.reason).toEqual(expect.any(String));
  expect(result.reason).not.toBe('');
  return result.reason as string;
}

describe('pki mode (cluster_mtls=pki)', () => {
  let ca: TestCa;
  let controlPlane: TestKeyAndCertificate;
  let dataPlane: TestKeyAndCertificate;

  beforeAll(async () => {
    ca = await createTestCa({ commonName: 'Kong Test Cluster CA' });
    controlPlane = await issueTestCertificate(ca, {
      commonName: CLUSTER_NAME,
      dnsNames: [CLUSTER_NAME, TELEMETRY_NAME],
      eku: ['serverAuth'],
    });
    dataPlane = await issueTestCertificate(ca, { commonName: 'kong-dp', eku: ['clientAuth'] });
  });

  const cpOptions = (): ControlPlaneOptions => ({ mode: 'pki', ...controlPlane, ca: ca.cert });

  it('accepts a DP certificate from cluster_ca_cert with cluster_server_name as the server name', async () => {
    const result = await handshake(cpOptions(), { mode: 'pki', ...dataPlane, ca: ca.cert, serverName: CLUSTER_NAME });
    expect(result).toEqual({ ok: true });
  });

  it('accepts the telemetry name, the second SAN of the CP certificate', async () => {
    const result = await handshake(cpOptions(), { mode: 'pki', ...dataPlane, ca: ca.cert, serverName: TELEMETRY_NAME });
    expect(result).toEqual({ ok: true });
  });

  it('accepts leaves issued by an intermediate when the CA bundle holds root and intermediate', async () => {
    const root = await createTestCa({ commonName: 'Kong Test Root CA' });
    const intermediate = await createTestCa({ commonName: 'Kong Test Intermediate CA', parent: root });
    const cp = await issueTestCertificate(intermediate, {
      commonName: CLUSTER_NAME,
      dnsNames: [CLUSTER_NAME],
      eku: ['serverAuth'],
    });
    const dp = await issueTestCertificate(intermediate, { commonName: 'kong-dp', eku: ['clientAuth'] });
    const bundle = root.cert + intermediate.cert;

    const result = await handshake(
      { mode: 'pki', ...cp, ca: bundle },
      { mode: 'pki', ...dp, ca: bundle, serverName: CLUSTER_NAME },
    );
    expect(result).toEqual({ ok: true });
  });

  it(`accepts ${KONG_PKI_VERIFY_DEPTH} intermediates under a DP leaf and rejects one more (verify depth ${KONG_PKI_VERIFY_DEPTH})`, async () => {
    const root = await createTestCa({ commonName: 'Kong Test Root CA' });
    const intermediates: TestCa[] = [];
    for (let i = 1; i <= KONG_PKI_VERIFY_DEPTH + 1; i++) {
      intermediates.push(
        await createTestCa({ commonName: `Kong Test Intermediate ${i}`, parent: intermediates.at(-1) ?? root }),
      );
    }
    const cp = await issueTestCertificate(root, {
      commonName: CLUSTER_NAME,
      dnsNames: [CLUSTER_NAME],
      eku: ['serverAuth'],
    });
    const deepest = intermediates[intermediates.length - 1];
    const allowed = intermediates[KONG_PKI_VERIFY_DEPTH - 1];
    const dpAllowed = await issueTestCertificate(allowed, { commonName: 'kong-dp', eku: ['clientAuth'] });
    const dpTooDeep = await issueTestCertificate(deepest, { commonName: 'kong-dp', eku: ['clientAuth'] });
    // The DPs send their whole chain; the CP trusts only the root.
    const listener = await listen({ mode: 'pki', ...cp, ca: root.cert });

    const ok = await connectDataPlane({
      mode: 'pki',
      port: listener.port,
      cert: dpAllowed.cert + allowed.chain,
      key: dpAllowed.key,
      ca: root.cert,
      serverName: CLUSTER_NAME,
    });
    expect(ok).toEqual({ ok: true });

    const tooDeep = await connectDataPlane({
      mode: 'pki',
      port: listener.port,
      cert: dpTooDeep.cert + deepest.chain,
      key: dpTooDeep.key,
      ca: root.cert,
      serverName: CLUSTER_NAME,
    });
    expectFailure(tooDeep);
    expect(listener.rejections).toEqual([expect.stringContaining('chain too deep')]);
  });

  it('rejects a DP certificate issued by another CA', async () => {
    const otherCa = await createTestCa({ commonName: 'Some Other CA' });
    const stranger = await issueTestCertificate(otherCa, { commonName: 'kong-dp', eku: ['clientAuth'] });
    const result = await handshake(cpOptions(), { mode: 'pki', ...stranger, ca: ca.cert, serverName: CLUSTER_NAME });
    expect(expectFailure(result)).toContain('data plane certificate rejected: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects an expired DP certificate', async () => {
    const now = Date.now();
    const expired = await issueTestCertificate(ca, {
      commonName: 'kong-dp',
      eku: ['clientAuth'],
      notBefore: new Date(now - 2 * DAY_MS),
      notAfter: new Date(now - DAY_MS),
    });
    const result = await handshake(cpOptions(), { mode: 'pki', ...expired, ca: ca.cert, serverName: CLUSTER_NAME });
    expect(expectFailure(result)).toContain('data plane certificate rejected: CERT_HAS_EXPIRED');
  });

  it('rejects a server name that is not a SAN of the CP certificate', async () => {
    const result = await handshake(cpOptions(), {
      mode: 'pki',
      ...dataPlane,
      ca: ca.cert,
      serverName: 'other.kong.example.com',
    });
    expect(expectFailure(result)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('rejects a clientAuth-only certificate as the CP server certificate (EKU)', async () => {
    // Same CA and SANs as the good CP certificate: only the EKU differs.
    const clientOnly = await issueTestCertificate(ca, {
      commonName: CLUSTER_NAME,
      dnsNames: [CLUSTER_NAME],
      eku: ['clientAuth'],
    });
    const result = await handshake(
      { mode: 'pki', ...clientOnly, ca: ca.cert },
      { mode: 'pki', ...dataPlane, ca: ca.cert, serverName: CLUSTER_NAME },
    );
    // The DP refuses the CP (OpenSSL purpose sslserver); the CP has nothing to object to.
    const reason = expectFailure(result);
    expect(reason).toMatch(/^INVALID_PURPOSE: /);
    expect(reason).not.toContain('control plane:');
  });

  it('rejects a serverAuth-only certificate as the DP client certificate (EKU)', async () => {
    const serverOnly = await issueTestCertificate(ca, { commonName: 'kong-dp', eku: ['serverAuth'] });
    const listener = await listen(cpOptions());
    const result = await connectDataPlane({
      mode: 'pki',
      port: listener.port,
      ...serverOnly,
      ca: ca.cert,
      serverName: CLUSTER_NAME,
    });
    expectFailure(result);
    await listener.close();
    // The CP refuses the DP (OpenSSL purpose sslclient).
    expect(listener.rejections).toEqual([expect.stringContaining('data plane certificate rejected: INVALID_PURPOSE')]);
    expect(listener.acceptedCount).toBe(0);
  });

  it('rejects a DP that presents no client certificate', async () => {
    const result = await handshake(cpOptions(), { mode: 'pki', ca: ca.cert, serverName: CLUSTER_NAME });
    expect(expectFailure(result)).toContain('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });
});

describe('shared mode (cluster_mtls=shared)', () => {
  let pair: TestKeyAndCertificate;

  beforeAll(async () => {
    pair = await createSelfSignedCertificate({
      commonName: 'kong_clustering',
      curve: 'P-384',
      validityDays: 1095,
      dnsNames: ['kong_clustering'],
    });
  });

  it('accepts the same self-signed pair on both sides with server name kong_clustering', async () => {
    const result = await handshake(
      { mode: 'shared', ...pair },
      { mode: 'shared', ...pair, serverName: KONG_CLUSTER_SERVER_NAME },
    );
    expect(result).toEqual({ ok: true });
  });

  it('rejects a DP presenting a different pair: the CP digest check refuses it', async () => {
    const otherPair = await createSelfSignedCertificate({
      commonName: 'kong_clustering',
      curve: 'P-384',
      validityDays: 1095,
      dnsNames: ['kong_clustering'],
    });
    const listener = await listen({ mode: 'shared', ...pair });
    // The DP trusts the CP's certificate, so the client side has nothing to object to.
    const result = await connectDataPlane({
      mode: 'shared',
      port: listener.port,
      ...otherPair,
      ca: pair.cert,
      serverName: KONG_CLUSTER_SERVER_NAME,
    });
    expectFailure(result);
    expect(listener.rejections).toEqual([expect.stringContaining('digest does not match')]);
  });

  it('rejects a DP that presents no client certificate', async () => {
    const listener = await listen({ mode: 'shared', ...pair });
    const result = await connectDataPlane({
      mode: 'shared',
      port: listener.port,
      ca: pair.cert,
      serverName: KONG_CLUSTER_SERVER_NAME,
    });
    expectFailure(result);
    expect(listener.rejections).toEqual([expect.stringContaining('no client certificate')]);
  });

  it('rejects a server name other than kong_clustering', async () => {
    const result = await handshake({ mode: 'shared', ...pair }, { mode: 'shared', ...pair, serverName: CLUSTER_NAME });
    expect(expectFailure(result)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
