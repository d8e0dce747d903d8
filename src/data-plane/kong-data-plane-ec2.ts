import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { KongHybridConfig } from '../kong/config';
import { secretRef } from '../kong/config';
import { PlaneSecretBindings } from '../kong/data-plane';
import { formatHostPort } from '../kong/net';
import { KONG_PORTS, STATUS_READY_PATH } from '../kong/ports';
import {
  connectSharedServices,
  dataPlaneKongConfig,
  dataPlaneUsesClusterCa,
  KongDataPlaneBaseProps,
  resolveDataPlane,
} from '../core/data-plane-settings';
import { grantLogWrite, grantMetricsWrite } from '../core/shared-services';
import { EC2_ACCESS_LOG_TARGET, ec2LogShippingScript } from '../kong/log-shipping';
import { ec2MetricsCollectorScript } from '../kong/metrics-collection';
import { KongEc2InstanceProps, KongEc2Instances, kongEc2Sizing, KongEc2Secret } from '../core/kong-ec2-instances';
import { clusterCredentialRef, KONG_EC2_SECRETS, WHOLE_SECRET } from '../kong/ec2-user-data';
import { KongLoadBalancer } from '../core/kong-load-balancer';
import { KongVpc } from '../core/kong-vpc';

/** Properties of {@link KongDataPlaneEc2}. */
export interface KongDataPlaneEc2Props extends KongDataPlaneBaseProps, KongEc2InstanceProps {
  /**
   * VPC of the instances and the proxy load balancer.
   * @default - a new VPC across two AZs with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Minimum instances, spread across AZs.
   * @default 2
   */
  readonly minCapacity?: number;

  /**
   * Maximum instances; above `minCapacity`.
   * @default 10
   */
  readonly maxCapacity?: number;
}

// Install, then the first configuration from the control plane.
const READY_TIMEOUT = Duration.minutes(20);

/**
 * A Kong Gateway data plane (`role=data_plane`, `database=off`) on EC2 that joins a control plane
 * over mTLS: an Auto Scaling group of Amazon Linux 2023 instances ({@link KongEc2Instances}; at
 * least 2 across AZs, CPU target tracking) running `kong-enterprise-edition-<kongVersion>` under
 * systemd, with the cluster certificate (files, 0600) and the license (root-only EnvironmentFile)
 * read from Secrets Manager at boot, and the proxy (80/443 → 8000/8443) behind a TCP NLB with
 * instance targets and readiness on `/status/ready`.
 *
 * A new instance signals CloudFormation once it has its configuration from the control plane:
 * `/status/ready` answers 200, or 503 "empty configuration present" while the fleet has nothing
 * configured yet (the node is connected and synced; there is nothing to serve). A certificate
 * rotation starts an instance refresh that launches before it terminates.
 */
export class KongDataPlaneEc2 extends Construct {
  public readonly dataPlaneName: string;
  public readonly kongVersion: string;
  public readonly vpc: ec2.IVpc;
  public readonly proxyLoadBalancer: KongLoadBalancer;
  public readonly instances: KongEc2Instances;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instances' security group, e.g. to let them reach an upstream. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** `cluster_control_plane` this data plane uses. */
  public readonly clusterControlPlane: string;
  /** `cluster_telemetry_endpoint` this data plane uses. */
  public readonly clusterTelemetryEndpoint: string;
  /** The kong.conf the instances run with (no secret in it). */
  public readonly kongConf: string;
  /** The Kong settings of this data plane (the same model every runtime renders). */
  public readonly kongConfig: KongHybridConfig;
  /** The instances' boot script (tokens unresolved; no secret in it). */
  public readonly userData: string;

