import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import { fireLensOpenSearchOptions } from '../kong/log-shipping';
import { grantLogWrite, IKongLogDestination } from './shared-services';

/**
 * AWS for Fluent Bit, pinned to an immutable version tag as its maintainers advise (README,
 * "Guidance on consuming versions"). 3.4.5 is the Amazon Linux 2023 line with Fluent Bit v5.0.7
 * (aws/aws-for-fluent-bit linux.version, `"publish": "true"`); the 2.x line (Amazon Linux 2, Fluent
 * Bit 1.9.10) was still the `stable` designation then.
 */
export const AWS_FOR_FLUENT_BIT_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.5';

/**
 * A configuration bundled in the image (configs/parse-json.conf, added in the image's build): a
 * parser filter that replaces each record's `log` string with the JSON object it holds, keeping
 * FireLens' ECS metadata (`Reserve_Data`). Fargate can only load such a file from the image.
 */
export const FIRELENS_PARSE_JSON_CONFIG = '/fluent-bit/configs/parse-json.conf';

/** Name of the FireLens container. */
export const LOG_ROUTER_CONTAINER_NAME = 'log-router';

/** Properties of {@link addEcsLogRouter}. */
export interface EcsLogRouterProps {
  /** The task definition of Kong's data plane; it must not have a log router yet. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The OpenSearch domain that takes the access log. */
  readonly logs: IKongLogDestination;
  /** The data plane: its records go to `kong-<dataPlaneName>-YYYY.MM.DD`. */
  readonly dataPlaneName: string;
  /** Where the router writes its own log (awslogs). */
  readonly routerLogGroup: logs.ILogGroup;
}

/**
 * Ships the stdout/stderr of the containers that use the returned log driver to OpenSearch through
 * a FireLens log router (AWS for Fluent Bit) in the same task: the router parses each JSON line
 * (Kong's access log; Kong's error log on stderr keeps its text in `log`), adds the task's ECS
 * metadata and writes with SigV4 after assuming the destination's writer role — the task role may
 * assume that role and nothing else. The caller sets the driver as the Kong container's `logging`
 * and opens the network path with `allowServiceAccess(logs, <the service's security group>)`.
 */
export function addEcsLogRouter(scope: Construct, props: EcsLogRouterProps): ecs.LogDriver {
  const where = `${scope.node.path}.taskDefinition`;
  const task = props.taskDefinition;
  const existing = task.node.children.find((c): c is ecs.FirelensLogRouter => c instanceof ecs.FirelensLogRouter);
  if (existing) {
    throw new KongFleetError(where, 'the task definition already has a FireLens log router', {
      got: existing.containerName,
      expected: 'a task definition without a log router (one router per task)',
    });
  }
  // Validate before anything is added to the task definition.
  const options = fireLensOpenSearchOptions(
    {
      host: props.logs.endpoint,
      port: props.logs.port,
      region: Stack.of(task).region,
      roleArn: props.logs.writerRole.roleArn,
      dataPlaneName: props.dataPlaneName,
    },
    `${scope.node.path}.accessLogs`,
  );
  task.addFirelensLogRouter(LOG_ROUTER_CONTAINER_NAME, {
    image: ecs.ContainerImage.fromRegistry(AWS_FOR_FLUENT_BIT_IMAGE),
    essential: true,
    // What AWS's FireLens examples and CDK's own default router reserve; a soft limit, not a cap.
    memoryReservationMiB: 50,
    firelensConfig: {
      type: ecs.FirelensLogRouterType.FLUENTBIT,
      options: {
        enableECSLogMetadata: true,
        configFileType: ecs.FirelensConfigFileType.FILE,
        configFileValue: FIRELENS_PARSE_JSON_CONFIG,
      },
    },
    logging: ecs.LogDrivers.awsLogs({ logGroup: props.routerLogGroup, streamPrefix: 'firelens' }),
  });
  grantLogWrite(scope, 'AccessLogWriter', task.taskRole, props.logs);
  return ecs.LogDrivers.firelens({ options });
}
