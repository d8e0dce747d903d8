/**
 * The Auto Scaling group both EC2 Kong planes run their boot script (kong-ec2-user-data.ts) in,
 * and its sizing rules.
 */
import { Aws, Duration, Lazy, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongHybridConfig } from '../kong/config';
import { KONG_VERSION_TAG, KongUserData, renderKongUserData } from '../kong/ec2-user-data';
import { KongFleetError } from '../kong/errors';
import { parseKongVersion } from '../kong/version';
import { acknowledgeNag, managedPolicyFinding } from './acknowledge';
import { ClusterCredentials } from './cluster-credentials';

// ---------------------------------------------------------------------------------------------
// The Auto Scaling group both EC2 planes run the script in
// ---------------------------------------------------------------------------------------------

/** Default instance type per architecture: general purpose, 2 vCPU / 8 GiB (Graviton or Intel). */
export const KONG_EC2_DEFAULT_INSTANCE_TYPES: Readonly<Record<ec2.InstanceArchitecture, string>> = {
  [ec2.InstanceArchitecture.ARM_64]: 'm7g.large',
  [ec2.InstanceArchitecture.X86_64]: 'm7i.large',
};

const ROOT_VOLUME_GIB = 20;

/** What a plane asks of its instances, before defaults. */
/** The instance props both EC2 planes take. */
export interface KongEc2InstanceProps {
  /**
   * CPU architecture of the instances (Kong publishes Amazon Linux 2023 packages for both).
   * @default - the architecture of `instanceType`, else ec2.InstanceArchitecture.ARM_64
   */
  readonly architecture?: ec2.InstanceArchitecture;

  /**
   * Instance type, of `architecture`.
   * @default m7g.large (arm64) or m7i.large (x86_64)
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Amazon Linux 2023 image of `architecture`; pin one to decide when instances are replaced.
   * @default - the latest AL2023 image at each deployment (a new image rolls the group)
   */
  readonly machineImage?: ec2.IMachineImage;
}

export interface KongEc2SizingProps extends KongEc2InstanceProps {
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
}

/** {@link KongEc2SizingProps} with defaults filled in and checked. */
export interface KongEc2Sizing {
  readonly instanceType: ec2.InstanceType;
  readonly architecture: ec2.InstanceArchitecture;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/**
 * Fills in and checks a plane's instance sizing; errors name `${where}.<prop>`. At least 2 instances
 * (one per AZ), and a maximum above the minimum: the rolling update launches a new instance before
 * it terminates an old one, which needs room above `minCapacity`.
 */
export function kongEc2Sizing(props: KongEc2SizingProps, defaultMaxCapacity: number, where: string): KongEc2Sizing {
  const supported = Object.keys(KONG_EC2_DEFAULT_INSTANCE_TYPES);
  if (props.architecture !== undefined && !supported.includes(props.architecture)) {
    throw new KongFleetError(`${where}.architecture`, 'is not an architecture Kong publishes packages for', {
      got: props.architecture,
      expected: supported.join(' or '),
    });
  }
  const architecture = props.architecture ?? props.instanceType?.architecture ?? ec2.InstanceArchitecture.ARM_64;
  const instanceType = props.instanceType ?? new ec2.InstanceType(KONG_EC2_DEFAULT_INSTANCE_TYPES[architecture]);
  if (instanceType.architecture !== architecture) {
    throw new KongFleetError(`${where}.instanceType`, `is not an ${architecture} instance type`, {
      got: instanceType.toString(),
      expected: `an ${architecture} type such as ${KONG_EC2_DEFAULT_INSTANCE_TYPES[architecture]}, or no architecture`,
    });
  }
  const minCapacity = props.minCapacity ?? 2;
  if (!Number.isInteger(minCapacity) || minCapacity < 2) {
    throw new KongFleetError(`${where}.minCapacity`, 'a Kong plane needs at least 2 instances across AZs', {
      got: minCapacity,
      expected: 'an integer ≥ 2',
    });
  }
  const maxCapacity = props.maxCapacity ?? Math.max(defaultMaxCapacity, minCapacity + 1);
  if (!Number.isInteger(maxCapacity) || maxCapacity <= minCapacity) {
    throw new KongFleetError(
      `${where}.maxCapacity`,
      'must exceed minCapacity: a rolling update launches before it terminates',
      { got: maxCapacity, expected: `an integer ≥ ${minCapacity + 1}` },
    );
  }
  return { instanceType, architecture, minCapacity, maxCapacity };
}

/** A Secrets Manager secret the instances read at boot. */
export interface KongEc2Secret {
  readonly secret: secretsmanager.ISecret;
  /** The key that encrypts it, when the secret object does not know it (imported secrets). */
  readonly encryptionKey?: kms.IKey;
}

/** Properties of {@link KongEc2Instances}. */
export interface KongEc2InstancesProps {
  readonly vpc: ec2.IVpc;
  /** The plane's Kong settings (secrets as SecretRefs to `secrets`). */
  readonly config: KongHybridConfig;
  /** The secrets the settings refer to, by {@link KONG_EC2_SECRETS} name. */
  readonly secrets: Readonly<Record<string, KongEc2Secret>>;
  readonly sizing: KongEc2Sizing;
  /**
   * Amazon Linux 2023 image of the sizing's architecture.
   * @default - the latest AL2023 image, looked up at each deployment (a new image rolls the group)
   */
  readonly machineImage?: ec2.IMachineImage;
  /** Let the instances open connections anywhere (data planes reach upstreams on any port). */
  readonly allowAllOutbound: boolean;
  /** What the instances are, for descriptions ("Kong control plane"). */
  readonly description: string;
  /** How long CloudFormation waits for each instance to be ready. */
  readonly readyTimeout: Duration;
  /**
   * Further boot steps (bash lines) run once Kong is started (see renderKongUserData).
   * @default - none
   */
  readonly extraBootSteps?: readonly string[];
  /**
   * Plain environment variables of Kong's process (see renderKongUserData's `processEnvironment`).
   * @default - none
   */
  readonly processEnvironment?: Readonly<Record<string, string>>;
}

/**
 * Kong instances of one plane: an Auto Scaling group in private subnets from a launch template with
 * IMDSv2 only (hop limit 1: nothing on the host runs in a container), a KMS-encrypted gp3 root
 * volume, detailed monitoring, no key pair and no SSH ingress (Session Manager instead), a role that
 * reads exactly the plane's secrets, and the boot script from {@link renderKongUserData}.
 *
 * Updates are CloudFormation rolling updates: one instance at a time, never fewer than `minCapacity`
 * in service, each new instance signalling only once Kong answers `/status/ready` (a failed signal
 * or a timeout rolls the update back). Health is EC2's plus systemd's restart of Kong, not the load
 * balancer's: readiness fails on every control-plane instance during a database failover, and on
 * every data-plane instance while the fleet has no configuration, and replacing them would not help.
 */
export class KongEc2Instances extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly role: iam.Role;
  public readonly securityGroup: ec2.SecurityGroup;
  /** Encrypts the root volumes. */
  public readonly volumeKey: kms.Key;
  /** The rendered boot script and kong.conf. */
  public readonly userData: KongUserData;