  constructor(scope: Construct, id: string, props: KongDataPlaneEc2Props) {
    super(scope, id);
    const where = this.node.path;
    const cp = props.controlPlane;
    const resolved = resolveDataPlane(this, props, { accessLogTarget: EC2_ACCESS_LOG_TARGET });
    const { definition, targetCpuPercent, licenseSecret } = resolved;
    this.dataPlaneName = definition.dataPlaneName;
    this.kongVersion = definition.kongVersion;
    const sizing = kongEc2Sizing(props, 10, where);

    this.vpc = props.vpc ?? new KongVpc(this, 'Vpc').vpc;
    this.proxyLoadBalancer = new KongLoadBalancer(this, 'Proxy', {
      vpc: this.vpc,
      internetFacing: props.proxyInternetFacing ?? false,
      allowedCidrs: props.proxyAllowedCidrs,
      targetType: elbv2.TargetType.INSTANCE,
      healthCheckPort: KONG_PORTS.status,
      healthCheckPath: STATUS_READY_PATH,
      ports: [
        { name: 'Http', listenerPort: 80, targetPort: KONG_PORTS.proxyHttp },
        { name: 'Https', listenerPort: 443, targetPort: KONG_PORTS.proxyHttps },
      ],
    });

    const credentials = cp.trust.dataPlaneCredentials(this, this.dataPlaneName);
    const bindings: PlaneSecretBindings = {
      clusterCert: clusterCredentialRef('cert'),
      clusterCertKey: clusterCredentialRef('key'),
      clusterCaCert: dataPlaneUsesClusterCa(cp, credentials) ? clusterCredentialRef('ca') : undefined,
      license: licenseSecret ? secretRef(KONG_EC2_SECRETS.license, WHOLE_SECRET) : undefined,
    };
    const config = (this.kongConfig = dataPlaneKongConfig(definition, credentials, bindings, where));
    this.clusterControlPlane = formatHostPort(cp.clusterEndpoint.host, cp.clusterEndpoint.port);
    this.clusterTelemetryEndpoint = formatHostPort(cp.telemetryEndpoint.host, cp.telemetryEndpoint.port);

    const secrets: Record<string, KongEc2Secret> = {
      [KONG_EC2_SECRETS.clusterCredentials]: { secret: credentials.secret, encryptionKey: credentials.encryptionKey },
    };
    if (licenseSecret) secrets[KONG_EC2_SECRETS.license] = { secret: licenseSecret };
    const architecture = sizing.architecture === ec2.InstanceArchitecture.ARM_64 ? 'arm64' : 'x86_64';
    const region = Stack.of(this).region;
    const logs = props.accessLogDestination;
    const metrics = props.metricsDestination;
    const extraBootSteps = [
      ...(logs
        ? [
            ec2LogShippingScript({
              host: logs.endpoint,
              region,
              roleArn: logs.writerRole.roleArn,
              dataPlaneName: this.dataPlaneName,
              accessLogPath: EC2_ACCESS_LOG_TARGET,
              architecture,
            }),
          ]
        : []),
      ...(metrics
        ? [
            ec2MetricsCollectorScript({
              remoteWriteUrl: metrics.remoteWriteUrl,
              region: metrics.region,
              dataPlaneName: this.dataPlaneName,
              architecture,
            }),
          ]
        : []),
    ];
    this.instances = new KongEc2Instances(this, 'Instances', {
      vpc: this.vpc,
      config,
      secrets,
      sizing,
      machineImage: props.machineImage,
      // Kong proxies to upstreams on ports this construct cannot know; the CP may be anywhere.
      allowAllOutbound: true,
      description: `Kong data plane ${this.dataPlaneName}`,
      readyTimeout: READY_TIMEOUT,
      extraBootSteps,
      // AWS_REGION of a fallback bucket in another region, for Kong's S3 client from its first start.
      processEnvironment: resolved.environment,
    });
    this.autoScalingGroup = this.instances.autoScalingGroup;
    this.securityGroup = this.instances.securityGroup;
    this.kongConf = this.instances.userData.kongConf;
    this.userData = this.instances.userData.script;

    for (const port of [KONG_PORTS.proxyHttp, KONG_PORTS.proxyHttps, KONG_PORTS.status]) {
      this.securityGroup.addIngressRule(
        this.proxyLoadBalancer.securityGroup,
        ec2.Port.tcp(port),
        `${port} from the proxy NLB`,
      );
    }
    this.proxyLoadBalancer.targetGroups.Http.addTarget(this.autoScalingGroup);
    this.proxyLoadBalancer.targetGroups.Https.addTarget(this.autoScalingGroup);
    this.autoScalingGroup.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: targetCpuPercent });

    this.instances.addCertificateRollout(credentials);

    const role = this.instances.role;
    connectSharedServices(this, props, resolved, { role, peer: this.securityGroup });
    if (logs) grantLogWrite(this, 'AccessLogsWrite', role, logs);
    if (metrics) grantMetricsWrite(this, 'MetricsWrite', role, metrics);

    new CfnOutput(this, 'ProxyEndpoint', {
      value: this.proxyLoadBalancer.loadBalancer.loadBalancerDnsName,
      description: `Kong proxy of data plane ${this.dataPlaneName}`,
    });
  }
}
