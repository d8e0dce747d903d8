import { Aws, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ram from 'aws-cdk-lib/aws-ram';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  ClusterMtlsMode,
  DEFAULT_EXPIRY_ALARM_DAYS,
  DEFAULT_ROTATE_BEFORE_DAYS,
  KONG_PKI_PROFILE,
  KONG_SHARED_CERT_PROFILE,
  validateRotateBeforeDays,
  validateValidityDays,
} from '../kong/certificate-profile';
import { KongFleetError } from '../kong/errors';
import { isDnsName } from '../kong/net';
import { ClusterCertificate, ClusterCertificateProps } from './cluster-certificate';
import { ClusterCredentials, ControlPlaneCertificateRequest, IKongClusterTrust } from './cluster-credentials';
import { KongCertificateAuthority } from './kong-certificate-authority';

/** Properties of {@link KongClusterTrust}. */
export interface KongClusterTrustProps {
  /**
   * Kong's `cluster_mtls` mode. `shared`: one self-signed pair for the whole fleet, like
   * `kong hybrid gen_cert`. `pki`: an ACM Private CA issues the CP a server certificate and every
   * DP its own client certificate — the robust choice across networks and the only one where a
   * rotation never interrupts a connection.
   * @default 'shared'
   */
  readonly mode?: ClusterMtlsMode;
  /**
   * Name of the trust, unique per account and region: names the shared secret
   * (`kong-fleet/<name>/cluster-shared`), the CA parameter
   * (`/kong-fleet/<name>/certificate-authority-arn`) and the certificates' metrics.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * Validity of the certificates, in days.
   * @default 1095 in shared mode (what `kong hybrid gen_cert` uses), 365 in pki mode
   */
  readonly validityDays?: number;
  /**
   * Days before expiry at which the quarter-hourly check rotates a certificate.
   * @default 30
   */
  readonly rotateBeforeDays?: number;
  /**
   * Days before expiry at which a certificate's CloudWatch alarm fires (rotation has failed for
   * a while). At most `rotateBeforeDays`.
   * @default 14
   */
  readonly expiryAlarmDays?: number;
  /**
   * Change this value to replace the shared pair (shared) or the CP certificate (pki) at the next
   * deployment, outside the scheduled rotation. In shared mode CP and DPs must then roll
   * together — see docs/operations.md.
   * @default '1'
   */
  readonly generation?: string;
  /**
   * KMS key that encrypts the trust's own secrets.
   * @default - a new key with rotation enabled per secret
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * pki: issue from this existing, active ACM Private CA instead of creating one.
   * @default - a CA is created (a root, or a subordinate under `parentCertificateAuthorityArn`)
   */
  readonly certificateAuthorityArn?: string;
  /**
   * pki: create a subordinate CA under this existing, active CA (e.g. an organisation root
   * shared through AWS RAM) instead of a new root.
   * @default - a new root CA
   */
  readonly parentCertificateAuthorityArn?: string;
  /**
   * pki: signature algorithm of the parent CA (must suit its key).
   * @default 'SHA384WITHECDSA'
   */
  readonly parentSigningAlgorithm?: string;
  /**
   * AWS accounts whose data planes may use this trust. pki: the CA and its ARN parameter are
   * shared with them through AWS RAM; shared: they may read the shared secret (resource policy)
   * and decrypt it through Secrets Manager (key policy). See docs/operations.md.
   * @default - this account only
   */
  readonly trustedAccounts?: string[];
}

/**
 * Cluster mTLS for Kong hybrid mode, in either of Kong's modes, implementing DESIGN.md §4: every
 * plane reads one KMS-encrypted Secrets Manager secret with its cert and key (and the CA in pki
 * mode). Certificates are rotated before expiry by a quarter-hourly check, which also publishes
 * their days to expiry with an alarm.
 *
 * Each plane's certificate resources are created in the plane's own stack, region and account:
 * adding, removing or rotating a data plane never touches the control plane's stack. Planes in
 * another stack find the CA (pki) or the shared secret (shared) by name at deploy time, not by a
 * hard-coded ARN.
 */
export class KongClusterTrust extends Construct implements IKongClusterTrust {
  public readonly mode: ClusterMtlsMode;
  public readonly name: string;
  /** shared: the fleet's one pair. */
  public readonly sharedCertificate?: ClusterCertificate;
  /** shared: name of the shared secret, the same in every region it is copied to. */
  public readonly sharedSecretName?: string;
  /** pki: the CA created by this trust, if any. */
  public readonly certificateAuthority?: KongCertificateAuthority;
  /** pki: the ARN of the issuing CA (created or given). */
  public readonly certificateAuthorityArn?: string;
  /** pki: the SSM parameter holding the issuing CA's ARN. */
  public readonly certificateAuthorityParameter?: ssm.StringParameter;
  /**
   * pki: the parameter's name, a plain string: planes in other stacks and regions find the CA
   * through it at deploy time, without importing anything from the trust's stack.
   */
  public readonly certificateAuthorityParameterName?: string;
  private readonly validityDays: number;
  private readonly rotateBeforeDays: number;
  private readonly expiryAlarmDays: number;
  private readonly generation?: string;

