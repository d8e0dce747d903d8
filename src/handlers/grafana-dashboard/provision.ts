/**
 * The core of the grafana-dashboard handler, independent of Lambda: given an Amazon Managed
 * Grafana control-plane client and the workspace's Grafana base URL, it installs (or removes) the
 * AMP data source and the Kong dashboard through a Grafana service account.
 *
 * Each step mints one short-lived service account token, uses it only for the Grafana HTTP calls
 * of that step, and deletes it in a `finally`, whatever the calls did. The token is never logged,
 * returned or written anywhere; Grafana error messages are scrubbed of it (see grafana-api.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  ConflictException,
  CreateWorkspaceServiceAccountCommand,
  CreateWorkspaceServiceAccountTokenCommand,
  DeleteWorkspaceServiceAccountCommand,
  DeleteWorkspaceServiceAccountTokenCommand,
  type GrafanaClient,
  ListWorkspaceServiceAccountsCommand,
  type ServiceAccountSummary,
} from '@aws-sdk/client-grafana';
import { GrafanaApi } from './grafana-api';
import { GRAFANA_PROVISIONER_ROLE, GRAFANA_TOKEN_SECONDS_TO_LIVE } from './contract';

/** Where to provision: the workspace, reached through its control plane and its Grafana API. */
export interface GrafanaTarget {
  /** Amazon Managed Grafana control-plane client (service accounts and their tokens). */
  readonly client: GrafanaClient;
  readonly workspaceId: string;
  /** Root of the workspace's Grafana HTTP API (`https://<workspace endpoint>`). */
  readonly baseUrl: string;
  /** Name of the service account the tokens are minted for (created with the Admin role if missing). */
  readonly serviceAccountName: string;
  /** @default GRAFANA_TOKEN_SECONDS_TO_LIVE */
  readonly tokenSecondsToLive?: number;
  /** @default global fetch */
  readonly fetch?: typeof fetch;
  /** Receives one record per step; never given the token. @default no logging */
  readonly log?: (fields: Record<string, unknown>) => void;
}

/** The Amazon Managed Service for Prometheus workspace, as a Grafana Prometheus data source. */
export interface PrometheusDatasource {
  readonly uid: string;
  readonly name: string;
  /** The AMP workspace's query root (`…/workspaces/<id>/`); Grafana appends `api/v1/…`. */
  readonly url: string;
  /** SigV4 signing region. */
  readonly region: string;
}

export interface InstalledDashboard {
  readonly datasourceUid: string;
  readonly dashboardUid: string;
  /** Absolute URL of the dashboard, when Grafana returned its path. */
  readonly dashboardUrl?: string;
}

/**
 * The data source body: Grafana's Prometheus data source signing its requests with SigV4 as the
 * workspace's IAM role (`ec2_iam_role` is what Amazon Managed Grafana calls "Workspace IAM role"),
 * POST for queries (long PromQL fits).
 */
export function prometheusDatasourceBody(datasource: PrometheusDatasource): Record<string, unknown> {
  return {
    uid: datasource.uid,
    name: datasource.name,
    type: 'prometheus',
    access: 'proxy',
    url: datasource.url,
    isDefault: false,
    jsonData: {
      httpMethod: 'POST',
      sigV4Auth: true,
      sigV4AuthType: 'ec2_iam_role',
      sigV4Region: datasource.region,
    },
  };
}

/** Creates or updates the data source (by uid) and the dashboard (overwrite by uid). */
export async function installKongDashboard(
  target: GrafanaTarget,
  datasource: PrometheusDatasource,
  dashboard: Record<string, unknown>,
): Promise<InstalledDashboard> {
  const dashboardUid = dashboard.uid;
  if (typeof dashboardUid !== 'string' || dashboardUid === '') {
    throw new Error('the dashboard JSON has no uid; a stable uid is what lets an update overwrite it');
  }
  return withServiceAccountToken(target, 'install', async (api) => {
    const path = `/api/datasources/uid/${encodeURIComponent(datasource.uid)}`;
    const existing = await api.request('GET', path, undefined, [404]);
    const body = prometheusDatasourceBody(datasource);
    if (existing.status === 404) {
      await api.request('POST', '/api/datasources', body);
    } else {
      await api.request('PUT', path, body);
    }
    target.log?.({
      step: 'install',
      datasourceUid: datasource.uid,
      datasource: existing.status === 404 ? 'created' : 'updated',
    });

    const saved = await api.request('POST', '/api/dashboards/db', {
      dashboard: { ...dashboard, id: null },
      overwrite: true,
      message: 'Installed by kong-fleet',
    });
    const savedPath = (saved.body as { url?: unknown } | undefined)?.url;
    const dashboardUrl =
      typeof savedPath === 'string' && savedPath.startsWith('/')
        ? `${target.baseUrl.replace(/\/+$/, '')}${savedPath}`
        : undefined;
    target.log?.({ step: 'install', dashboardUid, dashboard: 'saved' });
    return { datasourceUid: datasource.uid, dashboardUid, ...(dashboardUrl ? { dashboardUrl } : {}) };
  });
}

