import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KongHybridConfig } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { checkFallbackVersions } from '../kong/fallback-config';
import { renderEnvironment } from '../kong/render';
import { ClusterCredentials } from '../core/cluster-credentials';
import { IKongControlPlaneConnection } from '../core/control-plane-connection';
import {
  dataPlaneKongConfig,
  DataPlaneDefinition,
  dataPlaneUsesClusterCa,
  regionalLicenseSecret,
} from '../core/data-plane-settings';
import { createEncryptionKey } from '../core/encryption';
import { KongFallbackConfig } from '../core/kong-fallback-config';
import {
  addControlPlaneEgress,
  addKongContainer,
  ecsContainerSecrets,
  ecsSecretBindings,
  kongAwsLogDriver,
  privateZones,
  validateFargateSizing,
} from './kong-data-plane-ecs';

/** Properties of {@link KongFallbackExporter}. */
export interface KongFallbackExporterProps {
  /** The control plane whose configuration is exported. */
  readonly controlPlane: IKongControlPlaneConnection;

  /** Where the configuration is exported to. */
  readonly fallbackConfig: KongFallbackConfig;

  /**
   * VPC of the task: private subnets with egress in two zones (it reaches the control plane, S3,
   * Secrets Manager, CloudWatch Logs and the image registry). Put it in the control plane's region.
   */
  readonly vpc: ec2.IVpc;

  /**
   * Kong Gateway version of the exporter. Kong stores the configuration under the exporter's exact
   * version and importers read their own, so this must be the fallback configuration's
   * `exporterVersion`; as a data plane it must also suit the control plane (same major, minor not newer).
   * @default - the fallback configuration's exporterVersion
   */
  readonly kongVersion?: string;

  /**
   * Name of the exporter in the fleet: a DNS label, used for its certificate (pki mode) and its
   * `dp` label; unique among the data planes.
   * @default 'fallback-exporter'
   */
  readonly dataPlaneName?: string;

  /**
   * An existing ECS cluster to run on (in `vpc`).
   * @default - a new cluster with Container Insights enabled
   */
  readonly cluster?: ecs.ICluster;

  /**
   * CPU units of the task; with `memoryMiB`, a combination Fargate offers.
   * @default 512
   */
  readonly cpu?: number;

  /**
   * Memory of the task in MiB. Kong holds the whole configuration in memory.
   * @default 1024
   */
  readonly memoryMiB?: number;

