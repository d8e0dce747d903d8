import { ArnFormat, CustomResource, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GrafanaDashboardHandler } from '../core/grafana-dashboard-handler';
import { IKongMetricsDestination } from '../core/shared-services';
import { GRAFANA_DASHBOARD_PROPERTY as P } from '../handlers/grafana-dashboard/contract';
import { KongFleetError } from '../kong/errors';
import { KONG_GRAFANA_DASHBOARD_UID, kongGrafanaDashboard } from '../kong/grafana-dashboard';

/**
 * How users sign in to the Grafana workspace. Amazon Managed Grafana offers IAM Identity Center
 * and SAML 2.0 (AWS::Grafana::Workspace `AuthenticationProviders`).
 */
export class KongGrafanaAuthentication {
  /**
   * AWS IAM Identity Center (`AWS_SSO`). Identity Center must be enabled in the account (or its
   * organization) before the workspace is created, else the creation fails; users and groups are
   * then given workspace roles in the Grafana console or with `grafana update-permissions`.
   */
  public static readonly AWS_SSO = new KongGrafanaAuthentication('AWS_SSO');
  /**
   * A SAML 2.0 identity provider (`SAML`), configured with `samlConfiguration` or later in the
   * console. The alternative where Identity Center is not available.
   */
  public static readonly SAML = new KongGrafanaAuthentication('SAML');

  private constructor(
    /** CloudFormation's value. */
    public readonly value: string,
  ) {}
}

/**
 * Grafana version of the workspace, pinned so a deployment never upgrades by surprise (AMG only
 * upgrades in place, never downgrades). The Kong dashboard is written for Grafana 10.
 */
export const KONG_GRAFANA_VERSION = '10.4';

/** uid of the AMP data source the handler installs; the Kong dashboard's panels query it. */
export const KONG_GRAFANA_DATASOURCE_UID = 'kong-fleet-amp';

/** Actions of the workspace role on the AMP workspace: queries only (no write, no admin). */
export const AMP_QUERY_ACTIONS = ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'];

/** Properties of {@link KongGrafanaWorkspace}. */
export interface KongGrafanaWorkspaceProps {
  /** The AMP workspace with Kong's metrics: the workspace role may query it and nothing else. */
  readonly metrics: IKongMetricsDestination;

  /**
   * How users sign in. IAM Identity Center must be enabled first (see
   * {@link KongGrafanaAuthentication.AWS_SSO}); SAML is the alternative.
   * @default [KongGrafanaAuthentication.AWS_SSO]
   */
  readonly authenticationProviders?: KongGrafanaAuthentication[];

  /**
   * SAML settings (identity provider metadata, attribute and role mapping) when SAML is used.
   * @default - none: configure SAML in the Amazon Managed Grafana console
   */
  readonly samlConfiguration?: grafana.CfnWorkspace.SamlConfigurationProperty;

  /**
   * Grafana version (`major.minor`, one Amazon Managed Grafana offers; 10 or newer for the dashboard).
   * @default KONG_GRAFANA_VERSION
   */
  readonly grafanaVersion?: string;

  /**
   * Workspace name (letters, digits, `-`, `.`, `_`, `~`; at most 255).
   * @default - a unique name derived from the construct path
   */
  readonly workspaceName?: string;

  /**
   * Install the AMP data source and the Kong dashboard (a custom resource working through a
   * Grafana service account with short-lived tokens).
   * @default true
   */
  readonly installDashboard?: boolean;

  /**
   * Title of the Kong dashboard.
   * @default KONG_GRAFANA_DASHBOARD_TITLE ('Kong fleet')
   */
  readonly dashboardTitle?: string;

  /**
   * What happens to the workspace (and the dashboards users made in it) and its role when they
   * leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Characters CloudFormation accepts in a Grafana workspace name. */
const WORKSPACE_NAME = /^[a-zA-Z0-9-._~]{1,255}$/;

/**
 * An Amazon Managed Grafana workspace for a Kong fleet's metrics: this account only, customer-
 * managed permissions through a role that may only query the given AMP workspace, a pinned Grafana
 * version, plugin administration off, and (by default) the AMP data source and the Kong dashboard
 * installed by a custom resource. Optional: a fleet can use its own Grafana on {@link IKongMetricsDestination}.
 */
export class KongGrafanaWorkspace extends Construct {
  public readonly workspace: grafana.CfnWorkspace;
  /** `g-…`. */
  public readonly workspaceId: string;
  /** `arn:<partition>:grafana:<region>:<account>:/workspaces/<id>`. */
  public readonly workspaceArn: string;
  /** `https://<workspace endpoint>`, where users sign in. */
  public readonly workspaceUrl: string;
  /** The workspace's IAM role (Grafana's data sources sign their AMP queries as it). */
  public readonly role: iam.Role;
  /** The custom resource that installs the data source and the dashboard, when installed. */
  public readonly dashboard?: CustomResource;
  /** uid of the Kong dashboard, when installed. */
  public readonly dashboardUid?: string;

