import { CustomResource, CustomResourceProps, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { GRAFANA_DASHBOARD_RESOURCE_TYPE, GRAFANA_PROVISIONER_ACTIONS } from '../handlers/grafana-dashboard/contract';
import { acknowledgeNag, frameworkFunctionFindings, managedPolicyFinding } from './acknowledge';
import { createEncryptionKey } from './encryption';
import { handlerAssetPath } from './handler-assets';

/**
 * The grafana-dashboard Lambda function and its Provider, once per stack. Each Grafana workspace
 * that installs the Kong dashboard grants the function the service-account actions on that
 * workspace only ({@link GrafanaDashboardHandler.grantWorkspace}).
 */
export class GrafanaDashboardHandler extends Construct {
  /** The handler of `scope`'s stack, created on first use. */
  public static of(scope: Construct): GrafanaDashboardHandler {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(GrafanaDashboardHandler.ID);
    return existing instanceof GrafanaDashboardHandler
      ? existing
      : new GrafanaDashboardHandler(stack, GrafanaDashboardHandler.ID);
  }

  private static readonly ID = 'KongGrafanaDashboardHandler';

  public readonly function: lambda.Function;
  /** Encrypts the handler's logs. */
  public readonly logKey: kms.IKey;
  private readonly provider: cr.Provider;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.logKey = createEncryptionKey(this, 'LogKey', 'Encrypts the logs of the Kong Grafana dashboard handler');
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.onEvent',
      code: lambda.Code.fromAsset(handlerAssetPath('grafana-dashboard')),
      // A handful of AMG and Grafana API calls, each with its own 20 s timeout.
      timeout: Duration.minutes(2),
      memorySize: 256,
      description: 'Installs the AMP data source and the Kong dashboard in an Amazon Managed Grafana workspace',
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: this.logKey }),
    });
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
      'the Grafana dashboard handler and the Provider framework use AWSLambdaBasicExecutionRole for their own log streams only',
      [managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole')],
    );
    acknowledgeNag(
      this,
      'IAM5',
      'the Provider framework (aws-cdk-lib) may invoke every version of its onEvent function',
      frameworkFunctionFindings(this).filter((f) => f.startsWith('Resource::')),
    );
    acknowledgeNag(
      this,
      'L1',
      'handlers run on Node.js 22, the newest runtime kong-fleet bundles for; the Provider framework picks its own',
    );
  }

  /** Lets the function manage service accounts and their tokens of this one workspace. */
  public grantWorkspace(workspaceArn: string): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...GRAFANA_PROVISIONER_ACTIONS], resources: [workspaceArn] }),
    );
  }

  /** A {@link GRAFANA_DASHBOARD_RESOURCE_TYPE} custom resource served by this handler. */
  public customResource(scope: Construct, id: string, properties: CustomResourceProps['properties']): CustomResource {
    return new CustomResource(scope, id, {
      serviceToken: this.provider.serviceToken,
      resourceType: GRAFANA_DASHBOARD_RESOURCE_TYPE,
      properties,
    });
  }
}
