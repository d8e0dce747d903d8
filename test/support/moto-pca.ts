/**
 * ACM Private CA set-up for handler tests against moto: what CloudFormation does for
 * `KongClusterTrust` in pki mode (create the CA, issue its root certificate from its CSR with
 * RootCACertificate/V1, import it to activate the CA) and the SSM parameter that names the CA.
 */
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  GetCertificateAuthorityCsrCommand,
  GetCertificateCommand,
  ImportCertificateAuthorityCertificateCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/** moto runs in the `aws` partition. */
const PARTITION = 'aws';

/** An ACM Private CA template ARN, e.g. `pcaTemplateArn('RootCACertificate/V1')`. */
export function pcaTemplateArn(template: string): string {
  return `arn:${PARTITION}:acm-pca:::template/${template}`;
}

export interface TestCertificateAuthority {
  readonly arn: string;
  /** The CA's own certificate, PEM. */
  readonly certificate: string;
}

/** Creates a root CA; activates it unless `activate` is false. */
export async function createRootCa(
  pca: ACMPCAClient,
  commonName: string,
  activate = true,
): Promise<TestCertificateAuthority> {
  const created = await pca.send(
    new CreateCertificateAuthorityCommand({
      CertificateAuthorityType: 'ROOT',
      CertificateAuthorityConfiguration: {
        KeyAlgorithm: 'EC_secp384r1',
        SigningAlgorithm: 'SHA384WITHECDSA',
        Subject: { CommonName: commonName, Organization: 'kong-fleet tests' },
      },
    }),
  );
  const arn = created.CertificateAuthorityArn!;
  if (!activate) return { arn, certificate: '' };
  const csr = await pca.send(new GetCertificateAuthorityCsrCommand({ CertificateAuthorityArn: arn }));
  const issued = await pca.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: arn,
      Csr: Buffer.from(csr.Csr!, 'utf8'),
      SigningAlgorithm: 'SHA384WITHECDSA',
      TemplateArn: pcaTemplateArn('RootCACertificate/V1'),
      Validity: { Type: 'YEARS', Value: 10 },
    }),
  );
  const certificate = (
    await pca.send(new GetCertificateCommand({ CertificateAuthorityArn: arn, CertificateArn: issued.CertificateArn }))
  ).Certificate!;
  await pca.send(
    new ImportCertificateAuthorityCertificateCommand({
      CertificateAuthorityArn: arn,
      Certificate: Buffer.from(certificate, 'utf8'),
    }),
  );
  return { arn, certificate };
}

/** Writes (or overwrites) the trust parameter naming the issuing CA. */
export async function putTrustParameter(ssm: SSMClient, name: string, value: string): Promise<void> {
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
}
