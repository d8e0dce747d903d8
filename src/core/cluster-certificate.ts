import { Arn, ArnFormat, Aws, CustomResource, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';
import {
  CERTIFICATE_CHECK_INTERVAL_MINUTES,
  ClusterCertificateRole,
  isKonnectApiBaseUrl,
  isKonnectControlPlaneId,
  KONNECT_API_BASE_URL_RULE,
  validateRotateBeforeDays,
  validateValidityDays,
} from '../kong/certificate-profile';
import { KongFleetError } from '../kong/errors';
import {
  CERTIFICATE_METRICS,
  CERTIFICATE_PROPERTY,
  CertificateModeName,
  PKI_LEAF_TEMPLATE,
  ROTATE_REQUEST_TYPE,
} from '../handlers/cluster-certificate/contract';
import type { RolloutTarget } from '../handlers/cluster-certificate/rollout';
import { acknowledgeNag, resourceFinding } from './acknowledge';
import { ClusterCertificateHandler } from './cluster-certificate-handler';
import { ClusterCredentials } from './cluster-credentials';
import { createEncryptionKey } from './encryption';

/** Where a konnect-mode data plane's certificate is pinned, and the token that may pin it. */
export interface KonnectCertificatePinning {
  /** The Konnect control plane's id (a UUID). */
  readonly controlPlaneId: string;
  /** The control plane's regional Konnect API, `https://<region>.api.konghq.com`. */
  readonly apiBaseUrl: string;
  /**
   * Secret (in this stack's region) holding a Konnect personal or system-account access token,
   * as plain text or JSON `{"token": "…"}`. The handler reads it at run time; its value never
   * enters a template.
   */
  readonly tokenSecret: secretsmanager.ISecret;
}

/** Properties of {@link ClusterCertificate}. */
export interface ClusterCertificateProps {
  /**
   * How the certificate is obtained: the shared pair, a plane's copy of it, issued by a CA, or a
   * data plane's own certificate pinned to a Kong Konnect control plane.
   */
  readonly mode: CertificateModeName;
  /** Names the certificate in the expiry metric and logs (e.g. `<trust>/dp-eks-use1`). */
  readonly label: string;
  /** Certificate validity in days (pki: requested from the CA; shared-copy: informational). */
  readonly validityDays: number;
  /** Days before expiry at which the check rotates the certificate. */
  readonly rotateBeforeDays: number;
  /** Days before expiry at which the expiry alarm fires. */
  readonly expiryAlarmDays: number;
  /**
   * Name of the secret.
   * @default - a name CloudFormation generates
   */
  readonly secretName?: string;
  /**
   * KMS key that encrypts the secret.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Subject CN.
   * @default - the handler's default, `kong_clustering`
   */
  readonly commonName?: string;
  /**
   * Opaque value; changing it replaces the certificate at the next deployment.
   * @default '1'
   */
  readonly generation?: string;
  /**
   * shared-copy: name of the shared secret to copy.
   * @default - required in shared-copy mode
   */
  readonly sourceSecretName?: string;
  /**
   * shared-copy: region and account of the shared secret.
   * @default - this stack's
   */
  readonly sourceRegion?: string;
  /** @default - this stack's account */
  readonly sourceAccount?: string;
  /**
   * pki: which side of the cluster connection the certificate is for.
   * @default - required in pki mode
   */
  readonly role?: ClusterCertificateRole;
  /**
   * What happens to the secret when it leaves the stack.
   * @default - RETAIN for the fleet's shared pair and a control plane's certificate (the trust the
   *   fleet is built on), DESTROY for a data plane's certificate and a copy
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * pki: DNS subject alternative names (the CP's cluster and telemetry names).
   * @default - none
   */
  readonly dnsNames?: string[];
  /**
   * pki: the SSM parameter holding the issuing CA's ARN.
   * @default - required in pki mode
   */
  readonly trustParameterName?: string;
  /**
   * pki: region and account of the trust parameter and the CA.
   * @default - this stack's
   */
  readonly trustRegion?: string;
  /** @default - this stack's account */
  readonly trustAccount?: string;
  /**
   * pki: the CA's ARN, when it is known at synth time (same stack); narrows the handler's IAM.
   * @default - any CA of the trust's account and region
   */
  readonly certificateAuthorityArn?: string;
  /**
   * Resources that must exist before the certificate is made (the CA activation, the parameter).
   * @default - none
   */
  readonly dependsOn?: IDependable[];
  /**
   * konnect: the control plane the certificate is pinned to and the access token that pins it.
   * @default - required in konnect mode, refused in the others
   */
  readonly konnect?: KonnectCertificatePinning;
}

/**
 * One plane's cluster credentials secret (DESIGN.md §4) and everything that keeps it valid:
 * the custom resource that fills it, a quarter-hourly check that rotates it before it expires and
 * publishes its days to expiry, an alarm on that metric, and the rollouts to start when it
 * changes. Built by {@link KongClusterTrust}; planes receive it through `ClusterCredentials`.
 */
export class ClusterCertificate extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly encryptionKey: kms.IKey;
  /** The custom resource that fills the secret. */
  public readonly resource: CustomResource;
  /** Fires when the certificate is within `expiryAlarmDays` of expiry or the check stops reporting. */
  public readonly expiryAlarm: cloudwatch.Alarm;
  /** Fires when a rollout could not be started after a rotation. */
  public readonly rolloutAlarm: cloudwatch.Alarm;
  /** SHA-256 fingerprint of the certificate at the last deployment (hex). */
  public readonly fingerprint: string;
  /** Expiry of the certificate at the last deployment (ISO 8601). */
  public readonly notAfter: string;
  public readonly mode: CertificateModeName;
  private readonly rollouts: RolloutTarget[] = [];
  private readonly handler: ClusterCertificateHandler;

  constructor(scope: Construct, id: string, props: ClusterCertificateProps) {
    super(scope, id);
    const where = this.node.path;
    validateValidityDays(props.validityDays, `${where}.validityDays`);
    validateRotateBeforeDays(props.rotateBeforeDays, props.validityDays, `${where}.rotateBeforeDays`);
    if (!Number.isInteger(props.expiryAlarmDays) || props.expiryAlarmDays < 1) {
      throw new KongFleetError(`${where}.expiryAlarmDays`, 'is not a positive whole number of days', {
        got: props.expiryAlarmDays,
      });
    }
    if (props.konnect !== undefined && props.mode !== 'konnect') {
      throw new KongFleetError(`${where}.konnect`, 'is only for konnect mode', {
        got: props.mode,
        expected: "mode 'konnect', or no konnect prop",
      });
    }
    if (props.mode === 'konnect') validateKonnect(props.konnect, `${where}.konnect`);
    this.mode = props.mode;
    this.handler = ClusterCertificateHandler.of(this);
    const fn = this.handler.function;

    this.encryptionKey =
      props.encryptionKey ?? createEncryptionKey(this, 'Key', 'Encrypts a Kong cluster mTLS certificate and key');
    this.secret = new secretsmanager.Secret(this, 'Resource', {
      secretName: props.secretName,
      description: `Kong cluster mTLS credentials (JSON: cert, key${SECRET_EXTRA_KEYS[props.mode]}) for ${props.label}, written by kong-fleet`,
      encryptionKey: this.encryptionKey,
      removalPolicy:
        props.removalPolicy ??
        (props.mode === 'shared' || props.role === 'control-plane' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY),
    });
    this.secret.grantRead(fn);
    this.secret.grantWrite(fn);
    acknowledgeNag(
      this.secret,
      'SMG4',
      `kong-fleet rotates this certificate itself: a check every ${CERTIFICATE_CHECK_INTERVAL_MINUTES} minutes re-issues or switches it ${props.rotateBeforeDays} days before expiry and rolls the planes (a Secrets Manager rotation Lambda could not coordinate Kong's planes)`,
    );

    const properties: Record<string, string> = {
      [CERTIFICATE_PROPERTY.secretArn]: this.secret.secretArn,
      [CERTIFICATE_PROPERTY.mode]: props.mode,
      [CERTIFICATE_PROPERTY.label]: props.label,
      [CERTIFICATE_PROPERTY.validityDays]: String(props.validityDays),
      [CERTIFICATE_PROPERTY.rotateBeforeDays]: String(props.rotateBeforeDays),
      [CERTIFICATE_PROPERTY.generation]: props.generation ?? '1',
    };
    if (props.commonName !== undefined) properties[CERTIFICATE_PROPERTY.commonName] = props.commonName;
    if (props.mode === 'shared-copy') this.configureCopy(props, properties);
    if (props.mode === 'pki') this.configurePki(props, properties);
    const konnectPolicy = props.konnect ? this.configureKonnect(props.konnect, properties) : undefined;

    this.resource = this.handler.customResource(this, 'Certificate', properties);
    for (const dependency of props.dependsOn ?? []) this.resource.node.addDependency(dependency);
    // The handler reads the token when it creates the certificate: the grant must exist first.
    if (konnectPolicy) this.resource.node.addDependency(konnectPolicy);
    this.fingerprint = this.resource.getAttString('Fingerprint');
    this.notAfter = this.resource.getAttString('NotAfter');

    const check = new events.Rule(this, 'RotationCheck', {
      description: `Checks the Kong cluster certificate ${props.label} every ${CERTIFICATE_CHECK_INTERVAL_MINUTES} minutes: rotates it before expiry, publishes its days to expiry`,
      // Every certificate checks at the same wall-clock minutes, so shared-mode planes switch together.
      schedule: events.Schedule.expression(`cron(0/${CERTIFICATE_CHECK_INTERVAL_MINUTES} * * * ? *)`),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject({
            RequestType: ROTATE_REQUEST_TYPE,
            ResourceProperties: {
              ...properties,
              [CERTIFICATE_PROPERTY.rolloutTargets]: Lazy.string({ produce: () => JSON.stringify(this.rollouts) }),
            },
          }),
          retryAttempts: 2,
        }),
      ],
    });

    // Checks start once the certificate exists (the handler also skips a secret without a value).
    check.node.addDependency(this.resource);

    const dimensionsMap = { [CERTIFICATE_METRICS.dimension]: props.label };
    this.expiryAlarm = new cloudwatch.Alarm(this, 'ExpiryAlarm', {
      alarmDescription: `Kong cluster certificate ${props.label} expires within ${props.expiryAlarmDays} days, or its rotation check stopped reporting: Kong planes will fail to connect when it expires`,
      metric: new cloudwatch.Metric({
        namespace: CERTIFICATE_METRICS.namespace,
        metricName: CERTIFICATE_METRICS.daysToExpiry,
        dimensionsMap,
        statistic: 'Minimum',
        period: Duration.hours(3),
      }),
      threshold: props.expiryAlarmDays,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.rolloutAlarm = new cloudwatch.Alarm(this, 'RolloutAlarm', {
      alarmDescription: `A rollout after rotating the Kong cluster certificate ${props.label} could not be started: some workers still hold the previous certificate`,
      metric: new cloudwatch.Metric({
        namespace: CERTIFICATE_METRICS.namespace,
        metricName: CERTIFICATE_METRICS.rolloutFailures,
        dimensionsMap,
        statistic: 'Maximum',
        period: Duration.hours(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The credentials planes consume. */
  public credentials(): ClusterCredentials {
    return {
      // Konnect data planes run cluster_mtls = pki with their pinned certificate.
      mode: this.mode === 'pki' || this.mode === 'konnect' ? 'pki' : 'shared',
      secret: this.secret,
      encryptionKey: this.encryptionKey,
      ready: this.resource,
      certificate: this,
    };
  }

  /**
   * After each rotation, start a new deployment of this ECS service (its tasks read the
   * certificate when they start). The service's deployment settings keep capacity.
   */
  public addEcsServiceRollout(service: ecs.IBaseService): void {
    this.rollouts.push({ type: 'ecs-service', cluster: service.cluster.clusterName, service: service.serviceName });
    this.grantRollout([new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [service.serviceArn] })]);
  }

  /**
   * After each rotation, start an instance refresh of this Auto Scaling group that launches new
   * instances before terminating old ones (instances read the certificate at boot).
   */
  public addAutoScalingGroupRollout(group: autoscaling.IAutoScalingGroup): void {
    this.rollouts.push({ type: 'auto-scaling-group', name: group.autoScalingGroupName });
    const policy = this.grantRollout([
      new iam.PolicyStatement({
        actions: ['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh'],
        resources: [group.autoScalingGroupArn],
      }),
      new iam.PolicyStatement({ actions: ['autoscaling:DescribeInstanceRefreshes'], resources: ['*'] }),
    ]);
    acknowledgeNag(
      policy,
      'IAM5',
      "autoscaling:DescribeInstanceRefreshes has no resource type; StartInstanceRefresh and CancelInstanceRefresh name exactly the plane's group, whose ARN holds an id assigned at creation (hence its wildcard)",
      ['Resource::*', resourceFinding(policy, group.autoScalingGroupArn)],
    );
  }

  /**
   * Rollout permissions in a policy of their own: the plane's service or group waits for this
   * certificate (its workers read the secret when they start), so the handler — which the
   * certificate waits for — must not wait for the service or group.
   */
  private grantRollout(statements: iam.PolicyStatement[]): iam.Policy {
    return new iam.Policy(this, `RolloutPolicy${this.rollouts.length}`, {
      roles: [this.handler.function.role!],
      statements,
    });
  }

  private configureCopy(props: ClusterCertificateProps, properties: Record<string, string>): void {
    const where = this.node.path;
    if (!props.sourceSecretName) {
      throw new KongFleetError(`${where}.sourceSecretName`, 'is required in shared-copy mode', { got: undefined });
    }
    const stack = Stack.of(this);
    const region = props.sourceRegion ?? stack.region;
    const account = props.sourceAccount ?? stack.account;
    properties[CERTIFICATE_PROPERTY.sourceSecret] = props.sourceSecretName;
    if (props.sourceRegion !== undefined) properties[CERTIFICATE_PROPERTY.sourceRegion] = props.sourceRegion;
    const fn = this.handler.function;
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    const sourceArn = Arn.format({
      partition: Aws.PARTITION,
      service: 'secretsmanager',
      region,
      account,
      resource: 'secret',
      resourceName: `${props.sourceSecretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const keys = Arn.format({
      partition: Aws.PARTITION,
      service: 'kms',
      region,
      account,
      resource: 'key',
      resourceName: '*',
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [sourceArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [keys],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
    );
    acknowledgeNag(
      this.handler,
      'IAM5',
      'the shared secret lives in another stack (possibly another region): its ARN ends in a random suffix and its key is read only through Secrets Manager (kms:ViaService)',
      [resourceFinding(this, sourceArn), resourceFinding(this, keys)],
    );
  }

  private configurePki(props: ClusterCertificateProps, properties: Record<string, string>): void {
    const where = this.node.path;
    if (!props.role) throw new KongFleetError(`${where}.role`, 'is required in pki mode', { got: undefined });
    if (!props.trustParameterName) {
      throw new KongFleetError(`${where}.trustParameterName`, 'is required in pki mode', { got: undefined });
    }
    const stack = Stack.of(this);
    const region = props.trustRegion ?? stack.region;
    const account = props.trustAccount ?? stack.account;
    properties[CERTIFICATE_PROPERTY.role] = props.role;
    if (props.dnsNames && props.dnsNames.length > 0)
      properties[CERTIFICATE_PROPERTY.dnsNames] = props.dnsNames.join(',');
    const crossAccount =
      props.trustAccount !== undefined &&
      !Token.isUnresolved(props.trustAccount) &&
      !Token.isUnresolved(stack.account) &&
      props.trustAccount !== stack.account;
    const parameterArn = Arn.format({
      partition: Aws.PARTITION,
      service: 'ssm',
      region,
      account,
      resource: 'parameter',
      resourceName: props.trustParameterName.replace(/^\//, ''),
    });
    // Another account's parameter can only be read by ARN (shared through AWS RAM).
    properties[CERTIFICATE_PROPERTY.trustParameter] = crossAccount ? parameterArn : props.trustParameterName;
    if (props.trustRegion !== undefined) properties[CERTIFICATE_PROPERTY.trustRegion] = props.trustRegion;

    const caResource =
      props.certificateAuthorityArn ??
      Arn.format({
        partition: Aws.PARTITION,
        service: 'acm-pca',
        region,
        account,
        resource: 'certificate-authority',
        resourceName: '*',
      });
    const fn = this.handler.function;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'acm-pca:DescribeCertificateAuthority',
          'acm-pca:GetCertificateAuthorityCertificate',
          'acm-pca:GetCertificate',
          'acm-pca:RevokeCertificate',
        ],
        resources: [caResource],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['acm-pca:IssueCertificate'],
        resources: [caResource],
        // Only end-entity certificates whose extensions come from our CSR: never a CA certificate.
        conditions: { StringEquals: { 'acm-pca:TemplateArn': `arn:${Aws.PARTITION}:acm-pca:::${PKI_LEAF_TEMPLATE}` } },
      }),
    );
    if (props.certificateAuthorityArn === undefined) {
      acknowledgeNag(
        this.handler,
        'IAM5',
        "the CA lives in the trust's stack (possibly another region or account); its ARN is read from the trust parameter at deploy time, so the handler may use the CAs of that account and region, and may only issue end-entity certificates (acm-pca:TemplateArn condition)",
        [resourceFinding(this, caResource)],
      );
    }
  }

  /**
   * The Konnect properties, and the handler's read of exactly the token secret, in a policy of
   * this certificate's own (another plane's certificate in the same stack may use another token).
   */
  private configureKonnect(konnect: KonnectCertificatePinning, properties: Record<string, string>): iam.Policy {
    properties[CERTIFICATE_PROPERTY.konnectControlPlaneId] = konnect.controlPlaneId;
    properties[CERTIFICATE_PROPERTY.konnectApiUrl] = konnect.apiBaseUrl.replace(/\/+$/, '');
    properties[CERTIFICATE_PROPERTY.konnectTokenSecret] = konnect.tokenSecret.secretName;
    // Imported by name: Secrets Manager appends six random characters to the name in the ARN.
    const tokenArn = konnect.tokenSecret.secretFullArn ?? `${konnect.tokenSecret.secretArn}-??????`;
    const statements = [new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [tokenArn] })];
    const key = konnect.tokenSecret.encryptionKey;
    if (key) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    // `-??????` is not a wildcard cdk-nag's IAM5 reports (it looks for `*`): nothing to acknowledge.
    return new iam.Policy(this, 'KonnectTokenPolicy', { roles: [this.handler.function.role!], statements });
  }
}

/** Keys of the secret besides cert and key, per mode (for the secret's description). */
const SECRET_EXTRA_KEYS: Readonly<Record<CertificateModeName, string>> = {
  shared: '',
  'shared-copy': '',
  pki: ', ca',
  konnect: ' and the Konnect pin',
};

function validateKonnect(konnect: KonnectCertificatePinning | undefined, where: string): void {
  if (!konnect) {
    throw new KongFleetError(where, 'is required in konnect mode', {
      got: undefined,
      expected: '{ controlPlaneId, apiBaseUrl, tokenSecret }',
    });
  }
  const { controlPlaneId, apiBaseUrl } = konnect;
  if (!Token.isUnresolved(controlPlaneId) && !isKonnectControlPlaneId(controlPlaneId)) {
    throw new KongFleetError(`${where}.controlPlaneId`, 'is not a Konnect control plane id', {
      got: controlPlaneId,
      expected: 'a UUID, e.g. 9524ec7d-36d9-465d-a8c5-83a3c9390458',
    });
  }
  if (!Token.isUnresolved(apiBaseUrl) && !isKonnectApiBaseUrl(apiBaseUrl.replace(/\/+$/, ''))) {
    throw new KongFleetError(`${where}.apiBaseUrl`, 'is not a Konnect regional API URL', {
      got: apiBaseUrl,
      expected: KONNECT_API_BASE_URL_RULE,
    });
  }
}
