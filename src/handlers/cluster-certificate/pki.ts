import {
  ACMPCAClient,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCertificateCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  RevokeCertificateCommand,
  type SigningAlgorithm,
} from '@aws-sdk/client-acm-pca';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createHash } from 'node:crypto';
import {
  ClusterCertificateRole,
  KONG_PKI_PROFILE,
  PKI_EXTENDED_KEY_USAGE,
  rotationDue,
} from '../../kong/certificate-profile';
import { KongFleetError } from '../../kong/errors';
import { isDnsName } from '../../kong/net';
import { CERTIFICATE_PROPERTY, PKI_LEAF_TEMPLATE } from './contract';
import { optionalRegion, requiredString, WHERE } from './properties';
import type { CertificateMode, ReconcileContext, StoredValue } from './types';
import {
  certificateNotAfter,
  createKeyAndCsr,
  describeCertificate,
  issuedByOneOf,
  keyMatchesCertificate,
  splitPemBundle,
} from './x509';

/** How long the handler waits for ACM Private CA to issue; tests shorten it. */
export const pkiTiming = { pollDelayMs: 1000, maxPolls: 90 };

/** The signature algorithm a CA with this key algorithm signs with (ACM PCA names). */
const SIGNING_ALGORITHM: Readonly<Record<string, SigningAlgorithm>> = {
  EC_prime256v1: 'SHA256WITHECDSA',
  EC_secp384r1: 'SHA384WITHECDSA',
  EC_secp521r1: 'SHA512WITHECDSA',
  RSA_2048: 'SHA256WITHRSA',
  RSA_3072: 'SHA384WITHRSA',
  RSA_4096: 'SHA512WITHRSA',
};

const CA_ARN = /^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):([0-9]{12}):certificate-authority\/[0-9a-f-]+$/;

/**
 * `cluster_mtls = pki` with ACM Private CA: this plane's own key and certificate. The key and the
 * CSR are made here; the CA named by the trust's SSM parameter issues the certificate from the
 * CSR (a CSR-passthrough template copies our key usage, EKU and SANs); the secret receives
 * `{cert, key, ca}` where `ca` is the CA chain Kong verifies against. The control plane's
 * certificate has EKU serverAuth and its cluster and telemetry names as SANs; a data plane's has
 * EKU clientAuth.
 *
 * Kept when it is still issued by the CA the parameter names and not due for rotation;
 * re-issued otherwise. Old certificates stay valid until they expire, so a data plane that has
 * not rolled yet keeps connecting.
 */
export const pkiMode: CertificateMode = {
  regenerateOn: [
    CERTIFICATE_PROPERTY.role,
    CERTIFICATE_PROPERTY.dnsNames,
    CERTIFICATE_PROPERTY.trustParameter,
    CERTIFICATE_PROPERTY.trustRegion,
  ],
  prepare(common, raw) {
    const role = parseRole(raw[CERTIFICATE_PROPERTY.role]);
    const dnsNames = parseDnsNames(raw[CERTIFICATE_PROPERTY.dnsNames], role);
    const parameter = requiredString(raw, CERTIFICATE_PROPERTY.trustParameter);
    const parameterRegion = optionalRegion(raw, CERTIFICATE_PROPERTY.trustRegion);

    const withCa = async <T>(use: (ca: string, client: ACMPCAClient) => Promise<T>): Promise<T> => {
      const caArn = await readCertificateAuthorityArn(parameter, parameterRegion);
      const client = new ACMPCAClient({ region: CA_ARN.exec(caArn)?.[2] });
      try {
        return await use(caArn, client);
      } finally {
        client.destroy();
      }
    };

    return {
      reconcile({ stored, replace, now }: ReconcileContext): Promise<StoredValue | undefined> {
        return withCa(async (caArn, client) => {
          if (!replace && stored?.credentials.ca !== undefined) {
            const caCertificate = await client.send(
              new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: caArn }),
            );
            const current = stored.credentials.cert;
            if (
              caCertificate.Certificate &&
              issuedByOneOf(current, caCertificate.Certificate) &&
              !rotationDue(certificateNotAfter(current), now, common.rotateBeforeDays)
            ) {
              return undefined;
            }
          }
          return issue(client, caArn, {
            commonName: common.commonName,
            validityDays: common.validityDays,
            role,
            dnsNames,
          });
        });
      },
      retire(stored) {
        return withCa(async (caArn, client) => {
          const serial = describeCertificate(stored.credentials.cert).serialNumber;
          await client.send(
            new RevokeCertificateCommand({
              CertificateAuthorityArn: caArn,
              CertificateSerial: serial.match(/../g)?.join(':') ?? serial,
              RevocationReason: 'CESSATION_OF_OPERATION',
            }),
          );
          return `revoked serial ${serial}`;
        });
      },
    };
  },
};

interface IssueRequest {
  readonly commonName: string;
  readonly validityDays: number;
  readonly role: ClusterCertificateRole;
  readonly dnsNames: readonly string[];
}