  constructor(scope: Construct, id: string, props: KongClusterTrustProps = {}) {
    super(scope, id);
    const where = this.node.path;
    this.mode = props.mode ?? 'shared';
    if (this.mode !== 'shared' && this.mode !== 'pki') {
      throw new KongFleetError(`${where}.mode`, 'is not a Kong cluster_mtls mode', {
        got: this.mode,
        expected: 'shared or pki',
      });
    }
    this.name = props.name ?? Names.uniqueResourceName(this, { maxLength: 48, separator: '-' }).toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(this.name)) {
      throw new KongFleetError(`${where}.name`, 'is not a trust name', {
        got: this.name,
        expected: '1 to 48 of a-z 0-9 -, starting with a letter or digit',
      });
    }
    this.validityDays =
      props.validityDays ??
      (this.mode === 'pki' ? KONG_PKI_PROFILE.validityDays : KONG_SHARED_CERT_PROFILE.validityDays);
    validateValidityDays(this.validityDays, `${where}.validityDays`);
    this.rotateBeforeDays = validateRotateBeforeDays(
      props.rotateBeforeDays ?? Math.min(DEFAULT_ROTATE_BEFORE_DAYS, this.validityDays - 1),
      this.validityDays,
      `${where}.rotateBeforeDays`,
    );
    this.expiryAlarmDays = props.expiryAlarmDays ?? Math.min(DEFAULT_EXPIRY_ALARM_DAYS, this.rotateBeforeDays);
    if (this.expiryAlarmDays > this.rotateBeforeDays) {
      throw new KongFleetError(`${where}.expiryAlarmDays`, 'alarms before rotation has even been tried', {
        got: this.expiryAlarmDays,
        expected: `at most rotateBeforeDays (${this.rotateBeforeDays})`,
      });
    }
    this.generation = props.generation;
    const pkiOnly = ['certificateAuthorityArn', 'parentCertificateAuthorityArn', 'parentSigningAlgorithm'] as const;
    for (const name of pkiOnly) {
      if (this.mode !== 'pki' && props[name] !== undefined) {
        throw new KongFleetError(`${where}.${name}`, 'applies to pki mode only', { got: props[name] });
      }
    }
    if (props.certificateAuthorityArn !== undefined && props.parentCertificateAuthorityArn !== undefined) {
      throw new KongFleetError(`${where}.certificateAuthorityArn`, 'cannot be combined with a parent CA', {
        got: props.certificateAuthorityArn,
        expected: 'either an existing issuing CA or a parent to create a subordinate under',
      });
    }
    const trustedAccounts = props.trustedAccounts ?? [];
    const badAccount = trustedAccounts.find((a) => !Token.isUnresolved(a) && !/^[0-9]{12}$/.test(a));
    if (badAccount !== undefined) {
      throw new KongFleetError(`${where}.trustedAccounts`, 'contains something that is not an AWS account id', {
        got: badAccount,
        expected: '12 digits',
      });
    }

    if (this.mode === 'shared') {
      this.sharedSecretName = `kong-fleet/${this.name}/cluster-shared`;
      this.sharedCertificate = new ClusterCertificate(this, 'SharedCertificate', {
        ...this.certificateDefaults('shared'),
        mode: 'shared',
        commonName: KONG_SHARED_CERT_PROFILE.commonName,
        secretName: this.sharedSecretName,
        encryptionKey: props.encryptionKey,
        generation: this.generation,
      });
      if (trustedAccounts.length > 0) this.shareSecret(this.sharedCertificate, trustedAccounts);
      return;
    }