/**
 * Removes the dashboard, then the service account. Best effort: never throws, so a stack delete
 * never fails here (a workspace deleted in the same operation takes everything with it anyway).
 * Returns what happened, for the log.
 */
export async function removeKongDashboard(target: GrafanaTarget, dashboardUid: string): Promise<string> {
  let outcome: string;
  try {
    outcome = await withServiceAccountToken(target, 'remove', async (api) => {
      const response = await api.request(
        'DELETE',
        `/api/dashboards/uid/${encodeURIComponent(dashboardUid)}`,
        undefined,
        [404],
      );
      return response.status === 404 ? 'dashboard already gone' : 'dashboard deleted';
    });
  } catch (error) {
    return `dashboard not deleted: ${describeError(error)}`;
  }
  try {
    const account = await findServiceAccount(target);
    if (account?.id) {
      await target.client.send(
        new DeleteWorkspaceServiceAccountCommand({ workspaceId: target.workspaceId, serviceAccountId: account.id }),
      );
      outcome += '; service account deleted';
    }
  } catch (error) {
    outcome += `; service account kept: ${describeError(error)}`;
  }
  return outcome;
}

/**
 * Runs `work` with a Grafana API client holding a fresh token of the service account, and deletes
 * the token afterwards, also when `work` fails. A token that cannot be deleted expires by itself
 * after `tokenSecondsToLive`; that is logged (by token id) and does not fail the step.
 */
async function withServiceAccountToken<T>(
  target: GrafanaTarget,
  step: string,
  work: (api: GrafanaApi) => Promise<T>,
): Promise<T> {
  const serviceAccountId = await ensureServiceAccount(target);
  const secondsToLive = target.tokenSecondsToLive ?? GRAFANA_TOKEN_SECONDS_TO_LIVE;
  const created = await target.client.send(
    new CreateWorkspaceServiceAccountTokenCommand({
      workspaceId: target.workspaceId,
      serviceAccountId,
      // Unique per call: Grafana refuses a second token of the same name on one account.
      name: `kong-fleet-${step}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
      secondsToLive,
    }),
  );
  const tokenId = created.serviceAccountToken?.id;
  const key = created.serviceAccountToken?.key;
  try {
    if (!key) {
      throw new Error(`Amazon Managed Grafana returned no service account token for workspace ${target.workspaceId}`);
    }
    return await work(new GrafanaApi(target.baseUrl, key, target.fetch));
  } finally {
    if (tokenId) await deleteToken(target, step, serviceAccountId, tokenId, secondsToLive);
  }
}

async function deleteToken(
  target: GrafanaTarget,
  step: string,
  serviceAccountId: string,
  tokenId: string,
  secondsToLive: number,
): Promise<void> {
  try {
    await target.client.send(
      new DeleteWorkspaceServiceAccountTokenCommand({ workspaceId: target.workspaceId, serviceAccountId, tokenId }),
    );
    target.log?.({ step, tokenId, token: 'deleted' });
  } catch (error) {
    target.log?.({
      step,
      tokenId,
      token: `not deleted, expires within ${secondsToLive} s`,
      error: describeError(error),
    });
  }
}

/** The service account's id, creating it (role Admin) when the workspace has none of that name. */
async function ensureServiceAccount(target: GrafanaTarget): Promise<string> {
  const existing = await findServiceAccount(target);
  if (existing) return usable(target, existing);
  try {
    const created = await target.client.send(
      new CreateWorkspaceServiceAccountCommand({
        workspaceId: target.workspaceId,
        name: target.serviceAccountName,
        grafanaRole: GRAFANA_PROVISIONER_ROLE,
      }),
    );
    if (!created.id) throw new Error('Amazon Managed Grafana returned no service account id');
    target.log?.({ serviceAccount: target.serviceAccountName, action: 'created' });
    return created.id;
  } catch (error) {
    // Another run created it in between: use that one.
    if (!(error instanceof ConflictException)) throw error;
    const raced = await findServiceAccount(target);
    if (!raced) throw error;
    return usable(target, raced);
  }
}

function usable(target: GrafanaTarget, account: ServiceAccountSummary): string {
  if (String(account.isDisabled).toLowerCase() === 'true') {
    throw new Error(
      `the Grafana service account ${target.serviceAccountName} of workspace ${target.workspaceId} is disabled; ` +
        'enable or delete it and deploy again',
    );
  }
  if (!account.id) throw new Error(`the Grafana service account ${target.serviceAccountName} has no id`);
  return account.id;
}

async function findServiceAccount(target: GrafanaTarget): Promise<ServiceAccountSummary | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await target.client.send(
      new ListWorkspaceServiceAccountsCommand({ workspaceId: target.workspaceId, nextToken }),
    );
    const match = page.serviceAccounts?.find((a) => a.name === target.serviceAccountName);
    if (match) return match;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
