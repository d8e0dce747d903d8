/**
 * Grafana dashboard handler: the `onEvent` handler of an AWS CDK Provider framework custom
 * resource ({@link GRAFANA_DASHBOARD_RESOURCE_TYPE}) that installs, in an Amazon Managed Grafana
 * workspace, a Prometheus data source for the fleet's AMP workspace (SigV4 as the workspace role)
 * and the Kong dashboard, through a service account token that lives only for the call
 * (provision.ts). Delete removes the dashboard, best effort, and never fails.
 *
 * Returns and logs only ids and uids; the token never leaves provision.ts/grafana-api.ts.
 */
import { GrafanaClient } from '@aws-sdk/client-grafana';
import { KongFleetError } from '../../kong/errors';
import type { ProviderEvent, ProviderResponse } from '../provider-event';
import {
  GRAFANA_DASHBOARD_PROPERTY as P,
  GRAFANA_DASHBOARD_RESOURCE_TYPE,
  GRAFANA_PROVISIONER_SERVICE_ACCOUNT,
} from './contract';
import { type GrafanaTarget, installKongDashboard, type PrometheusDatasource, removeKongDashboard } from './provision';

const WHERE = GRAFANA_DASHBOARD_RESOURCE_TYPE;

export type OnEventRequest = ProviderEvent;
export type OnEventResponse = ProviderResponse<{ DashboardUid: string; DatasourceUid: string; DashboardUrl?: string }>;

export interface GrafanaDashboardProperties {
  readonly workspaceId: string;
  readonly grafanaUrl: string;
  readonly datasource: PrometheusDatasource;
  readonly dashboard: Record<string, unknown>;
  readonly dashboardUid: string;
}

export async function onEvent(event: OnEventRequest): Promise<OnEventResponse> {
  const requestType: unknown = event?.RequestType;
  if (requestType === 'Delete') return onDelete(event);
  if (requestType !== 'Create' && requestType !== 'Update') {
    throw new KongFleetError(`${WHERE}.RequestType`, 'unknown request type', {
      got: requestType,
      expected: 'Create, Update or Delete',
    });
  }
  const props = parseProperties(event.ResourceProperties);
  const client = new GrafanaClient({});
  try {
    const installed = await installKongDashboard(target(client, props), props.datasource, props.dashboard);
    log({ requestType, workspaceId: props.workspaceId, dashboardUid: installed.dashboardUid, result: 'installed' });
    return {
      PhysicalResourceId: physicalIdFor(props),
      Data: {
        DashboardUid: installed.dashboardUid,
        DatasourceUid: installed.datasourceUid,
        ...(installed.dashboardUrl ? { DashboardUrl: installed.dashboardUrl } : {}),
      },
    };
  } finally {
    client.destroy();
  }
}

/** Never throws: a stack delete must not hang on a Grafana workspace that is unhealthy or gone. */
async function onDelete(event: OnEventRequest): Promise<OnEventResponse> {
  let props: GrafanaDashboardProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    log({ requestType: 'Delete', result: `skipped: ${(error as Error)?.message ?? 'unreadable properties'}` });
    return { PhysicalResourceId: event.PhysicalResourceId ?? 'grafana-dashboard' };
  }
  const client = new GrafanaClient({});
  try {
    const result = await removeKongDashboard(target(client, props), props.dashboardUid);
    log({ requestType: 'Delete', workspaceId: props.workspaceId, dashboardUid: props.dashboardUid, result });
  } catch (error) {
    log({ requestType: 'Delete', workspaceId: props.workspaceId, result: `skipped: ${(error as Error)?.name}` });
  } finally {
    client.destroy();
  }
  return { PhysicalResourceId: event.PhysicalResourceId ?? physicalIdFor(props) };
}

function target(client: GrafanaClient, props: GrafanaDashboardProperties): GrafanaTarget {
  return {
    client,
    workspaceId: props.workspaceId,
    baseUrl: props.grafanaUrl,
    serviceAccountName: GRAFANA_PROVISIONER_SERVICE_ACCOUNT,
    log: (fields) => log({ workspaceId: props.workspaceId, ...fields }),
  };
}

/** A new workspace or dashboard uid is a new resource: CloudFormation then deletes the old one. */
function physicalIdFor(props: GrafanaDashboardProperties): string {
  return `${props.workspaceId}/${props.dashboardUid}`;
}

/** Reads and checks the resource properties; throws {@link KongFleetError} naming the property. */
export function parseProperties(raw: Readonly<Record<string, unknown>> | undefined): GrafanaDashboardProperties {
  const text = (name: string): string => {
    const value = raw?.[name];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new KongFleetError(`${WHERE}.${name}`, 'missing or empty', { got: value, expected: 'a non-empty string' });
    }
    return value;
  };
  const grafanaUrl = text(P.grafanaUrl);
  // The bearer token goes to this URL: only ever over TLS.
  if (!/^https:\/\/[^/\s]+\/?$/.test(grafanaUrl)) {
    throw new KongFleetError(`${WHERE}.${P.grafanaUrl}`, 'not the root of an https Grafana workspace URL', {
      got: grafanaUrl,
      expected: 'https://<workspace endpoint>',
    });
  }
  const prometheusUrl = text(P.prometheusUrl);
  if (!/^https:\/\//.test(prometheusUrl)) {
    throw new KongFleetError(`${WHERE}.${P.prometheusUrl}`, 'not an https URL', { got: prometheusUrl });
  }
  let dashboard: unknown;
  try {
    dashboard = JSON.parse(text(P.dashboard));
  } catch (error) {
    if (error instanceof KongFleetError) throw error;
    throw new KongFleetError(`${WHERE}.${P.dashboard}`, 'not valid JSON', { got: (error as Error).message });
  }
  const dashboardUid = (dashboard as { uid?: unknown } | null)?.uid;
  if (
    typeof dashboard !== 'object' ||
    dashboard === null ||
    Array.isArray(dashboard) ||
    typeof dashboardUid !== 'string'
  ) {
    throw new KongFleetError(`${WHERE}.${P.dashboard}`, 'not a dashboard JSON model with a uid', {
      expected: '{"uid": "...", "title": "...", "panels": [...]}',
    });
  }
  return {
    workspaceId: text(P.workspaceId),
    grafanaUrl,
    datasource: {
      uid: text(P.datasourceUid),
      name: text(P.datasourceName),
      url: prometheusUrl,
      region: text(P.prometheusRegion),
    },
    dashboard: dashboard as Record<string, unknown>,
    dashboardUid,
  };
}

/** One JSON line; callers pass ids, uids and outcomes only. */
function log(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ handler: 'grafana-dashboard', ...fields }));
}
