import { CustomResource, CustomResourceProps, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CERTIFICATE_METRICS, CLUSTER_CERTIFICATE_RESOURCE_TYPE } from '../handlers/cluster-certificate/contract';
import { KongHandlerProvider } from './kong-handler-provider';

/**
 * The cluster-certificate Lambda function and its Provider, once per stack: every
 * {@link ClusterCertificate} of the stack (the shared pair, the CP's, each DP's) uses the same
 * function for its custom resource and its scheduled rotation check. Each certificate grants the
 * function exactly what it needs (its secret, its CA, its rollout targets).
 */
export class ClusterCertificateHandler extends KongHandlerProvider {
  /** The handler of `scope`'s stack, created on first use. */
  public static of(scope: Construct): ClusterCertificateHandler {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ClusterCertificateHandler.ID);
    return existing instanceof ClusterCertificateHandler
      ? existing
      : new ClusterCertificateHandler(stack, ClusterCertificateHandler.ID);
  }

  private static readonly ID = 'KongClusterCertificateHandler';

  private constructor(scope: Construct, id: string) {
    super(scope, id, {
      handler: 'cluster-certificate',
      title: 'Kong cluster certificate handler',
      description: 'Issues, copies and rotates Kong cluster mTLS certificates in Secrets Manager',
      // pki issuance polls ACM Private CA; rollouts may wait for a cancelled instance refresh.
      timeout: Duration.minutes(5),
      statements: [
        new iam.PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': CERTIFICATE_METRICS.namespace } },
        }),
      ],
      wildcardReason:
        'PutMetricData has no resource type; the statement is limited to the KongFleet namespace by condition',
    });
  }

  /** A custom resource served by this handler (a cluster certificate unless `resourceType` says otherwise). */
  public customResource(
    scope: Construct,
    id: string,
    properties: CustomResourceProps['properties'],
    resourceType: string = CLUSTER_CERTIFICATE_RESOURCE_TYPE,
  ): CustomResource {
    return this.serve(scope, id, resourceType, properties);
  }
}
