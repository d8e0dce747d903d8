import { CfnOutput, Duration, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongHybridConfig, SecretRef, secretRef } from '../kong/config';
import { PlaneSecretBindings } from '../kong/data-plane';
import { KongFleetError } from '../kong/errors';
import { CONTAINER_ACCESS_LOG_TARGET } from '../kong/log-shipping';
import { formatHostPort } from '../kong/net';
import { KONG_PORTS, STATUS_READY_PATH } from '../kong/ports';
import { renderEnvironment } from '../kong/render';
import { KONG_GATEWAY_IMAGE } from '../kong/version';
import { acknowledgeNag } from '../core/acknowledge';
import { ClusterCredentials } from '../core/cluster-credentials';
import { IKongControlPlaneConnection } from '../core/control-plane-connection';
import {
  connectSharedServices,
  dataPlaneKongConfig,
  dataPlaneUsesClusterCa,
  KongDataPlaneBaseProps,
  resolveDataPlane,
} from '../core/data-plane-settings';
import { addEcsLogRouter } from '../core/ecs-log-router';
import { addEcsMetricsCollector } from '../core/ecs-metrics-collector';
import { createEncryptionKey } from '../core/encryption';
import { KongLoadBalancer } from '../core/kong-load-balancer';
import { KongVpc } from '../core/kong-vpc';

/** Properties of {@link KongDataPlaneEcs}. */
export interface KongDataPlaneEcsProps extends KongDataPlaneBaseProps {
  /**
   * VPC of the tasks and the proxy load balancer (ignored with `cluster`, whose VPC is used).
   * @default - a new VPC across two AZs with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * An existing ECS cluster to run on. Turn Container Insights on for it yourself.
   * @default - a new cluster with Container Insights enabled
   */
  readonly cluster?: ecs.ICluster;

  /**
   * CPU units of a task (1024 = 1 vCPU); with `memoryMiB`, a combination Fargate offers.
   * @default 1024
   */
  readonly cpu?: number;

  /**
   * Memory of a task in MiB; with `cpu`, a combination Fargate offers.
   * @default 2048
   */
  readonly memoryMiB?: number;

  /**
   * CPU architecture of the tasks (`kong/kong-gateway` images are published for both).
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Minimum number of tasks, spread across Availability Zones. At least 2: one task is a
   * single point of failure during deployments, certificate rollouts and AZ outages.
   * @default 2
   */
  readonly minTasks?: number;

  /**
   * Maximum number of tasks.
   * @default 10
   */
  readonly maxTasks?: number;

  /**
   * Concurrent client connections per task that the connection scaling policy keeps: the proxy
   * NLB's `ActiveFlowCount` divided by the healthy targets behind it. NLBs have no request
   * count; concurrent connections are what an nginx worker holds, and they catch connection-heavy
   * but CPU-light traffic (WebSockets, gRPC streams, slow clients) that the CPU policy misses.
   * @default 1000
   */
  readonly targetConnectionsPerTask?: number;

  /**
   * Let the tasks open connections to any address and port. Kong proxies to upstream services on
   * ports this construct cannot know, so this is on by default. When off, the tasks may reach
   * only HTTPS (image pulls, Secrets Manager, CloudWatch Logs) and the control plane's cluster and
   * telemetry ports; add upstream rules through `connections`.
   * @default true
   */
  readonly allowAllOutbound?: boolean;

  /**
   * Allow ECS Exec (`aws ecs execute-command`) into the Kong containers.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * Retention of the Kong container logs (encrypted with a new KMS key).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** Fargate task sizes: CPU units → the memory sizes (MiB) offered with it (Linux). */
const FARGATE_MEMORY_MIB: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, steps(1024, 4096, 1024)],
  [1024, steps(2048, 8192, 1024)],
  [2048, steps(4096, 16384, 1024)],
  [4096, steps(8192, 30720, 1024)],
  [8192, steps(16384, 61440, 4096)],
  [16384, steps(32768, 122880, 8192)],
]);