async function issue(client: ACMPCAClient, caArn: string, request: IssueRequest): Promise<StoredValue> {
  const ca = await client.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn }));
  const keyAlgorithm = ca.CertificateAuthority?.CertificateAuthorityConfiguration?.KeyAlgorithm ?? '';
  const signingAlgorithm = SIGNING_ALGORITHM[keyAlgorithm];
  if (!signingAlgorithm || ca.CertificateAuthority?.Status !== 'ACTIVE') {
    throw new KongFleetError(
      `${WHERE}.${CERTIFICATE_PROPERTY.trustParameter}`,
      'the certificate authority cannot issue',
      {
        got: `${caArn} (status ${ca.CertificateAuthority?.Status ?? 'unknown'}, key ${keyAlgorithm || 'unknown'})`,
        expected: 'an ACTIVE ACM Private CA with an RSA or EC key',
      },
    );
  }
  const { key, csr } = await createKeyAndCsr({
    commonName: request.commonName,
    curve: KONG_PKI_PROFILE.curve,
    dnsNames: request.dnsNames,
    extendedKeyUsage: PKI_EXTENDED_KEY_USAGE[request.role],
  });
  const partition = CA_ARN.exec(caArn)?.[1] ?? 'aws';
  const issued = await client.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: caArn,
      Csr: Buffer.from(csr, 'utf8'),
      SigningAlgorithm: signingAlgorithm,
      TemplateArn: `arn:${partition}:acm-pca:::${PKI_LEAF_TEMPLATE}`,
      Validity: { Type: 'DAYS', Value: request.validityDays },
      // Same CSR, same certificate: a retried request cannot issue a second one for this key.
      IdempotencyToken: createHash('sha256').update(csr).digest('hex').slice(0, 36),
    }),
  );
  if (!issued.CertificateArn) {
    throw new KongFleetError(
      `${WHERE}.${CERTIFICATE_PROPERTY.trustParameter}`,
      'ACM Private CA returned no certificate ARN',
      {
        got: caArn,
      },
    );
  }
  const { cert, chain } = await waitForCertificate(client, caArn, issued.CertificateArn);
  // Check before anything is written: a certificate that does not fit the key or the chain
  // would leave the plane unable to connect.
  if (!keyMatchesCertificate(cert, key) || !issuedByOneOf(cert, chain)) {
    throw new KongFleetError(
      `${WHERE}.${CERTIFICATE_PROPERTY.trustParameter}`,
      'ACM Private CA returned a certificate that does not match the request',
      {
        got: issued.CertificateArn,
        expected: 'a certificate for the generated key, signed by the first certificate of its chain',
      },
    );
  }
  return { cert, key, ca: chain };
}

async function waitForCertificate(
  client: ACMPCAClient,
  caArn: string,
  certificateArn: string,
): Promise<{ cert: string; chain: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await client.send(
        new GetCertificateCommand({ CertificateAuthorityArn: caArn, CertificateArn: certificateArn }),
      );
      const cert = out.Certificate ? splitPemBundle(out.Certificate)[0] : undefined;
      const chain = splitPemBundle(out.CertificateChain ?? '').join('');
      if (!cert || chain === '') {
        throw new KongFleetError(
          `${WHERE}.${CERTIFICATE_PROPERTY.trustParameter}`,
          'ACM Private CA returned no certificate or chain',
          {
            got: certificateArn,
          },
        );
      }
      return { cert, chain };
    } catch (error) {
      if ((error as Error)?.name !== 'RequestInProgressException' || attempt >= pkiTiming.maxPolls) throw error;
      await new Promise((resolve) => setTimeout(resolve, pkiTiming.pollDelayMs));
    }
  }
}

async function readCertificateAuthorityArn(parameter: string, region: string | undefined): Promise<string> {
  const ssm = new SSMClient(region ? { region } : {});
  let value: string | undefined;
  try {
    value = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
  } finally {
    ssm.destroy();
  }
  if (!value || !CA_ARN.test(value)) {
    throw new KongFleetError(`${WHERE}.${CERTIFICATE_PROPERTY.trustParameter}`, 'does not hold an ACM Private CA ARN', {
      got: `${parameter} = ${value ?? '(empty)'}`,
      expected: 'arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>',
    });
  }
  return value;
}

function parseRole(value: unknown): ClusterCertificateRole {
  if (value === 'control-plane' || value === 'data-plane') return value;
  throw new KongFleetError(`${WHERE}.${CERTIFICATE_PROPERTY.role}`, 'is not a plane role', {
    got: value,
    expected: 'control-plane or data-plane',
  });
}

function parseDnsNames(value: unknown, role: ClusterCertificateRole): string[] {
  const where = `${WHERE}.${CERTIFICATE_PROPERTY.dnsNames}`;
  if (value !== undefined && typeof value !== 'string') {
    throw new KongFleetError(where, 'is not a comma-separated list', { got: value, expected: 'a string' });
  }
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const bad = names.find((name) => !isDnsName(name));
  if (bad !== undefined) throw new KongFleetError(where, 'contains a name that is not a DNS name', { got: bad });
  if (role === 'control-plane' && names.length === 0) {
    throw new KongFleetError(where, 'a control-plane certificate needs its cluster and telemetry DNS names', {
      got: value,
      expected: 'e.g. cluster.kong.example.com,telemetry.kong.example.com',
    });
  }
  return names;
}
