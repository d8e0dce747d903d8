/**
 * The grafana-dashboard handler (src/handlers/grafana-dashboard) against a local HTTP server on
 * 127.0.0.1 that plays both the Amazon Managed Grafana control API (service accounts and tokens,
 * reached by the real AWS SDK client through `endpoint`) and the workspace's Grafana HTTP API
 * (data sources and dashboards, which only accept a live service account token as Bearer).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { GrafanaClient } from '@aws-sdk/client-grafana';
import { GRAFANA_DASHBOARD_PROPERTY as P } from '../../src/handlers/grafana-dashboard/contract';
import { onEvent, parseProperties } from '../../src/handlers/grafana-dashboard/index';
import {
  type GrafanaTarget,
  installKongDashboard,
  type PrometheusDatasource,
  removeKongDashboard,
} from '../../src/handlers/grafana-dashboard/provision';
import { KongFleetError } from '../../src/kong/errors';
import { kongGrafanaDashboard } from '../../src/kong/grafana-dashboard';

const WORKSPACE = 'g-0123456789';
const SERVICE_ACCOUNT = 'kong-fleet-provisioner';
const DATASOURCE: PrometheusDatasource = {
  uid: 'kong-fleet-amp',
  name: 'Kong fleet metrics',
  url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/',
  region: 'eu-west-1',
};
const DASHBOARD = kongGrafanaDashboard({ datasourceUid: DATASOURCE.uid });

interface Call {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body?: any;
}

/** What the fake workspace holds and saw. */
class FakeWorkspace {
  public readonly calls: Call[] = [];
  public readonly serviceAccounts = new Map<
    string,
    { id: string; name: string; grafanaRole: string; isDisabled: string }
  >();
  /** Live tokens by key. */
  public readonly tokens = new Map<
    string,
    { id: string; name: string; serviceAccountId: string; secondsToLive: number }
  >();
  public readonly issuedKeys: string[] = [];
  public readonly deletedTokenIds: string[] = [];
  public readonly datasources = new Map<string, any>();
  public readonly dashboards = new Map<string, any>();
  /** A Grafana API failure to inject: the first call whose path ends with `path` answers `status`. */
  public grafanaFailure?: { path: string; status: number; echoToken?: boolean };
  /** The control API answers 404 for everything (the workspace is gone). */
  public workspaceGone = false;
  /** The first service-account listing misses the account (another run creates it meanwhile). */
  public raceOnCreate = false;
  private nextId = 1;