function steps(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

const CONTAINER_NAME = 'kong';
// Fargate's upper bound: after the NLB has drained the task, Kong gets SIGQUIT (the image's
// STOPSIGNAL) and nginx finishes in-flight requests before exiting.
const STOP_TIMEOUT_SECONDS = 120;
// ECS deregisters a stopping task and waits this long before signalling it; well below the stop
// timeout so draining never eats into Kong's own graceful shutdown.
const DEREGISTRATION_DELAY_SECONDS = 30;
// A new task must fetch its configuration from the control plane before /status/ready answers 200.
const HEALTH_CHECK_GRACE_SECONDS = 120;

// Logical secret names the Kong settings refer to; containerSecret() maps them onto Secrets Manager.
const CLUSTER_CREDENTIALS_SECRET = 'cluster-credentials';
const LICENSE_SECRET = 'license';
// A SecretRef always has a key; this one means "the secret's whole string" (the license JSON).
const WHOLE_SECRET = '*';

/**
 * A Kong Gateway data plane (`role=data_plane`, `database=off`) on ECS Fargate that joins a
 * control plane over mTLS: the CP's cluster and telemetry endpoints in the environment, the
 * cluster certificate, key (and CA in pki mode) and the license as container secrets read from
 * Secrets Manager at task start, at least 2 tasks across AZs in private subnets behind a TCP NLB
 * (80/443 → 8000/8443, readiness on `/status/ready`), CPU and connection-count scaling, a
 * deployment circuit breaker, and a new deployment whenever the certificate rotates.
 */
export class KongDataPlaneEcs extends Construct {
  public readonly dataPlaneName: string;
  public readonly kongVersion: string;
  public readonly cluster: ecs.ICluster;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  /** The tasks' security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The tasks' network connections, e.g. to allow them to reach an upstream. */
  public readonly connections: ec2.Connections;
  public readonly proxyLoadBalancer: KongLoadBalancer;
  public readonly logGroup: logs.LogGroup;
  public readonly scalableTarget: appscaling.ScalableTarget;
  /** The cluster credentials the tasks read (their certificate rolls the service when it rotates). */
  public readonly clusterCredentials: ClusterCredentials;
  /** `cluster_control_plane` this data plane uses. */
  public readonly clusterControlPlane: string;
  /** `cluster_telemetry_endpoint` this data plane uses. */
  public readonly clusterTelemetryEndpoint: string;
  /** The container's plain environment (the rendered Kong settings; no secret is in it). */
  public readonly kongEnvironment: Readonly<Record<string, string>>;
  /** The Kong settings of this data plane (the same model every runtime renders). */
  public readonly kongConfig: KongHybridConfig;
  /** Names of the Kong variables passed as container secrets, sorted. */
  public readonly kongSecretNames: readonly string[];

  constructor(scope: Construct, id: string, props: KongDataPlaneEcsProps) {
    super(scope, id);
    const where = this.node.path;
    const cp = props.controlPlane;
    const resolved = resolveDataPlane(this, props, { accessLogTarget: CONTAINER_ACCESS_LOG_TARGET });
    const { definition, targetCpuPercent, licenseSecret } = resolved;
    this.dataPlaneName = definition.dataPlaneName;
    this.kongVersion = definition.kongVersion;
    const sizing = validateFargateSizing(props, where);
    const minTasks = props.minTasks ?? 2;
    const maxTasks = props.maxTasks ?? 10;
    const targetConnectionsPerTask = props.targetConnectionsPerTask ?? 1000;
    checkInteger(minTasks, `${where}.minTasks`, 2, 'a data plane needs at least 2 tasks across AZs');
    checkInteger(maxTasks, `${where}.maxTasks`, minTasks, 'must be at least minTasks');
    checkInteger(targetConnectionsPerTask, `${where}.targetConnectionsPerTask`, 1, 'must be a positive whole number');
    (props.proxyAllowedCidrs ?? []).forEach((cidr, i) => checkCidr(cidr, `${where}.proxyAllowedCidrs[${i}]`));
    if (props.cluster && props.vpc && props.vpc !== props.cluster.vpc) {
      throw new KongFleetError(`${where}.vpc`, 'differs from the VPC of the given cluster', {
        got: props.vpc.node.path,
        expected: `no vpc, or the cluster's (${props.cluster.vpc.node.path})`,
      });
    }

    const vpc = props.cluster?.vpc ?? props.vpc ?? new KongVpc(this, 'Vpc').vpc;
    const taskSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const zones = privateZones(vpc, taskSubnets);
    if (zones.length < 2) {
      throw new KongFleetError(`${where}.vpc`, 'tasks need private subnets with egress in at least two zones', {
        got: zones,
        expected: 'PRIVATE_WITH_EGRESS subnets in two or more Availability Zones',
      });
    }
    this.cluster =
      props.cluster ?? new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    // Kong settings: every secret is a SecretRef, rendered to container secrets, never to plain env.
    const credentials = cp.trust.dataPlaneCredentials(this, this.dataPlaneName);
    this.clusterCredentials = credentials;
    this.kongConfig = dataPlaneKongConfig(
      definition,
      credentials,
      ecsSecretBindings(credentials, licenseSecret, dataPlaneUsesClusterCa(cp, credentials)),
      where,
    );
    const rendered = renderEnvironment(this.kongConfig);
    this.kongEnvironment = rendered.environment;
    this.kongSecretNames = Object.keys(rendered.secrets).sort();
    const secrets = ecsContainerSecrets(rendered.secrets, credentials, licenseSecret, where);
    this.clusterControlPlane = formatHostPort(cp.clusterEndpoint.host, cp.clusterEndpoint.port);
    this.clusterTelemetryEndpoint = formatHostPort(cp.telemetryEndpoint.host, cp.telemetryEndpoint.port);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: createEncryptionKey(this, 'LogKey', `Encrypts the Kong logs of data plane ${this.dataPlaneName}`),
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: sizing.cpu,
      memoryLimitMiB: sizing.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.container = addKongContainer(this.taskDefinition, {
      kongVersion: this.kongVersion,
      // Kong's settings, and what Kong's AWS clients read from the process (AWS_REGION of a fallback
      // configuration bucket in another region).
      environment: { ...rendered.environment, ...resolved.environment },
      secrets,
      ports: [KONG_PORTS.proxyHttp, KONG_PORTS.proxyHttps, KONG_PORTS.status],
      credentials,
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      logging: props.accessLogDestination
        ? addEcsLogRouter(this, {
            taskDefinition: this.taskDefinition,
            logs: props.accessLogDestination,
            dataPlaneName: this.dataPlaneName,
            routerLogGroup: this.logGroup,
          })
        : kongAwsLogDriver(this.logGroup, this.dataPlaneName),
      environmentContents: 'role, endpoints, listeners, labels',
    });
    if (props.metricsDestination) {
      addEcsMetricsCollector(this, {
        taskDefinition: this.taskDefinition,
        metrics: props.metricsDestination,
        dataPlaneName: this.dataPlaneName,
        logGroup: this.logGroup,
      });
    }
    this.proxyLoadBalancer = new KongLoadBalancer(this, 'Proxy', {
      vpc,
      internetFacing: props.proxyInternetFacing ?? false,
      allowedCidrs: props.proxyAllowedCidrs,
      healthCheckPort: KONG_PORTS.status,
      healthCheckPath: STATUS_READY_PATH,
      deregistrationDelaySeconds: DEREGISTRATION_DELAY_SECONDS,
      ports: [
        { name: 'Http', listenerPort: 80, targetPort: KONG_PORTS.proxyHttp },
        { name: 'Https', listenerPort: 443, targetPort: KONG_PORTS.proxyHttps },
      ],
    });

    const allowAllOutbound = props.allowAllOutbound ?? true;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `Kong data plane ${this.dataPlaneName}: proxy and status from its load balancer only`,
      allowAllOutbound,
    });
    for (const port of [KONG_PORTS.proxyHttp, KONG_PORTS.proxyHttps, KONG_PORTS.status]) {
      this.securityGroup.addIngressRule(
        this.proxyLoadBalancer.securityGroup,
        ec2.Port.tcp(port),
        `${port} from the proxy load balancer`,
      );
    }
    if (!allowAllOutbound) {
      const egress = addControlPlaneEgress(this.securityGroup, cp, 'image pulls, Secrets Manager, CloudWatch Logs');
      for (const service of [props.redis, props.accessLogDestination]) {
        if (service && !egress.has(service.port)) {
          this.securityGroup.addEgressRule(service.securityGroup, ec2.Port.tcp(service.port), service.serviceName);
        }
      }
    }
    this.connections = this.securityGroup.connections;
    connectSharedServices(this, props, resolved, { role: this.taskDefinition.taskRole, peer: this.securityGroup });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      // No desiredCount: CloudFormation would reset an autoscaled service to it on every update.
      // The scalable target below raises a new service to minTasks when it is registered.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: taskSubnets,
      assignPublicIp: false,
      securityGroups: [this.securityGroup],
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
      healthCheckGracePeriod: Duration.seconds(HEALTH_CHECK_GRACE_SECONDS),
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    for (const [name, containerPort] of [
      ['Http', KONG_PORTS.proxyHttp],
      ['Https', KONG_PORTS.proxyHttps],
    ] as const) {
      this.proxyLoadBalancer.targetGroups[name].addTarget(
        this.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort }),
      );
    }
    if (props.enableExecuteCommand) {
      acknowledgeNag(
        this.taskDefinition,
        'IAM5',
        'ECS Exec opens its session channels through ssmmessages, which has no resource-level permissions',
        ['Resource::*'],
      );
    }

    this.scalableTarget = this.addScaling(minTasks, maxTasks, targetCpuPercent, targetConnectionsPerTask);

    // Kong reads its certificate only at start: the first tasks wait for the certificate, and a
    // rotation starts a new deployment (granted in a policy of its own, so no cycle).
    this.service.node.addDependency(credentials.ready);
    credentials.certificate.addEcsServiceRollout(this.service);

    new CfnOutput(this, 'ProxyEndpoint', {
      value: this.proxyLoadBalancer.loadBalancer.loadBalancerDnsName,
      description: `Kong proxy of data plane ${this.dataPlaneName}`,
    });
  }

  /**
   * Two target-tracking policies: CPU, and concurrent connections per task. Application Auto
   * Scaling scales out when either asks and in only when both agree.
   */
  private addScaling(
    minTasks: number,
    maxTasks: number,
    targetCpuPercent: number,
    targetConnectionsPerTask: number,
  ): appscaling.ScalableTarget {
    const stack = Stack.of(this);
    const target = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: `service/${this.cluster.clusterName}/${this.service.serviceName}`,
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: minTasks,
      maxCapacity: maxTasks,
      // The service-linked role, as ecs.BaseService.autoScaleTaskCount uses: no role to create.
      role: iam.Role.fromRoleArn(
        this,
        'ScalingRole',
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
          resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
        }),
      ),
    });
    target.scaleToTrackMetric('CpuScaling', {
      predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: targetCpuPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });

    // NLBs publish no request count: ActiveFlowCount (concurrent TCP flows) over the healthy
    // targets is the per-task load. The L2 policy takes only direct metrics, hence the L1 with
    // a metric-math query. Every task is in both target groups, so either one counts the tasks.
    const flows = this.proxyLoadBalancer.loadBalancer.metrics.activeFlowCount({ statistic: 'Average' });
    const healthy = this.proxyLoadBalancer.targetGroups.Https.metrics.healthyHostCount({ statistic: 'Average' });
    new appscaling.CfnScalingPolicy(this, 'ConnectionScaling', {
      policyName: `${Names.uniqueId(this)}ConnectionScaling`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: targetConnectionsPerTask,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            metricQuery('flows', flows),
            metricQuery('tasks', healthy),
            {
              id: 'connectionsPerTask',
              expression: 'flows / tasks',
              label: 'Active connections per healthy Kong task',
              returnData: true,
            },
          ],
        },
      },
    });
    return target;
  }
}

