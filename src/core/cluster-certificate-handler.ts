import { CustomResource, CustomResourceProps, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { CERTIFICATE_METRICS, CLUSTER_CERTIFICATE_RESOURCE_TYPE } from '../handlers/cluster-certificate/contract';
import { acknowledgeNag, frameworkFunctionFindings, managedPolicyFinding } from './acknowledge';
import { createEncryptionKey } from './encryption';
import { handlerAssetPath } from './handler-assets';

/**
 * The cluster-certificate Lambda function and its Provider, once per stack: every
 * {@link ClusterCertificate} of the stack (the shared pair, the CP's, each DP's) uses the same
 * function for its custom resource and its scheduled rotation check. Each certificate grants the
 * function exactly what it needs (its secret, its CA, its rollout targets).
 */
export class ClusterCertificateHandler extends Construct {
  /** The handler of `scope`'s stack, created on first use. */
  public static of(scope: Construct): ClusterCertificateHandler {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ClusterCertificateHandler.ID);
    return existing instanceof ClusterCertificateHandler
      ? existing
      : new ClusterCertificateHandler(stack, ClusterCertificateHandler.ID);
  }

  private static readonly ID = 'KongClusterCertificateHandler';

  public readonly function: lambda.Function;
  /** Encrypts the handler's logs. */
  public readonly logKey: kms.IKey;
  private readonly provider: cr.Provider;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.logKey = createEncryptionKey(this, 'LogKey', 'Encrypts the logs of the Kong cluster certificate handler');
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.onEvent',
      code: lambda.Code.fromAsset(handlerAssetPath('cluster-certificate')),
      // pki issuance polls ACM Private CA; rollouts may wait for a cancelled instance refresh.
      timeout: Duration.minutes(5),
      memorySize: 256,
      description: 'Issues, copies and rotates Kong cluster mTLS certificates in Secrets Manager',
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: this.logKey }),
    });
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': CERTIFICATE_METRICS.namespace } },
      }),
    );
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        encryptionKey: this.logKey,
      }),
    });
    acknowledgeNag(
      this,
      'IAM4',
      'the certificate handler and the Provider framework use AWSLambdaBasicExecutionRole for their own log streams only',
      [managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole')],
    );
    acknowledgeNag(
      this,
      'IAM5',
      'PutMetricData has no resource type; the statement is limited to the KongFleet namespace by condition. The Provider framework (aws-cdk-lib) may invoke every version of its onEvent function',
      ['Resource::*', ...frameworkFunctionFindings(this).filter((f) => f.startsWith('Resource::'))],
    );
    acknowledgeNag(
      this,
      'L1',
      'handlers run on Node.js 22, the newest runtime kong-fleet bundles for; the Provider framework picks its own',
    );
  }

  /** A custom resource served by this handler (a cluster certificate unless `resourceType` says otherwise). */
  public customResource(
    scope: Construct,
    id: string,
    properties: CustomResourceProps['properties'],
    resourceType: string = CLUSTER_CERTIFICATE_RESOURCE_TYPE,
  ): CustomResource {
    return new CustomResource(scope, id, {
      serviceToken: this.provider.serviceToken,
      resourceType,
      properties,
    });
  }
}
