import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { controlPlaneConfig, Endpoint, secretRef } from '../kong/config';
import { formatHostPort } from '../kong/net';
import { KONG_PORTS } from '../kong/ports';
import { acknowledgeNag } from '../core/acknowledge';
import { IKongClusterTrust } from '../core/cluster-credentials';
import {
  IKongControlPlaneConnection,
  KongControlPlaneBaseProps,
  resolveControlPlaneVersion,
} from '../core/control-plane-connection';
import { KongEc2InstanceProps, KongEc2Instances, kongEc2Sizing, KongEc2Secret } from '../core/kong-ec2-instances';
import { clusterCredentialRef, KONG_EC2_PATHS, KONG_EC2_SECRETS, WHOLE_SECRET } from '../kong/ec2-user-data';
import { KongDatabase } from '../core/kong-database';
import { addClusterEndpoints } from '../core/cluster-endpoints';
import { KongLoadBalancer } from '../core/kong-load-balancer';
import { KongVpc } from '../core/kong-vpc';

/** Properties of {@link KongControlPlaneEc2}. */
export interface KongControlPlaneEc2Props extends KongControlPlaneBaseProps, KongEc2InstanceProps {
  /**
   * Control-plane instances, spread across AZs. The group keeps this many: the control plane has
   * no scaling policy.
   * @default 2
   */
  readonly minCapacity?: number;

  /**
   * Upper bound of the group; above `minCapacity` so a rolling update can launch a new instance
   * before it terminates an old one.
   * @default minCapacity + 1
   */
  readonly maxCapacity?: number;
}

// Install, migrations (which may wait for the old nodes' finish) and the first configuration export.
const READY_TIMEOUT = Duration.minutes(40);

/**
 * A Kong Gateway control plane (`role=control_plane`) on EC2, backed by RDS PostgreSQL.
 *
 * - An Auto Scaling group of Amazon Linux 2023 instances in private subnets across ≥ 2 AZs
 *   ({@link KongEc2Instances}): `kong-enterprise-edition-<kongVersion>` from Kong's package
 *   repository, Kong run by systemd (nginx in the foreground, restarted on failure), IMDSv2 only,
 *   KMS-encrypted volumes, Session Manager instead of SSH.
 * - The cluster certificate, the license and the database credentials are read from Secrets Manager
 *   at boot with the instance role: certificate files 0600 owned by `kong`, the rest in a root-only
 *   systemd EnvironmentFile. None of them is in the user data or the template. With
 *   `databaseIamAuthentication` no database password is read at all: the instance role may
 *   `rds-db:connect` as Kong's IAM database user, and the boot script fetches the region's RDS CA
 *   bundle (HTTPS) before migrations and Kong start, so Kong verifies the database. Kong finds the
 *   region for its AWS credentials through IMDSv2 (lua-resty-aws) and signs for the region in pg_host.
 * - Cluster (8005) and telemetry (8006) behind a TCP NLB with instance targets, health on
 *   `/status/ready` of the status listener (8100), and Route 53 aliases for both DNS names.
 * - The Admin API and Kong Manager listen on 127.0.0.1 only (8444, 8445): no load balancer listener,
 *   no security group rule; reach them with a Session Manager port forward.
 * - Updates: CloudFormation rolling updates, one instance at a time, never below `minCapacity`, each
 *   new instance signalling once `/status/ready` answers. A certificate rotation starts an instance
 *   refresh that launches before it terminates.
 *
 * Database migrations run on the instances themselves, each exactly once, before Kong starts:
 * `kong migrations bootstrap` only when `kong migrations status` reports an empty database,
 * `kong migrations up` when there are new migrations (Kong's cluster lock in PostgreSQL lets one
 * node run them; the others wait for the state to change). `kong migrations finish` must not run
 * while an older Kong still serves — it removes what the older version needs — so it is not part of
 * the boot during an upgrade: a timer on every instance runs it once all running instances of the
 * group carry this version (or a newer one) in their `kong-fleet:kong-version` tag, i.e. after the
 * rolling update has replaced the last old node. The instances may therefore describe EC2 instances.
 */
export class KongControlPlaneEc2 extends Construct implements IKongControlPlaneConnection {
  public readonly clusterEndpoint: Endpoint;
  public readonly telemetryEndpoint: Endpoint;
  public readonly trust: IKongClusterTrust;
  public readonly kongVersion: string;
  public readonly licenseSecret?: secretsmanager.ISecret;
  public readonly vpc: ec2.IVpc;
  public readonly database: KongDatabase;
  public readonly loadBalancer: KongLoadBalancer;
  public readonly instances: KongEc2Instances;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instances' security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The kong.conf the instances run with (tokens unresolved; no secret in it). */
  public readonly kongConf: string;
  /** The instances' boot script (tokens unresolved; no secret in it). */
  public readonly userData: string;