  constructor(scope: Construct, id: string, props: KongEc2InstancesProps) {
    super(scope, id);
    const { sizing } = props;
    const version = parseKongVersion(props.config.version, `${this.node.path}.kongVersion`).text;

    this.volumeKey = new kms.Key(this, 'VolumeKey', {
      enableKeyRotation: true,
      description: `Encrypts the root volumes of the ${props.description} instances`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // EC2 uses the key for whoever launches the instance — here Auto Scaling's service-linked role,
    // which may not exist yet when the key is created — so, as in the aws/ebs key's policy, any
    // principal of this account may use it, and only through EC2.
    this.volumeKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:CreateGrant',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': `ec2.${Aws.REGION}.amazonaws.com` },
        },
      }),
    );

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${props.description} instances: read the plane's secrets at boot, Session Manager`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledgeNag(
      this.role,
      'IAM4',
      'Session Manager replaces SSH (no key pair, no port 22); AmazonSSMManagedInstanceCore is the policy AWS maintains for exactly the SSM agent',
      [managedPolicyFinding('AmazonSSMManagedInstanceCore')],
    );
    for (const { secret, encryptionKey } of Object.values(props.secrets)) {
      secret.grantRead(this.role);
      if (encryptionKey && !secret.encryptionKey) {
        this.role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
          }),
        );
      }
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Aws.STACK_ID] }),
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${props.description} instances: Kong ports from its load balancer only, no SSH`,
      allowAllOutbound: props.allowAllOutbound,
    });

    const stack = Stack.of(this);
    this.userData = renderKongUserData({
      config: props.config,
      secretArns: Object.fromEntries(Object.entries(props.secrets).map(([name, s]) => [name, s.secret.secretArn])),
      signal: {
        stackName: Aws.STACK_NAME,
        logicalId: Lazy.string({
          produce: () => stack.getLogicalId(this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup),
        }),
        region: Aws.REGION,
      },
      extraSteps: props.extraBootSteps,
      processEnvironment: props.processEnvironment,
    });

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage:
        props.machineImage ??
        // AWS's default AL2023 kernel, resolved at each deployment (no lookup at synthesis): unlike
        // MachineImage.latestAmazonLinux2023, the parameter path does not change with CDK releases.
        new ec2.AmazonLinux2023ImageSsmParameter({
          kernel: ec2.AmazonLinux2023Kernel.DEFAULT,
          cachedInContext: false,
          cpuType:
            sizing.architecture === ec2.InstanceArchitecture.ARM_64
              ? ec2.AmazonLinuxCpuType.ARM_64
              : ec2.AmazonLinuxCpuType.X86_64,
        }),
      instanceType: sizing.instanceType,
      role: this.role,
      securityGroup: this.securityGroup,
      userData: ec2.UserData.custom(this.userData.script),
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: false,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(ROOT_VOLUME_GIB, {
            encrypted: true,
            kmsKey: this.volumeKey,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: sizing.minCapacity,
      maxCapacity: sizing.maxCapacity,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
      cooldown: Duration.minutes(5),
      // Instance refreshes (certificate rollouts) wait this long after each new instance.
      defaultInstanceWarmup: Duration.minutes(5),
      groupMetrics: [autoscaling.GroupMetrics.all()],
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: props.readyTimeout }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: sizing.minCapacity,
        waitOnResourceSignals: true,
        pauseTime: props.readyTimeout,
      }),
    });
    Tags.of(this.autoScalingGroup).add(KONG_VERSION_TAG, version, { applyToLaunchedInstances: true });
    // Instances read their secrets at boot: the role's policy must exist before the first one starts.
    this.autoScalingGroup.node.addDependency(this.role);
    acknowledgeNag(
      this.autoScalingGroup,
      'AS3',
      'launches, terminations and their failures are in the group activity history and EventBridge (aws.autoscaling); CloudFormation signals fail the deployment on a bad instance',
    );
  }

  /**
   * Instances read the certificate of `credentials` only at boot: none starts before the secret
   * holds one, and a rotation replaces them all (instance refresh, launch before terminate).
   */
  public addCertificateRollout(credentials: ClusterCredentials): void {
    this.autoScalingGroup.node.addDependency(credentials.ready);
    credentials.certificate.addAutoScalingGroupRollout(this.autoScalingGroup);
  }
}
