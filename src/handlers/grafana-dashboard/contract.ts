/**
 * The contract between {@link KongGrafanaWorkspace} (src/services) and this handler: resource type,
 * property names and the service account it works through. Plain data with no AWS SDK import, so
 * the construct can import it without pulling handler code into synth.
 */

/** CloudFormation type of the custom resource that installs the data source and the Kong dashboard. */
export const GRAFANA_DASHBOARD_RESOURCE_TYPE = 'Custom::KongGrafanaDashboard';

/** Property names the handler reads (CloudFormation passes every value as a string). */
export const GRAFANA_DASHBOARD_PROPERTY = {
  /** Amazon Managed Grafana workspace id (`g-…`). */
  workspaceId: 'WorkspaceId',
  /** `https://<workspace endpoint>`, the root of the workspace's Grafana HTTP API. */
  grafanaUrl: 'GrafanaUrl',
  datasourceUid: 'DatasourceUid',
  datasourceName: 'DatasourceName',
  /** The AMP workspace's query root, `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`. */
  prometheusUrl: 'PrometheusUrl',
  /** SigV4 signing region of the AMP workspace. */
  prometheusRegion: 'PrometheusRegion',
  /** The dashboard JSON model, as a JSON string (its `uid` names the dashboard). */
  dashboard: 'Dashboard',
} as const;

/**
 * The Grafana service account the handler mints its short-lived tokens for. Grafana lets only
 * organisation admins create or change data sources, so EDITOR is not enough: ADMIN is the least
 * role that works. The account has no token between deployments.
 */
export const GRAFANA_PROVISIONER_SERVICE_ACCOUNT = 'kong-fleet-provisioner';
export const GRAFANA_PROVISIONER_ROLE = 'ADMIN';

/** Lifetime of the token of one deployment step (deleted as soon as the step ends). */
export const GRAFANA_TOKEN_SECONDS_TO_LIVE = 600;

/** The AMG control-plane actions the handler needs on its workspace (IAM, resource = workspace ARN). */
export const GRAFANA_PROVISIONER_ACTIONS = [
  'grafana:ListWorkspaceServiceAccounts',
  'grafana:CreateWorkspaceServiceAccount',
  'grafana:DeleteWorkspaceServiceAccount',
  'grafana:CreateWorkspaceServiceAccountToken',
  'grafana:DeleteWorkspaceServiceAccountToken',
] as const;