  public handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parsed = body ? JSON.parse(body) : undefined;
    this.calls.push({
      method: req.method!,
      path: url.pathname,
      authorization: req.headers.authorization,
      body: parsed,
    });
    if (url.pathname.startsWith('/workspaces/')) return this.control(req, url.pathname, parsed, res);
    if (url.pathname.startsWith('/grafana/'))
      return this.grafana(req, url.pathname.slice('/grafana'.length), parsed, res);
    send(res, 404, { message: 'no route' });
  }

  public grafanaCalls(): Call[] {
    return this.calls.filter((c) => c.path.startsWith('/grafana/'));
  }

  private control(req: http.IncomingMessage, path: string, body: any, res: http.ServerResponse): void {
    if (!/^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '')) return send(res, 403, { message: 'unsigned' });
    const awsError = (status: number, type: string, message: string) =>
      send(res, status, { message }, { 'x-amzn-errortype': type });
    const parts = path.split('/').filter(Boolean); // workspaces, <id>, serviceaccounts, [sa], [tokens], [token]
    if (this.workspaceGone || parts[1] !== WORKSPACE) return awsError(404, 'ResourceNotFoundException', 'no workspace');
    const [, , collection, saId, sub, tokenId] = parts;
    if (collection !== 'serviceaccounts') return awsError(404, 'ResourceNotFoundException', 'no route');
    if (req.method === 'GET' && !saId) {
      const hidden = this.raceOnCreate;
      this.raceOnCreate = false;
      return send(res, 200, {
        workspaceId: WORKSPACE,
        serviceAccounts: hidden ? [] : [...this.serviceAccounts.values()],
      });
    }
    if (req.method === 'POST' && !saId) {
      if ([...this.serviceAccounts.values()].some((a) => a.name === body.name)) {
        return awsError(409, 'ConflictException', 'service account exists');
      }
      const account = {
        id: String(this.nextId++),
        name: body.name,
        grafanaRole: body.grafanaRole,
        isDisabled: 'false',
      };
      this.serviceAccounts.set(account.id, account);
      return send(res, 200, { ...account, workspaceId: WORKSPACE });
    }
    const account = saId ? this.serviceAccounts.get(saId) : undefined;
    if (!account) return awsError(404, 'ResourceNotFoundException', 'no service account');
    if (req.method === 'DELETE' && !sub) {
      this.serviceAccounts.delete(account.id);
      for (const [key, token] of this.tokens) if (token.serviceAccountId === account.id) this.tokens.delete(key);
      return send(res, 200, { serviceAccountId: account.id, workspaceId: WORKSPACE });
    }
    if (req.method === 'POST' && sub === 'tokens' && !tokenId) {
      const key = `glsa_${randomBytes(16).toString('hex')}`;
      const token = {
        id: String(this.nextId++),
        name: body.name,
        serviceAccountId: account.id,
        secondsToLive: body.secondsToLive,
      };
      this.tokens.set(key, token);
      this.issuedKeys.push(key);
      return send(res, 200, {
        serviceAccountId: account.id,
        workspaceId: WORKSPACE,
        serviceAccountToken: { id: token.id, name: token.name, key },
      });
    }
    if (req.method === 'DELETE' && sub === 'tokens' && tokenId) {
      for (const [key, token] of this.tokens) {
        if (token.id === tokenId) {
          this.tokens.delete(key);
          this.deletedTokenIds.push(tokenId);
          return send(res, 200, { tokenId, serviceAccountId: account.id, workspaceId: WORKSPACE });
        }
      }
      return awsError(404, 'ResourceNotFoundException', 'no token');
    }
    awsError(404, 'ResourceNotFoundException', 'no route');
  }

  private grafana(req: http.IncomingMessage, path: string, body: any, res: http.ServerResponse): void {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.tokens.has(bearer)) return send(res, 401, { message: 'invalid API key' });
    if (this.grafanaFailure && path.endsWith(this.grafanaFailure.path)) {
      const { status, echoToken } = this.grafanaFailure;
      this.grafanaFailure = undefined;
      // A misbehaving proxy echoing the request: the handler must scrub the token.
      return send(res, status, { message: `upstream trouble${echoToken ? ` (Authorization: Bearer ${bearer})` : ''}` });
    }
    const ds = /^\/api\/datasources\/uid\/([^/]+)$/.exec(path);
    if (ds && req.method === 'GET') {
      const found = this.datasources.get(decodeURIComponent(ds[1]));
      return found ? send(res, 200, found) : send(res, 404, { message: 'Data source not found' });
    }
    if (ds && req.method === 'PUT') {
      if (!this.datasources.has(ds[1]) || body.uid !== ds[1]) return send(res, 400, { message: 'uid mismatch' });
      this.datasources.set(ds[1], body);
      return send(res, 200, { message: 'Datasource updated' });
    }
    if (path === '/api/datasources' && req.method === 'POST') {
      if (this.datasources.has(body.uid))
        return send(res, 409, { message: 'data source with the same uid already exists' });
      this.datasources.set(body.uid, body);
      return send(res, 200, { message: 'Datasource added' });
    }
    if (path === '/api/dashboards/db' && req.method === 'POST') {
      const uid = body.dashboard.uid;
      if (this.dashboards.has(uid) && !body.overwrite) return send(res, 412, { message: 'dashboard exists' });
      this.dashboards.set(uid, body.dashboard);
      return send(res, 200, { uid, url: `/d/${uid}/kong-fleet`, status: 'success', version: 1 });
    }
    const dash = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path);
    if (dash && req.method === 'DELETE') {
      return this.dashboards.delete(dash[1])
        ? send(res, 200, { message: 'Dashboard deleted' })
        : send(res, 404, { message: 'Dashboard not found' });
    }
    send(res, 404, { message: 'Not found' });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

let server: http.Server;
let port: number;
let fake: FakeWorkspace;
let client: GrafanaClient;
let logs: Record<string, unknown>[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => fake.handle(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  client = new GrafanaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  fake = new FakeWorkspace();
  logs = [];
});

