import { Aws, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import { Construct, IDependable } from 'constructs';
import { KONG_PKI_PROFILE } from '../kong/certificate-profile';
import { KongFleetError } from '../kong/errors';
import { CA_ACTIVATION_PROPERTY, CA_ACTIVATION_RESOURCE_TYPE } from '../handlers/cluster-certificate/contract';
import { ClusterCertificateHandler } from './cluster-certificate-handler';

/** Properties of {@link KongCertificateAuthority}. */
export interface KongCertificateAuthorityProps {
  /** Subject CN of the CA certificate. */
  readonly commonName: string;
  /**
   * Make a subordinate CA under this existing, active CA (e.g. your organisation's root, shared
   * with this account through AWS RAM) instead of a new root.
   * @default - a new root CA
   */
  readonly parentCertificateAuthorityArn?: string;
  /**
   * Signature algorithm the parent CA signs the subordinate's certificate with; must suit the
   * parent's key (e.g. `SHA256WITHRSA` for an RSA parent).
   * @default 'SHA384WITHECDSA'
   */
  readonly parentSigningAlgorithm?: string;
  /**
   * Validity of the CA certificate, in years.
   * @default 10
   */
  readonly validityYears?: number;
  /**
   * What happens to the CA, its certificate and its activation when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An ACM Private CA for Kong's pki mode: EC P-384 key, SHA-384 signatures, general-purpose
 * usage, activated in the same deployment — a root, or a subordinate (path length 0) issued by a
 * parent CA you give. Issues only end-entity certificates (the CP's server certificate and one
 * client certificate per DP). Note: each ACM Private CA in general-purpose mode is billed
 * monthly; share one trust across a fleet.
 */
export class KongCertificateAuthority extends Construct {
  public readonly certificateAuthorityArn: string;
  /** The CA's certificate (PEM), resolved at deploy time. */
  public readonly certificate: string;
  /** Depend on this before issuing: the CA is active. */
  public readonly activation: IDependable;

  constructor(scope: Construct, id: string, props: KongCertificateAuthorityProps) {
    super(scope, id);
    const where = this.node.path;
    const validityYears = props.validityYears ?? KONG_PKI_PROFILE.certificateAuthorityValidityYears;
    if (!Number.isInteger(validityYears) || validityYears < 1 || validityYears > 30) {
      throw new KongFleetError(`${where}.validityYears`, 'is out of range', {
        got: validityYears,
        expected: '1 to 30',
      });
    }
    const parent = props.parentCertificateAuthorityArn;
    if (
      parent !== undefined &&
      !Token.isUnresolved(parent) &&
      !/^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority\/[0-9a-f-]+$/.test(parent)
    ) {
      throw new KongFleetError(`${where}.parentCertificateAuthorityArn`, 'is not an ACM Private CA ARN', {
        got: parent,
        expected: 'arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>',
      });
    }

    const ca = new acmpca.CfnCertificateAuthority(this, 'Resource', {
      type: parent ? 'SUBORDINATE' : 'ROOT',
      keyAlgorithm: 'EC_secp384r1',
      signingAlgorithm: 'SHA384WITHECDSA',
      usageMode: 'GENERAL_PURPOSE',
      subject: { commonName: props.commonName, organization: 'kong-fleet' },
    });
    const certificate = new acmpca.CfnCertificate(this, 'Certificate', {
      certificateAuthorityArn: parent ?? ca.attrArn,
      certificateSigningRequest: ca.attrCertificateSigningRequest,
      signingAlgorithm: parent ? (props.parentSigningAlgorithm ?? 'SHA384WITHECDSA') : 'SHA384WITHECDSA',
      templateArn: `arn:${Aws.PARTITION}:acm-pca:::template/${parent ? 'SubordinateCACertificate_PathLen0/V1' : 'RootCACertificate/V1'}`,
      validity: { type: 'YEARS', value: validityYears },
    });
    this.certificateAuthorityArn = ca.attrArn;
    this.certificate = certificate.attrCertificate;
    // Every certificate of the fleet chains to this CA: deleting the stack must not delete or
    // disable it (ACM Private CA would start its restore window, then destroy the key).
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    for (const resource of [ca, certificate]) resource.applyRemovalPolicy(removalPolicy);

    if (!parent) {
      const activation = new acmpca.CfnCertificateAuthorityActivation(this, 'Activation', {
        certificateAuthorityArn: ca.attrArn,
        certificate: certificate.attrCertificate,
        status: 'ACTIVE',
      });
      activation.applyRemovalPolicy(removalPolicy);
      this.activation = activation;
      return;
    }
    // A subordinate's activation needs the parent's chain, which CloudFormation cannot read.
    const handler = ClusterCertificateHandler.of(this);
    handler.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['acm-pca:GetCertificateAuthorityCertificate'], resources: [parent] }),
    );
    handler.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['acm-pca:ImportCertificateAuthorityCertificate'], resources: [ca.attrArn] }),
    );
    const activation = handler.customResource(
      this,
      'Activation',
      {
        [CA_ACTIVATION_PROPERTY.certificateAuthorityArn]: ca.attrArn,
        [CA_ACTIVATION_PROPERTY.parentCertificateAuthorityArn]: parent,
        [CA_ACTIVATION_PROPERTY.certificate]: certificate.attrCertificate,
      },
      CA_ACTIVATION_RESOURCE_TYPE,
    );
    activation.applyRemovalPolicy(removalPolicy);
    this.activation = activation;
  }
}