  constructor(scope: Construct, id: string, props: KongControlPlaneEc2Props) {
    super(scope, id);
    const where = this.node.path;
    this.kongVersion = resolveControlPlaneVersion(this, props);
    const sizing = kongEc2Sizing(props, (props.minCapacity ?? 2) + 1, where);
    this.trust = props.trust;
    this.licenseSecret = props.licenseSecret;

    this.vpc = props.vpc ?? new KongVpc(this, 'Vpc').vpc;
    const iamAuthentication = props.databaseIamAuthentication ?? false;
    this.database = new KongDatabase(this, 'Database', {
      vpc: this.vpc,
      instanceType: props.databaseInstanceType,
      multiAz: props.databaseMultiAz,
      deletionProtection: props.databaseDeletionProtection,
      iamAuthentication,
    });

    const endpoints = addClusterEndpoints(this, {
      vpc: this.vpc,
      hostedZone: props.hostedZone,
      clusterHostname: props.clusterHostname,
      telemetryHostname: props.telemetryHostname,
      internetFacing: props.clusterEndpointInternetFacing ?? true,
      allowedCidrs: props.dataPlaneCidrs,
      targetType: elbv2.TargetType.INSTANCE,
    });
    this.loadBalancer = endpoints.loadBalancer;
    this.clusterEndpoint = endpoints.clusterEndpoint;
    this.telemetryEndpoint = endpoints.telemetryEndpoint;

    const credentials = props.trust.controlPlaneCredentials(this, {
      serverNames: [props.clusterHostname, props.telemetryHostname],
    });
    const postgres = this.database.kongPostgresSettings({
      caBundlePath: KONG_EC2_PATHS.postgresCaBundle,
      masterCredentials: {
        user: secretRef(KONG_EC2_SECRETS.database, 'username'),
        password: secretRef(KONG_EC2_SECRETS.database, 'password'),
      },
    });
    const config = controlPlaneConfig(
      {
        version: this.kongVersion,
        postgres,
        clusterMtls: credentials.mode,
        clusterCert: clusterCredentialRef('cert'),
        clusterCertKey: clusterCredentialRef('key'),
        clusterCaCert: credentials.mode === 'pki' ? clusterCredentialRef('ca') : undefined,
        // Loopback only: reachable through a Session Manager port forward, never from the network.
        adminListen: [{ address: '127.0.0.1', port: KONG_PORTS.adminHttps, ssl: true, http2: true }],
        adminGuiListen: [{ address: '127.0.0.1', port: KONG_PORTS.managerHttps, ssl: true }],
        license: props.licenseSecret ? secretRef(KONG_EC2_SECRETS.license, WHOLE_SECRET) : undefined,
        extra: props.kongSettings,
      },
      `${where}.kong`,
    );
    const secrets: Record<string, KongEc2Secret> = {
      [KONG_EC2_SECRETS.clusterCredentials]: { secret: credentials.secret, encryptionKey: credentials.encryptionKey },
    };
    if (!iamAuthentication) {
      secrets[KONG_EC2_SECRETS.database] = {
        secret: this.database.credentials,
        encryptionKey: this.database.encryptionKey,
      };
    }
    if (props.licenseSecret) secrets[KONG_EC2_SECRETS.license] = { secret: props.licenseSecret };

    this.instances = new KongEc2Instances(this, 'Instances', {
      vpc: this.vpc,
      config,
      secrets,
      sizing,
      machineImage: props.machineImage,
      // Outbound: HTTPS (packages, AWS APIs) and PostgreSQL only.
      allowAllOutbound: false,
      description: 'Kong control plane',
      readyTimeout: READY_TIMEOUT,
    });
    this.autoScalingGroup = this.instances.autoScalingGroup;
    this.securityGroup = this.instances.securityGroup;
    this.kongConf = this.instances.userData.kongConf;
    this.userData = this.instances.userData.script;

    for (const port of [KONG_PORTS.cluster, KONG_PORTS.clusterTelemetry, KONG_PORTS.status]) {
      this.securityGroup.addIngressRule(
        this.loadBalancer.securityGroup,
        ec2.Port.tcp(port),
        `${port} from the cluster NLB`,
      );
    }
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: Kong packages, AWS APIs');
    this.securityGroup.addEgressRule(this.database.securityGroup, ec2.Port.tcp(this.database.port), 'PostgreSQL');
    this.database.allowFrom(this.securityGroup, 'Kong control plane instances');

    // The migration guard compares the Kong version tags of the group's instances.
    this.instances.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }),
    );
    acknowledgeNag(
      this.instances.role,
      'IAM5',
      'ec2:DescribeInstances has no resource-level permissions; the migration guard reads the Kong version tags of its own group before `kong migrations finish`',
      ['Resource::*'],
    );

    if (iamAuthentication) {
      // Instances boot only once they may sign in and the user exists.
      this.autoScalingGroup.node.addDependency(
        this.database.grantConnect(this, 'DatabaseConnect', this.instances.role),
        this.database.iamUserResource!,
      );
    }

    this.loadBalancer.targetGroups.Cluster.addTarget(this.autoScalingGroup);
    this.loadBalancer.targetGroups.Telemetry.addTarget(this.autoScalingGroup);
    this.instances.addCertificateRollout(credentials);

    new CfnOutput(this, 'ClusterControlPlane', {
      value: formatHostPort(this.clusterEndpoint.host, this.clusterEndpoint.port),
      description: 'cluster_control_plane for data planes',
    });
    new CfnOutput(this, 'ClusterTelemetryEndpoint', {
      value: formatHostPort(this.telemetryEndpoint.host, this.telemetryEndpoint.port),
      description: 'cluster_telemetry_endpoint for data planes',
    });
  }
}
