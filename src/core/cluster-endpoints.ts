import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { Endpoint } from '../kong/config';
import { KONG_PORTS, STATUS_READY_PATH } from '../kong/ports';
import { KongLoadBalancer } from './kong-load-balancer';

/** What {@link addClusterEndpoints} needs from a control-plane construct. */
export interface ClusterEndpointsOptions {
  readonly vpc: ec2.IVpc;
  readonly hostedZone: route53.IHostedZone;
  readonly clusterHostname: string;
  readonly telemetryHostname: string;
  readonly internetFacing: boolean;
  readonly allowedCidrs?: string[];
  /** IP targets (pods) or instance targets (EC2). */
  readonly targetType?: elbv2.TargetType;
}

export interface ClusterEndpoints {
  readonly loadBalancer: KongLoadBalancer;
  /** `cluster_control_plane` for data planes. */
  readonly clusterEndpoint: Endpoint;
  /** `cluster_telemetry_endpoint` for data planes. */
  readonly telemetryEndpoint: Endpoint;
}

/**
 * A control plane's cluster (8005) and telemetry (8006) endpoints, the same on every runtime: a
 * TCP NLB owned by CloudFormation with targets healthy on `/status/ready`, and a Route 53 alias per
 * name. Created directly under `scope` (construct IDs `ClusterEndpoints`, `ClusterRecord`,
 * `TelemetryRecord`), so the control plane's logical IDs do not depend on this helper.
 */
export function addClusterEndpoints(scope: Construct, options: ClusterEndpointsOptions): ClusterEndpoints {
  const loadBalancer = new KongLoadBalancer(scope, 'ClusterEndpoints', {
    vpc: options.vpc,
    internetFacing: options.internetFacing,
    allowedCidrs: options.allowedCidrs,
    targetType: options.targetType,
    healthCheckPort: KONG_PORTS.status,
    healthCheckPath: STATUS_READY_PATH,
    // Long-lived DP websocket connections: give them time to move on a CP rollout.
    deregistrationDelaySeconds: 60,
    ports: [
      { name: 'Cluster', listenerPort: KONG_PORTS.cluster, targetPort: KONG_PORTS.cluster },
      { name: 'Telemetry', listenerPort: KONG_PORTS.clusterTelemetry, targetPort: KONG_PORTS.clusterTelemetry },
    ],
  });
  for (const [id, hostname] of [
    ['ClusterRecord', options.clusterHostname],
    ['TelemetryRecord', options.telemetryHostname],
  ] as const) {
    new route53.ARecord(scope, id, {
      zone: options.hostedZone,
      recordName: hostname,
      target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(loadBalancer.loadBalancer)),
    });
  }
  return {
    loadBalancer,
    clusterEndpoint: { host: options.clusterHostname, port: loadBalancer.listenerPorts.Cluster },
    telemetryEndpoint: { host: options.telemetryHostname, port: loadBalancer.listenerPorts.Telemetry },
  };
}