/** A metric as an input (not the result) of a target-tracking metric-math query. */
function metricQuery(
  id: string,
  metric: cloudwatch.Metric,
): appscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty {
  const stat = metric.toMetricConfig().metricStat!;
  return {
    id,
    returnData: false,
    metricStat: {
      metric: {
        namespace: stat.namespace,
        metricName: stat.metricName,
        dimensions: (stat.dimensions ?? []).map((d) => ({ name: d.name, value: String(d.value) })),
      },
      stat: stat.statistic,
    },
  };
}

/**
 * How a data plane on ECS hands Kong its secrets: SecretRefs to the cluster credentials and the
 * license, which {@link ecsContainerSecrets} turns into container secrets. `clusterCa`: the
 * credentials hold a `ca` Kong verifies the control plane with (not with Konnect, see
 * dataPlaneUsesClusterCa).
 */
export function ecsSecretBindings(
  credentials: ClusterCredentials,
  licenseSecret: secretsmanager.ISecret | undefined,
  clusterCa: boolean = credentials.mode === 'pki',
): PlaneSecretBindings {
  return {
    clusterCert: secretRef(CLUSTER_CREDENTIALS_SECRET, 'cert'),
    clusterCertKey: secretRef(CLUSTER_CREDENTIALS_SECRET, 'key'),
    clusterCaCert: clusterCa ? secretRef(CLUSTER_CREDENTIALS_SECRET, 'ca') : undefined,
    license: licenseSecret ? secretRef(LICENSE_SECRET, WHOLE_SECRET) : undefined,
  };
}

