import {
  ACMPCAClient,
  GetCertificateAuthorityCertificateCommand,
  ImportCertificateAuthorityCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { KongFleetError } from '../../kong/errors';
import { CA_ACTIVATION_PROPERTY, CA_ACTIVATION_RESOURCE_TYPE } from './contract';
import type { OnEventRequest, OnEventResponse } from './types';
import { issuedByOneOf, splitPemBundle } from './x509';

const CA_ARN = /^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):([0-9]{12}):certificate-authority\/[0-9a-f-]+$/;

/**
 * Activates a subordinate ACM Private CA whose certificate its parent has issued: imports that
 * certificate with the parent's chain (the parent's certificate and its own chain), which
 * CloudFormation cannot look up. A certificate the parent did not sign is refused before the
 * import. Delete does nothing: CloudFormation disables and deletes the CA itself.
 */
export async function onCertificateAuthorityActivation(event: OnEventRequest): Promise<OnEventResponse> {
  const where = CA_ACTIVATION_RESOURCE_TYPE;
  const props = event.ResourceProperties ?? {};
  const arn = props[CA_ACTIVATION_PROPERTY.certificateAuthorityArn];
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId ?? (typeof arn === 'string' ? arn : 'ca-activation') };
  }
  const parentArn = props[CA_ACTIVATION_PROPERTY.parentCertificateAuthorityArn];
  const certificate = props[CA_ACTIVATION_PROPERTY.certificate];
  for (const [name, value] of [
    [CA_ACTIVATION_PROPERTY.certificateAuthorityArn, arn],
    [CA_ACTIVATION_PROPERTY.parentCertificateAuthorityArn, parentArn],
  ] as const) {
    if (typeof value !== 'string' || !CA_ARN.test(value)) {
      throw new KongFleetError(`${where}.${name}`, 'is not an ACM Private CA ARN', { got: value });
    }
  }
  if (typeof certificate !== 'string' || splitPemBundle(certificate).length !== 1) {
    throw new KongFleetError(`${where}.${CA_ACTIVATION_PROPERTY.certificate}`, 'is not one PEM certificate', {
      got: typeof certificate,
    });
  }
  const parentRegion = CA_ARN.exec(parentArn as string)?.[2];
  const parentClient = new ACMPCAClient({ region: parentRegion });
  const client = new ACMPCAClient({ region: CA_ARN.exec(arn as string)?.[2] });
  try {
    const parent = await parentClient.send(
      new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: parentArn as string }),
    );
    const chain = `${parent.Certificate ?? ''}\n${parent.CertificateChain ?? ''}`;
    if (!parent.Certificate || !issuedByOneOf(certificate, parent.Certificate)) {
      throw new KongFleetError(`${where}.${CA_ACTIVATION_PROPERTY.certificate}`, 'was not issued by the parent CA', {
        got: parentArn,
      });
    }
    await client.send(
      new ImportCertificateAuthorityCertificateCommand({
        CertificateAuthorityArn: arn as string,
        Certificate: Buffer.from(certificate, 'utf8'),
        CertificateChain: Buffer.from(splitPemBundle(chain).join(''), 'utf8'),
      }),
    );
    console.log(JSON.stringify({ handler: 'ca-activation', requestType: event.RequestType, arn, parentArn }));
    return { PhysicalResourceId: arn as string };
  } finally {
    parentClient.destroy();
    client.destroy();
  }
}