    if (props.certificateAuthorityArn === undefined) {
      this.certificateAuthority = new KongCertificateAuthority(this, 'CertificateAuthority', {
        commonName: `kong-fleet ${this.name} cluster CA`,
        parentCertificateAuthorityArn: props.parentCertificateAuthorityArn,
        parentSigningAlgorithm: props.parentSigningAlgorithm,
      });
    }
    this.certificateAuthorityArn = props.certificateAuthorityArn ?? this.certificateAuthority!.certificateAuthorityArn;
    this.certificateAuthorityParameterName = `/kong-fleet/${this.name}/certificate-authority-arn`;
    this.certificateAuthorityParameter = new ssm.StringParameter(this, 'CertificateAuthorityArnParameter', {
      parameterName: this.certificateAuthorityParameterName,
      stringValue: this.certificateAuthorityArn,
      description: `ARN of the ACM Private CA that issues the Kong cluster certificates of trust ${this.name}`,
      // Only advanced parameters can be shared with other accounts through AWS RAM.
      tier: trustedAccounts.length > 0 ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
    if (this.certificateAuthority) {
      this.certificateAuthorityParameter.node.addDependency(this.certificateAuthority.activation);
    }
    if (trustedAccounts.length > 0) {
      new ram.CfnResourceShare(this, 'Share', {
        name: `kong-fleet-${this.name}-cluster-trust`,
        allowExternalPrincipals: false,
        principals: trustedAccounts,
        resourceArns: [this.certificateAuthorityArn, this.certificateAuthorityParameter.parameterArn],
      });
    }
  }

  public controlPlaneCredentials(scope: Construct, request: ControlPlaneCertificateRequest): ClusterCredentials {
    const where = `${scope.node.path}.trust`;
    if (request.serverNames.length === 0) {
      throw new KongFleetError(where, 'the control plane gave no server names', {
        got: [],
        expected: 'its cluster and telemetry DNS names',
      });
    }
    for (const name of request.serverNames) {
      if (!Token.isUnresolved(name) && !isDnsName(name)) {
        throw new KongFleetError(where, 'a control-plane server name is not a DNS name', { got: name });
      }
    }
    if (this.mode === 'shared') return this.sharedCredentials(scope, 'control-plane');
    return this.pkiCredentials(scope, {
      role: 'control-plane',
      label: 'control-plane',
      commonName: request.serverNames[0],
      dnsNames: request.serverNames,
      generation: this.generation,
    });
  }

  public dataPlaneCredentials(scope: Construct, dataPlaneName: string): ClusterCredentials {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(dataPlaneName)) {
      throw new KongFleetError(`${scope.node.path}.dataPlaneName`, 'is not a data-plane name', {
        got: dataPlaneName,
        expected: 'a DNS label: 1 to 63 of a-z 0-9 -, not starting or ending with -',
      });
    }
    if (this.mode === 'shared') return this.sharedCredentials(scope, dataPlaneName);
    return this.pkiCredentials(scope, { role: 'data-plane', label: dataPlaneName, commonName: dataPlaneName });
  }

  /** The shared pair: read directly in the trust's own stack, copied into any other stack. */
  private sharedCredentials(scope: Construct, planeName: string): ClusterCredentials {
    const shared = this.sharedCertificate!;
    if (Stack.of(scope) === Stack.of(this)) return shared.credentials();
    return this.planeCertificate(scope, {
      ...this.certificateDefaults(planeName),
      mode: 'shared-copy',
      sourceSecretName: this.sharedSecretName,
      ...this.homeOf(scope, 'source'),
    }).credentials();
  }

  private pkiCredentials(
    scope: Construct,
    request: Pick<ClusterCertificateProps, 'role' | 'commonName' | 'dnsNames' | 'generation'> & { label: string },
  ): ClusterCredentials {
    const sameStack = Stack.of(scope) === Stack.of(this);
    return this.planeCertificate(scope, {
      ...this.certificateDefaults(request.label),
      mode: 'pki',
      role: request.role,
      commonName: request.commonName,
      dnsNames: request.dnsNames,
      generation: request.generation,
      trustParameterName: this.certificateAuthorityParameterName,
      ...this.homeOf(scope, 'trust'),
      certificateAuthorityArn: sameStack ? this.certificateAuthorityArn : undefined,
      dependsOn: sameStack ? [this.certificateAuthorityParameter!] : [],
    }).credentials();
  }

  /** One certificate per plane scope; a second call for the same plane returns the first. */
  private planeCertificate(scope: Construct, props: ClusterCertificateProps): ClusterCertificate {
    const existing = scope.node.tryFindChild('ClusterCertificate');
    if (existing instanceof ClusterCertificate) return existing;
    const consumer = Stack.of(scope);
    if (consumer !== Stack.of(this)) consumer.addDependency(Stack.of(this), 'reads the Kong cluster trust');
    return new ClusterCertificate(scope, 'ClusterCertificate', props);
  }

  private certificateDefaults(planeName: string) {
    return {
      label: `${this.name}/${planeName}`,
      validityDays: this.validityDays,
      rotateBeforeDays: this.rotateBeforeDays,
      expiryAlarmDays: this.expiryAlarmDays,
    };
  }

  /** Region/account of the trust as seen from `scope`'s stack: set only where they differ. */
  private homeOf(scope: Construct, prefix: 'source' | 'trust') {
    const home = Stack.of(this);
    const consumer = Stack.of(scope);
    const differs = (a: string, b: string) => !Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b;
    const region = differs(home.region, consumer.region) ? home.region : undefined;
    const account = differs(home.account, consumer.account) ? home.account : undefined;
    return prefix === 'source'
      ? { sourceRegion: region, sourceAccount: account }
      : { trustRegion: region, trustAccount: account };
  }

  /** shared mode, other accounts: read the secret, decrypt it through Secrets Manager only. */
  private shareSecret(certificate: ClusterCertificate, accounts: string[]): void {
    const principals = accounts.map((account) => new iam.AccountPrincipal(account));
    certificate.secret.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        principals,
        resources: ['*'],
      }),
    );
    certificate.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        principals,
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }
}