/** The container secrets of rendered Kong settings whose secrets came from {@link ecsSecretBindings}. */
export function ecsContainerSecrets(
  secrets: Readonly<Record<string, SecretRef>>,
  credentials: ClusterCredentials,
  licenseSecret: secretsmanager.ISecret | undefined,
  where: string,
): Record<string, ecs.Secret> {
  return Object.fromEntries(
    Object.entries(secrets).map(([name, ref]) => [
      name,
      containerSecret(ref, credentials, licenseSecret, `${where}.secrets.${name}`),
    ]),
  );
}

/** The ECS secret for a SecretRef of the rendered settings. */
function containerSecret(
  ref: SecretRef,
  credentials: ClusterCredentials,
  licenseSecret: secretsmanager.ISecret | undefined,
  where: string,
): ecs.Secret {
  if (ref.secretName === CLUSTER_CREDENTIALS_SECRET) return ecs.Secret.fromSecretsManager(credentials.secret, ref.key);
  if (ref.secretName === LICENSE_SECRET && licenseSecret) return ecs.Secret.fromSecretsManager(licenseSecret);
  throw new KongFleetError(where, 'refers to a secret this data plane does not have', {
    got: ref,
    expected: `the ${CLUSTER_CREDENTIALS_SECRET} or ${LICENSE_SECRET} secret`,
  });
}