function target(overrides: Partial<GrafanaTarget> = {}): GrafanaTarget {
  return {
    client,
    workspaceId: WORKSPACE,
    baseUrl: `http://127.0.0.1:${port}/grafana`,
    serviceAccountName: SERVICE_ACCOUNT,
    log: (fields) => logs.push(fields),
    ...overrides,
  };
}

/** Everything the handler let out: its result, its error, its log records. */
function expectNoToken(...outputs: unknown[]): void {
  expect(fake.issuedKeys.length).toBeGreaterThan(0);
  const text = JSON.stringify([
    outputs.map((o) => (o instanceof Error ? `${o.name} ${o.message} ${o.stack}` : o)),
    logs,
  ]);
  for (const key of fake.issuedKeys) expect(text).not.toContain(key);
}

describe('install', () => {
  test('creates an Admin service account, a short-lived token, the SigV4 data source and the dashboard; deletes the token', async () => {
    const result = await installKongDashboard(target(), DATASOURCE, DASHBOARD);

    expect(result).toEqual({
      datasourceUid: 'kong-fleet-amp',
      dashboardUid: 'kong-fleet-overview',
      dashboardUrl: `http://127.0.0.1:${port}/grafana/d/kong-fleet-overview/kong-fleet`,
    });
    expect([...fake.serviceAccounts.values()]).toEqual([
      expect.objectContaining({ name: SERVICE_ACCOUNT, grafanaRole: 'ADMIN' }),
    ]);
    // One token, minted for this call, short-lived, and gone afterwards.
    expect(fake.issuedKeys).toHaveLength(1);
    const tokenCall = fake.calls.find((c) => c.path.endsWith('/tokens') && c.method === 'POST')!;
    expect(tokenCall.body.secondsToLive).toBeLessThanOrEqual(900);
    expect(fake.tokens.size).toBe(0);
    expect(fake.deletedTokenIds).toHaveLength(1);

    // Every Grafana call carried that token as Bearer, and only Grafana calls did.
    const grafanaCalls = fake.grafanaCalls();
    expect(grafanaCalls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /grafana/api/datasources/uid/kong-fleet-amp',
      'POST /grafana/api/datasources',
      'POST /grafana/api/dashboards/db',
    ]);
    for (const call of grafanaCalls) expect(call.authorization).toBe(`Bearer ${fake.issuedKeys[0]}`);
    for (const call of fake.calls.filter((c) => c.path.startsWith('/workspaces/'))) {
      expect(call.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\//);
    }

    expect(fake.datasources.get('kong-fleet-amp')).toEqual({
      uid: 'kong-fleet-amp',
      name: 'Kong fleet metrics',
      type: 'prometheus',
      access: 'proxy',
      url: DATASOURCE.url,
      isDefault: false,
      jsonData: { httpMethod: 'POST', sigV4Auth: true, sigV4AuthType: 'ec2_iam_role', sigV4Region: 'eu-west-1' },
    });
    const saved = grafanaCalls[2].body;
    expect(saved.overwrite).toBe(true);
    expect(saved.dashboard).toEqual({ ...DASHBOARD, id: null });
    expect(saved.dashboard.panels.length).toBeGreaterThan(10);
    expectNoToken(result);
  });

  test('a second run updates the data source by uid, reuses the service account and overwrites the dashboard', async () => {
    await installKongDashboard(target(), DATASOURCE, DASHBOARD);
    const moved = { ...DATASOURCE, url: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-9999/' };
    const retitled = kongGrafanaDashboard({ datasourceUid: DATASOURCE.uid, title: 'Kong edge' });
    await installKongDashboard(target(), moved, retitled);

    expect(fake.serviceAccounts.size).toBe(1);
    expect(fake.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/serviceaccounts'))).toHaveLength(1);
    expect(
      fake
        .grafanaCalls()
        .map((c) => `${c.method} ${c.path}`)
        .slice(3),
    ).toEqual([
      'GET /grafana/api/datasources/uid/kong-fleet-amp',
      'PUT /grafana/api/datasources/uid/kong-fleet-amp',
      'POST /grafana/api/dashboards/db',
    ]);
    expect(fake.datasources.get('kong-fleet-amp').url).toBe(moved.url);
    expect(fake.dashboards.get('kong-fleet-overview').title).toBe('Kong edge');
    expect(fake.issuedKeys).toHaveLength(2);
    expect(fake.tokens.size).toBe(0);
  });

  test('a service account created meanwhile by another run is used, not duplicated', async () => {
    fake.serviceAccounts.set('77', { id: '77', name: SERVICE_ACCOUNT, grafanaRole: 'ADMIN', isDisabled: 'false' });
    fake.raceOnCreate = true;
    await installKongDashboard(target(), DATASOURCE, DASHBOARD);
    expect([...fake.serviceAccounts.keys()]).toEqual(['77']);
    expect(fake.tokens.size).toBe(0);
  });
});

describe('failures', () => {
  test('a Grafana 5xx fails with a clear message without the token, and the token is still deleted', async () => {
    fake.grafanaFailure = { path: '/api/dashboards/db', status: 502, echoToken: true };
    const error = await installKongDashboard(target(), DATASOURCE, DASHBOARD).catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^Grafana API POST \/api\/dashboards\/db: HTTP 502, the Grafana workspace failed; deploy again once it is healthy: upstream trouble \(Authorization: Bearer \[token\]\)$/,
    );
    expect(fake.tokens.size).toBe(0);
    expect(fake.deletedTokenIds).toHaveLength(1);
    expectNoToken(error);
  });

  test('a 401 from Grafana names the refused token (not its value); the token is deleted', async () => {
    fake.grafanaFailure = { path: '/api/datasources/uid/kong-fleet-amp', status: 401 };
    const error = await installKongDashboard(target(), DATASOURCE, DASHBOARD).catch((e: Error) => e);

    expect((error as Error).message).toBe(
      'Grafana API GET /api/datasources/uid/kong-fleet-amp: HTTP 401, the service account token was not accepted: upstream trouble',
    );
    expect(fake.tokens.size).toBe(0);
    expectNoToken(error);
  });

  test('an unreachable Grafana fails clearly; the token is deleted', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await installKongDashboard(
      target({ baseUrl: `http://127.0.0.1:${deadPort}` }),
      DATASOURCE,
      DASHBOARD,
    ).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^Grafana API GET \/api\/datasources\/uid\/kong-fleet-amp: Grafana could not be reached \(TypeError: fetch failed\)$/,
    );
    expect(fake.tokens.size).toBe(0);
    expectNoToken(error);
  });

  test('a disabled service account is reported, and no token is minted', async () => {
    fake.serviceAccounts.set('5', { id: '5', name: SERVICE_ACCOUNT, grafanaRole: 'ADMIN', isDisabled: 'true' });
    await expect(installKongDashboard(target(), DATASOURCE, DASHBOARD)).rejects.toThrow(
      /service account kong-fleet-provisioner of workspace g-0123456789 is disabled/,
    );
    expect(fake.issuedKeys).toHaveLength(0);
  });

  test('a dashboard without a uid is refused before any call', async () => {
    const anonymous: Record<string, unknown> = { ...DASHBOARD };
    delete anonymous.uid;
    await expect(installKongDashboard(target(), DATASOURCE, anonymous)).rejects.toThrow(/no uid/);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('remove', () => {
  test('deletes the dashboard, the token and the service account', async () => {
    await installKongDashboard(target(), DATASOURCE, DASHBOARD);
    const outcome = await removeKongDashboard(target(), 'kong-fleet-overview');

    expect(outcome).toBe('dashboard deleted; service account deleted');
    expect(fake.dashboards.size).toBe(0);
    expect(fake.serviceAccounts.size).toBe(0);
    expect(fake.tokens.size).toBe(0);
    const deleteCall = fake.grafanaCalls().find((c) => c.method === 'DELETE')!;
    expect(deleteCall.path).toBe('/grafana/api/dashboards/uid/kong-fleet-overview');
    expect(deleteCall.authorization).toBe(`Bearer ${fake.issuedKeys[1]}`);
    expectNoToken(outcome);
  });

  test('a dashboard already gone is fine', async () => {
    expect(await removeKongDashboard(target(), 'kong-fleet-overview')).toBe(
      'dashboard already gone; service account deleted',
    );
  });

  test('never throws: Grafana failing or the workspace gone end in a description', async () => {
    await installKongDashboard(target(), DATASOURCE, DASHBOARD);
    fake.grafanaFailure = { path: '/api/dashboards/uid/kong-fleet-overview', status: 500, echoToken: true };
    const failed = await removeKongDashboard(target(), 'kong-fleet-overview');
    expect(failed).toMatch(/^dashboard not deleted: GrafanaApiError: Grafana API DELETE .* HTTP 500/);
    expect(fake.tokens.size).toBe(0);
    expectNoToken(failed);

    fake.workspaceGone = true;
    expect(await removeKongDashboard(target(), 'kong-fleet-overview')).toMatch(
      /^dashboard not deleted: ResourceNotFoundException/,
    );
  });
});

describe('onEvent', () => {
  const properties = {
    ServiceToken: 'arn',
    [P.workspaceId]: WORKSPACE,
    [P.grafanaUrl]: 'https://g-0123456789.grafana-workspace.eu-west-1.amazonaws.com',
    [P.datasourceUid]: DATASOURCE.uid,
    [P.datasourceName]: DATASOURCE.name,
    [P.prometheusUrl]: DATASOURCE.url,
    [P.prometheusRegion]: DATASOURCE.region,
    [P.dashboard]: JSON.stringify(DASHBOARD),
  };

  test('reads the properties the construct writes', () => {
    expect(parseProperties(properties)).toEqual({
      workspaceId: WORKSPACE,
      grafanaUrl: properties.GrafanaUrl,
      datasource: DATASOURCE,
      dashboard: DASHBOARD,
      dashboardUid: 'kong-fleet-overview',
    });
  });

  test.each([
    [
      { [P.grafanaUrl]: 'http://g-1.grafana-workspace.eu-west-1.amazonaws.com' },
      /GrafanaUrl: not the root of an https/,
    ],
    [{ [P.grafanaUrl]: 'https://g-1.example.com/api' }, /GrafanaUrl/],
    [{ [P.prometheusUrl]: 'http://aps' }, /PrometheusUrl: not an https URL/],
    [{ [P.dashboard]: '{"title": "no uid"}' }, /Dashboard: not a dashboard JSON model with a uid/],
    [{ [P.dashboard]: '{' }, /Dashboard: not valid JSON/],
    [{ [P.workspaceId]: '' }, /Custom::KongGrafanaDashboard\.WorkspaceId: missing or empty/],
  ])('refuses %j', (change, message) => {
    expect(() => parseProperties({ ...properties, ...change })).toThrow(KongFleetError);
    expect(() => parseProperties({ ...properties, ...change })).toThrow(message);
  });

  test('Delete never fails: unreadable properties, or a workspace that cannot be reached', async () => {
    const saved = { ...process.env };
    const output: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    try {
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
      process.env.AWS_REGION = 'eu-west-1';
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
      process.env.AWS_MAX_ATTEMPTS = '1';
      await expect(
        onEvent({ RequestType: 'Delete', ResourceProperties: {}, PhysicalResourceId: 'g-1/kong-fleet-overview' }),
      ).resolves.toEqual({ PhysicalResourceId: 'g-1/kong-fleet-overview' });

      // The service account and a token exist, but the Grafana URL answers nothing.
      const unreachable = { ...properties, [P.grafanaUrl]: 'https://127.0.0.1:1' };
      await expect(
        onEvent({
          RequestType: 'Delete',
          ResourceProperties: unreachable,
          PhysicalResourceId: 'g-0123456789/kong-fleet-overview',
        }),
      ).resolves.toEqual({ PhysicalResourceId: 'g-0123456789/kong-fleet-overview' });
      expect(fake.issuedKeys).toHaveLength(1);
      expect(fake.tokens.size).toBe(0);
      expect(output.join('\n')).toMatch(/dashboard not deleted: GrafanaApiError/);
      expect(output.join('\n')).not.toContain(fake.issuedKeys[0]);
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
  });

  test('Create with a Grafana that refuses the call fails, and the log holds no token', async () => {
    const saved = { ...process.env };
    const output: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void output.push(line));
    try {
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
      process.env.AWS_REGION = 'eu-west-1';
      process.env.AWS_ACCESS_KEY_ID = 'test';
      process.env.AWS_SECRET_ACCESS_KEY = 'test';
      process.env.AWS_MAX_ATTEMPTS = '1';
      const error = await onEvent({
        RequestType: 'Create',
        ResourceProperties: { ...properties, [P.grafanaUrl]: 'https://127.0.0.1:1' },
      }).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/Grafana could not be reached/);
      expect(fake.tokens.size).toBe(0);
      expect(JSON.stringify([output, (error as Error).message])).not.toContain(fake.issuedKeys[0]);
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
  });
});
