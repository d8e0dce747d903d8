import { CustomResource, CustomResourceProps, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GRAFANA_DASHBOARD_RESOURCE_TYPE, GRAFANA_PROVISIONER_ACTIONS } from '../handlers/grafana-dashboard/contract';
import { KongHandlerProvider } from './kong-handler-provider';

/**
 * The grafana-dashboard Lambda function and its Provider, once per stack. Each Grafana workspace
 * that installs the Kong dashboard grants the function the service-account actions on that
 * workspace only ({@link GrafanaDashboardHandler.grantWorkspace}).
 */
export class GrafanaDashboardHandler extends KongHandlerProvider {
  /** The handler of `scope`'s stack, created on first use. */
  public static of(scope: Construct): GrafanaDashboardHandler {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(GrafanaDashboardHandler.ID);
    return existing instanceof GrafanaDashboardHandler
      ? existing
      : new GrafanaDashboardHandler(stack, GrafanaDashboardHandler.ID);
  }

  private static readonly ID = 'KongGrafanaDashboardHandler';

  private constructor(scope: Construct, id: string) {
    super(scope, id, {
      handler: 'grafana-dashboard',
      title: 'Kong Grafana dashboard handler',
      description: 'Installs the AMP data source and the Kong dashboard in an Amazon Managed Grafana workspace',
      // A handful of AMG and Grafana API calls, each with its own 20 s timeout.
      timeout: Duration.minutes(2),
    });
  }

  /** Lets the function manage service accounts and their tokens of this one workspace. */
  public grantWorkspace(workspaceArn: string): void {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...GRAFANA_PROVISIONER_ACTIONS], resources: [workspaceArn] }),
    );
  }

  /** A {@link GRAFANA_DASHBOARD_RESOURCE_TYPE} custom resource served by this handler. */
  public customResource(scope: Construct, id: string, properties: CustomResourceProps['properties']): CustomResource {
    return this.serve(scope, id, GRAFANA_DASHBOARD_RESOURCE_TYPE, properties);
  }
}