/** What {@link addKongContainer} needs besides the task definition. */
export interface KongContainerOptions {
  readonly kongVersion: string;
  /** Plain environment: Kong's non-secret settings and what Kong's AWS clients read. */
  readonly environment: Record<string, string>;
  readonly secrets: Record<string, ecs.Secret>;
  readonly credentials: ClusterCredentials;
  readonly stopTimeout: Duration;
  readonly logging: ecs.LogDriver;
  /** Container ports (proxy and status); none for a node that serves no traffic. */
  readonly ports?: number[];
  /** What the plain environment holds, for the ECS2 acknowledgement. */
  readonly environmentContents: string;
}

/**
 * Kong's container in a Fargate task, the same for every ECS node kong-fleet runs (data planes and
 * the fallback exporter): the pinned `kong/kong-gateway` image, secrets only as container secrets,
 * a liveness check (`kong health`; readiness is the load balancer's `/status/ready`, so a
 * control-plane outage does not make ECS replace nodes that still serve their last config), and a
 * writable root filesystem. Kong writes its prefix (/usr/local/kong: nginx.conf, .kong_env, pids,
 * sockets, default TLS certificates) at every start; Fargate's scratch volumes are root-owned 0755
 * and the image, which runs as the non-root `kong` user, declares no VOLUME to give them its
 * ownership, so a read-only root filesystem would need Kong to run as root.
 */
export function addKongContainer(
  taskDefinition: ecs.FargateTaskDefinition,
  options: KongContainerOptions,
): ecs.ContainerDefinition {
  const container = taskDefinition.addContainer(CONTAINER_NAME, {
    image: ecs.ContainerImage.fromRegistry(`${KONG_GATEWAY_IMAGE}:${options.kongVersion}`),
    essential: true,
    environment: { ...options.environment },
    secrets: options.secrets,
    ...(options.ports
      ? { portMappings: options.ports.map((containerPort) => ({ containerPort, protocol: ecs.Protocol.TCP })) }
      : {}),
    healthCheck: {
      command: ['CMD-SHELL', 'kong health'],
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(30),
    },
    stopTimeout: options.stopTimeout,
    readonlyRootFilesystem: false,
    logging: options.logging,
  });
  const credentials = options.credentials;
  if (credentials.encryptionKey && !credentials.secret.encryptionKey) {
    // An imported secret does not know its key; the execution role decrypts it at task start.
    credentials.encryptionKey.grantDecrypt(taskDefinition.obtainExecutionRole());
  }
  acknowledgeNag(
    taskDefinition,
    'ECS2',
    `the environment holds only non-secret Kong settings (${options.environmentContents}); the cluster certificate, key, CA and license are container secrets read from Secrets Manager`,
  );
  return container;
}