  constructor(scope: Construct, id: string, props: KongGrafanaWorkspaceProps) {
    super(scope, id);
    const where = this.node.path;
    const stack = Stack.of(this);
    const providers = props.authenticationProviders ?? [KongGrafanaAuthentication.AWS_SSO];
    const providerValues = [...new Set(providers.map((p) => p.value))];
    if (providers.length === 0 || providerValues.length !== providers.length) {
      throw new KongFleetError(`${where}.authenticationProviders`, 'needs at least one provider, each once', {
        got: providers.map((p) => p.value),
        expected: 'AWS_SSO and/or SAML',
      });
    }
    const installDashboard = props.installDashboard ?? true;
    const grafanaVersion = props.grafanaVersion ?? KONG_GRAFANA_VERSION;
    const versionMatch = /^(\d+)\.(\d+)$/.exec(grafanaVersion);
    if (!versionMatch || (installDashboard && Number(versionMatch[1]) < 10)) {
      throw new KongFleetError(`${where}.grafanaVersion`, 'not a Grafana version the workspace can run here', {
        got: grafanaVersion,
        expected: installDashboard
          ? 'major.minor, 10 or newer (the Kong dashboard is a Grafana 10 dashboard)'
          : 'major.minor, e.g. "10.4"',
      });
    }
    const name = props.workspaceName ?? Names.uniqueResourceName(this, { maxLength: 255, separator: '-' });
    if (!Token.isUnresolved(name) && !WORKSPACE_NAME.test(name)) {
      throw new KongFleetError(`${where}.workspaceName`, 'not a valid Grafana workspace name', {
        got: name,
        expected: '1 to 255 letters, digits, "-", ".", "_" or "~"',
      });
    }
    // Also fails early on a bad title, before any resource exists.
    const dashboardJson = installDashboard
      ? kongGrafanaDashboard({ datasourceUid: KONG_GRAFANA_DATASOURCE_UID, title: props.dashboardTitle })
      : undefined;

    // Amazon Managed Grafana assumes the role for this account's workspaces only (confused deputy);
    // the workspace ARN is not known before the role exists, hence the wildcard on the id.
    this.role = new iam.Role(this, 'Role', {
      description: 'Amazon Managed Grafana workspace role: queries the Kong metrics AMP workspace only',
      assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'grafana',
            resource: '/workspaces',
            resourceName: '*',
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        },
      }),
      inlinePolicies: {
        QueryKongMetrics: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: AMP_QUERY_ACTIONS, resources: [props.metrics.workspaceArn] }),
          ],
        }),
      },
    });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.role.applyRemovalPolicy(removalPolicy);

    this.workspace = new grafana.CfnWorkspace(this, 'Resource', {
      name,
      description: 'Kong fleet metrics (Amazon Managed Service for Prometheus)',
      accountAccessType: 'CURRENT_ACCOUNT',
      authenticationProviders: providerValues,
      samlConfiguration: props.samlConfiguration,
      permissionType: 'CUSTOMER_MANAGED',
      roleArn: this.role.roleArn,
      dataSources: ['PROMETHEUS'],
      grafanaVersion,
      pluginAdminEnabled: false,
    });
    this.workspace.applyRemovalPolicy(removalPolicy);

    this.workspaceId = this.workspace.attrId;
    this.workspaceUrl = `https://${this.workspace.attrEndpoint}`;
    this.workspaceArn = stack.formatArn({
      service: 'grafana',
      resource: '/workspaces',
      resourceName: this.workspaceId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    if (dashboardJson) {
      const handler = GrafanaDashboardHandler.of(this);
      handler.grantWorkspace(this.workspaceArn);
      this.dashboardUid = KONG_GRAFANA_DASHBOARD_UID;
      this.dashboard = handler.customResource(this, 'Dashboard', {
        [P.workspaceId]: this.workspaceId,
        [P.grafanaUrl]: this.workspaceUrl,
        [P.datasourceUid]: KONG_GRAFANA_DATASOURCE_UID,
        [P.datasourceName]: 'Kong fleet metrics (Amazon Managed Service for Prometheus)',
        [P.prometheusUrl]: queryUrlOf(props.metrics),
        [P.prometheusRegion]: props.metrics.region,
        [P.dashboard]: stack.toJsonString(dashboardJson),
      });
    }
  }
}

/**
 * The AMP query root of a metrics destination: its `queryUrl` when it has one (KongMetricsWorkspace),
 * else its remote-write URL without `api/v1/remote_write`.
 */
function queryUrlOf(metrics: IKongMetricsDestination): string {
  const queryUrl = (metrics as { queryUrl?: unknown }).queryUrl;
  if (typeof queryUrl === 'string') return queryUrl;
  return Fn.select(0, Fn.split('api/v1/remote_write', metrics.remoteWriteUrl));
}
