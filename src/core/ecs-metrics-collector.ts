import { Duration, Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ADOT_COLLECTOR, adotCollectorImage, kongMetricsCollectorConfig } from '../kong/metrics-collection';
import { acknowledgeNag } from './acknowledge';
import { grantMetricsWrite, IKongMetricsDestination } from './shared-services';

/** Container name of the metrics collector sidecar. */
export const ECS_METRICS_COLLECTOR_CONTAINER = 'kong-metrics-collector';

/** What {@link addEcsMetricsCollector} needs. */
export interface EcsMetricsCollectorProps {
  /** The data plane's task definition (Kong's container serves the Status API on 8100). */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The AMP workspace the metrics go to. */
  readonly metrics: IKongMetricsDestination;
  /** The data plane's name (the `kong_data_plane` label). */
  readonly dataPlaneName: string;
  /** Log group of the collector's own logs. */
  readonly logGroup: logs.ILogGroup;
}

// The collector's working set for one target is a few tens of MiB; the hard limit sits above the
// memory_limiter's 200 MiB so the limiter, not the OOM killer, acts first.
const MEMORY_RESERVATION_MIB = 128;
const MEMORY_LIMIT_MIB = 256;

/**
 * Adds an ADOT collector sidecar to a Kong data plane's Fargate task: it scrapes Kong's `/metrics`
 * on `localhost:8100` every 30 s and remote-writes to AMP with SigV4, signed with the task role,
 * which gets `aps:RemoteWrite` on the workspace only (a policy in `scope`). The configuration is
 * passed in `AOT_CONFIG_CONTENT` (no file, no extra permission). The sidecar is not essential and
 * restarts when it exits: a collector failure never stops Kong.
 */
export function addEcsMetricsCollector(scope: Construct, props: EcsMetricsCollectorProps): ecs.ContainerDefinition {
  const { yaml } = kongMetricsCollectorConfig({
    remoteWriteUrl: props.metrics.remoteWriteUrl,
    region: props.metrics.region,
    dataPlaneName: props.dataPlaneName,
    runtime: 'ecs',
    where: `${scope.node.path}.metrics`,
  });
  const container = props.taskDefinition.addContainer(ECS_METRICS_COLLECTOR_CONTAINER, {
    image: ecs.ContainerImage.fromRegistry(adotCollectorImage()),
    essential: false,
    enableRestartPolicy: true,
    environment: { [ADOT_COLLECTOR.configEnvironmentVariable]: yaml },
    memoryReservationMiB: MEMORY_RESERVATION_MIB,
    memoryLimitMiB: MEMORY_LIMIT_MIB,
    // In a container the collector logs to stdout only and writes no file.
    readonlyRootFilesystem: true,
    // The image has no shell: its own /healthcheck binary asks the health_check extension.
    healthCheck: {
      command: ['CMD', '/healthcheck'],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(15),
    },
    logging: ecs.LogDrivers.awsLogs({
      logGroup: props.logGroup,
      streamPrefix: `${props.dataPlaneName}-metrics`,
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(4),
    }),
  });
  grantMetricsWrite(scope, 'MetricsRemoteWrite', props.taskDefinition.taskRole, props.metrics);
  acknowledgeNag(
    props.taskDefinition,
    'ECS2',
    `${ADOT_COLLECTOR.configEnvironmentVariable} holds the collector configuration only (scrape target, labels, remote-write URL, region); the collector signs with the task role and has no secret`,
  );
  return container;
}