/** Kong's logs to CloudWatch: a gateway must not stall on a slow log backend (a full buffer drops lines). */
export function kongAwsLogDriver(logGroup: logs.ILogGroup, streamPrefix: string): ecs.LogDriver {
  return ecs.LogDrivers.awsLogs({
    logGroup,
    streamPrefix,
    mode: ecs.AwsLogDriverMode.NON_BLOCKING,
    maxBufferSize: Size.mebibytes(25),
  });
}

/**
 * Egress of a Kong node whose security group allows nothing by default: HTTPS (`httpsPurpose`) and
 * the control plane's cluster and telemetry ports, to any address (the control plane may sit in
 * another VPC, region or account, reached over the internet with mTLS). Returns the ports opened.
 */
export function addControlPlaneEgress(
  securityGroup: ec2.SecurityGroup,
  cp: IKongControlPlaneConnection,
  httpsPurpose: string,
): Set<number> {
  const egress = new Map<number, string>([[443, `HTTPS: ${httpsPurpose}`]]);
  for (const [endpoint, what] of [
    [cp.clusterEndpoint, 'control plane cluster endpoint'],
    [cp.telemetryEndpoint, 'control plane telemetry endpoint'],
  ] as const) {
    if (!egress.has(endpoint.port)) {
      egress.set(endpoint.port, `${what} (${formatHostPort(endpoint.host, endpoint.port)})`);
    }
  }
  for (const [port, description] of egress) {
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), description);
  }
  return new Set(egress.keys());
}

/** Availability Zones of the subnets the tasks would use; none when the VPC has no such subnets. */
export function privateZones(vpc: ec2.IVpc, selection: ec2.SubnetSelection): string[] {
  try {
    return vpc.selectSubnets(selection).availabilityZones;
  } catch {
    return [];
  }
}

/** Checks a task size against the CPU/memory combinations Fargate offers (defaults 1024 / 2048). */
export function validateFargateSizing(
  props: Pick<KongDataPlaneEcsProps, 'cpu' | 'memoryMiB'>,
  where: string,
): { cpu: number; memoryMiB: number } {
  const cpu = props.cpu ?? 1024;
  const memoryMiB = props.memoryMiB ?? 2048;
  if (Token.isUnresolved(cpu) || Token.isUnresolved(memoryMiB)) return { cpu, memoryMiB };
  const offered = FARGATE_MEMORY_MIB.get(cpu);
  if (!offered) {
    throw new KongFleetError(`${where}.cpu`, 'is not a Fargate task size', {
      got: cpu,
      expected: [...FARGATE_MEMORY_MIB.keys()].join(', '),
    });
  }
  if (!offered.includes(memoryMiB)) {
    throw new KongFleetError(`${where}.memoryMiB`, `is not offered by Fargate with cpu ${cpu}`, {
      got: memoryMiB,
      expected: `${offered[0]}-${offered[offered.length - 1]} in steps of ${offered[1] - offered[0]}`,
    });
  }
  return { cpu, memoryMiB };
}

function checkInteger(value: number, where: string, min: number, problem: string, max?: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    throw new KongFleetError(where, problem, {
      got: value,
      expected: max === undefined ? `an integer ≥ ${min}` : `an integer ${min}-${max}`,
    });
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(cidr: string, where: string): void {
  if (typeof cidr === 'string' && Token.isUnresolved(cidr)) return;
  const match = typeof cidr === 'string' ? IPV4_CIDR.exec(cidr) : null;
  const parts = match ? match.slice(1).map(Number) : [];
  if (!match || parts.slice(0, 4).some((o) => o > 255) || parts[4] > 32) {
    throw new KongFleetError(where, 'is not an IPv4 CIDR', { got: cidr, expected: 'e.g. 10.0.0.0/16 or 0.0.0.0/0' });
  }
}