  /**
   * CPU architecture of the task.
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Retention of the exporter's logs (encrypted with a new KMS key).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The one node that exports Kong's fallback configuration: a Kong Gateway data plane on ECS Fargate
 * (`role=data_plane`, `cluster_fallback_config_export=on`) with its own cluster credentials, one
 * task, no load balancer and no inbound rule — it proxies no traffic, as Kong advises for a backup
 * node. It receives the configuration from the control plane like every data plane and writes it
 * to the fallback configuration's bucket (its task role may write only the prefix).
 *
 * Why a data plane rather than the control plane, which Kong's FAQ also allows
 * (https://developer.konghq.com/gateway/cp-outage/): Kong keys the object by the exporter's exact
 * version and importers read their own, and Kong's upgrade order (control plane first, data planes
 * after) keeps control plane and data planes on different versions for a while; a dedicated
 * exporter runs the data planes' version, exports the configuration as the control plane sends it
 * to that version, and needs no change to the control plane or its stack.
 */
export class KongFallbackExporter extends Construct {
  public readonly dataPlaneName: string;
  public readonly kongVersion: string;
  public readonly cluster: ecs.ICluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  /** The task's security group: no inbound rule; outbound HTTPS and the control plane's ports. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  public readonly clusterCredentials: ClusterCredentials;
  /** The Kong settings of the exporter. */
  public readonly kongConfig: KongHybridConfig;
  /** The container's plain environment (no secret in it). */
  public readonly kongEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KongFallbackExporterProps) {
    super(scope, id);
    const where = this.node.path;
    const cp = props.controlPlane;
    const fallback = props.fallbackConfig;
    this.dataPlaneName = props.dataPlaneName ?? 'fallback-exporter';
    this.kongVersion = props.kongVersion ?? fallback.exporterVersion;
    checkFallbackVersions(fallback.exporterVersion, this.kongVersion, `${where}.kongVersion`);
    const { cpu, memoryMiB } = validateFargateSizing(
      { cpu: props.cpu ?? 512, memoryMiB: props.memoryMiB ?? 1024 },
      where,
    );

    const taskSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    if (privateZones(props.vpc, taskSubnets).length < 1) {
      throw new KongFleetError(`${where}.vpc`, 'the exporter needs private subnets with egress', {
        expected: 'a VPC with PRIVATE_WITH_EGRESS subnets',
      });
    }
    if (props.cluster && props.cluster.vpc !== props.vpc) {
      throw new KongFleetError(`${where}.cluster`, 'runs in another VPC than the given one', {
        got: props.cluster.vpc.node.path,
        expected: props.vpc.node.path,
      });
    }
    this.cluster =
      props.cluster ??
      new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    const licenseSecret = regionalLicenseSecret(this, cp.licenseSecret);
    const credentials = cp.trust.dataPlaneCredentials(this, this.dataPlaneName);
    this.clusterCredentials = credentials;
    const definition: DataPlaneDefinition = {
      controlPlane: cp,
      dataPlaneName: this.dataPlaneName,
      kongVersion: this.kongVersion,
      labels: { purpose: 'fallback-exporter' },
      kongSettings: fallback.exportSettings(),
    };
    this.kongConfig = dataPlaneKongConfig(
      definition,
      credentials,
      ecsSecretBindings(credentials, licenseSecret, dataPlaneUsesClusterCa(cp, credentials)),
      where,
    );
    const rendered = renderEnvironment(this.kongConfig);
    this.kongEnvironment = { ...rendered.environment, ...fallback.storageEnvironment(this) };

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: createEncryptionKey(
        this,
        'LogKey',
        `Encrypts the logs of Kong fallback exporter ${this.dataPlaneName}`,
      ),
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB: memoryMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.container = addKongContainer(this.taskDefinition, {
      kongVersion: this.kongVersion,
      environment: this.kongEnvironment,
      secrets: ecsContainerSecrets(rendered.secrets, credentials, licenseSecret, where),
      credentials,
      stopTimeout: Duration.seconds(30),
      logging: kongAwsLogDriver(this.logGroup, this.dataPlaneName),
      environmentContents: 'role, endpoints, fallback storage, labels',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kong fallback exporter ${this.dataPlaneName}: no inbound; HTTPS and the control plane out`,
      allowAllOutbound: false,
    });
    addControlPlaneEgress(this.securityGroup, cp, 'S3, image pulls, Secrets Manager, CloudWatch Logs');

    fallback.grantExport(this, 'FallbackConfigWrite', this.taskDefinition.taskRole);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // Exactly one exporter. A deployment starts the new task before stopping the old one; two
      // exporters of one version write the same configuration (3.6+ elect one of them).
      desiredCount: 1,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: taskSubnets,
      assignPublicIp: false,
      securityGroups: [this.securityGroup],
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // kong-fleet's own rule KONG3 (docs/nag-rules.md) wants 2+ nodes of a data plane across zones.
    Validations.of(this.service).acknowledge({
      id: 'KongFleet::KongFleet-KONG3',
      reason:
        'the fallback exporter serves no traffic and must be one node: a second exporter only writes the same configuration again; a new task replaces a failed one, and the exported object outlives it',
    });
    // Kong reads its certificate only at start: wait for it, and roll the task when it rotates.
    this.service.node.addDependency(credentials.ready);
    credentials.certificate.addEcsServiceRollout(this.service);
  }
}
