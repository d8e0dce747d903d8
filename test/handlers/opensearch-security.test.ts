/**
 * The OpenSearch security handler against a local HTTP server on 127.0.0.1 that plays an Amazon
 * OpenSearch Service domain: it recomputes every request's SigV4 signature (service `es`, the
 * domain's region) and refuses bad ones, keeps the security plugin's roles and mappings, the index
 * templates and ISM policies in memory, and answers like OpenSearch does (including its conflicts).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ACCESS_LOG_RETENTION_POLICY,
  KONG_LOG_INDEX_PATTERN,
  OPENSEARCH_SECURITY_RESOURCE_TYPE,
} from '../../src/handlers/opensearch-security/contract';
import {
  handleSecurityEvent,
  SECURITY_PATHS,
  type ConnectionOptions,
  type OnEventRequest,
} from '../../src/handlers/opensearch-security';
import { KongFleetError } from '../../src/kong/errors';
import { ACCESS_LOG_FIELDS, DATA_PLANE_FIELD } from '../../src/kong/log-shipping';

const REGION = 'eu-west-1';
/** The lint rule keeps partitions out of code; tests state the usual one once. */
const PARTITION = 'aws';
const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN',
};
const WRITER = `arn:${PARTITION}:iam::123456789012:role/kong-logs-writer`;
const HANDLER = `arn:${PARTITION}:iam::123456789012:role/kong-logs-security-handler`;
const ADMIN = `arn:${PARTITION}:iam::123456789012:role/platform-admins`;
const BUNDLE = join(__dirname, '..', '..', 'dist', 'handlers', 'opensearch-security', 'index.js');

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
  service: string;
  region: string;
  signatureValid: boolean;
  securityToken?: string;
}

interface Fault {
  method: string;
  path: string;
  status: number;
  body: unknown;
  times: number;
}

/** An OpenSearch Service domain in miniature: SigV4 checked, state kept, faults injectable. */
class FakeDomain {
  readonly requests: Recorded[] = [];
  readonly roles = new Map<string, any>();
  readonly mappings = new Map<string, any>([['all_access', { backend_roles: [HANDLER] }]]);
  readonly templates = new Map<string, any>();
  readonly policies = new Map<string, { policy: any; seqNo: number; primaryTerm: number }>();
  auditConfig: any;
  private readonly faults: Fault[] = [];
  private seqNo = 0;
  private server!: http.Server;
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.handle(req, Buffer.concat(chunks).toString('utf8')).then(([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  fail(method: string, path: string, status: number, body: unknown, times = 1): void {
    this.faults.push({ method, path, status, body, times });
  }

  private async handle(req: http.IncomingMessage, text: string): Promise<[number, unknown]> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const path = url.pathname.replace(/^\//, '');
    const query = Object.fromEntries(url.searchParams.entries());
    const auth = await verifySignature(req, url, text);
    const body = text ? JSON.parse(text) : undefined;
    this.requests.push({
      method: req.method!,
      path,
      query,
      body,
      ...auth,
      securityToken: req.headers['x-amz-security-token'] as string | undefined,
    });
    if (!auth.signatureValid || auth.service !== 'es' || auth.region !== REGION) {
      return [403, { message: 'The request signature we calculated does not match the signature you provided.' }];
    }
    const fault = this.faults.find((f) => f.method === req.method && f.path === path && f.times > 0);
    if (fault) {
      fault.times--;
      return [fault.status, fault.body];
    }
    return this.route(req.method!, path, query, body);
  }

  private route(method: string, path: string, query: Record<string, string>, body: any): [number, unknown] {
    const [, name] = /^[^]*\/([^/]+)$/.exec(path) ?? [];
    if (path.startsWith('_plugins/_security/api/roles/') && method === 'PUT') {
      const created = !this.roles.has(name);
      this.roles.set(name, body);
      return [created ? 201 : 200, { status: created ? 'CREATED' : 'OK', message: `'${name}' updated.` }];
    }
    if (path.startsWith('_plugins/_security/api/rolesmapping/')) {
      if (method === 'PUT') {
        if (name !== 'all_access' && !this.roles.has(name)) {
          return [404, { status: 'NOT_FOUND', message: `Role '${name}' is not available for role mapping.` }];
        }
        const created = !this.mappings.has(name);
        this.mappings.set(name, body);
        return [created ? 201 : 200, { status: created ? 'CREATED' : 'OK', message: `'${name}' updated.` }];
      }
      if (method === 'DELETE') {
        if (!this.mappings.delete(name)) return [404, { status: 'NOT_FOUND', message: `'${name}' not found.` }];
        return [200, { status: 'OK', message: `'${name}' deleted.` }];
      }
    }
    if (path === '_plugins/_security/api/audit/config' && method === 'PUT') {
      this.auditConfig = body;
      return [200, { status: 'OK', message: "'config' updated." }];
    }
    if (path.startsWith('_index_template/') && method === 'PUT') {
      this.templates.set(name, body);
      return [200, { acknowledged: true }];
    }
    if (path.startsWith('_plugins/_ism/policies/')) {
      const current = this.policies.get(name);
      if (method === 'GET') {
        if (!current) return [404, { error: { type: 'status_exception', reason: 'Policy not found' }, status: 404 }];
        return [
          200,
          {
            _id: name,
            _version: 1,
            _seq_no: current.seqNo,
            _primary_term: current.primaryTerm,
            policy: current.policy,
          },
        ];
      }
      if (method === 'PUT') {
        if (current) {
          if (Number(query.if_seq_no) !== current.seqNo || Number(query.if_primary_term) !== current.primaryTerm) {
            return [
              409,
              {
                error: { type: 'version_conflict_engine_exception', reason: `[${name}]: version conflict` },
                status: 409,
              },
            ];
          }
        }
        this.policies.set(name, { policy: body.policy, seqNo: ++this.seqNo, primaryTerm: 1 });
        return [current ? 200 : 201, { _id: name, _seq_no: this.seqNo, _primary_term: 1 }];
      }
      if (method === 'DELETE') {
        if (!this.policies.delete(name)) return [404, { result: 'not_found' }];
        return [200, { result: 'deleted' }];
      }
    }
    return [400, { error: { type: 'illegal_argument_exception', reason: `no handler for ${method} /${path}` } }];
  }
}

/**
 * Recomputes the request's SigV4 signature with the same key, date and signed headers, the way
 * the AWS front end of a domain does.
 */
async function verifySignature(
  req: http.IncomingMessage,
  url: URL,
  body: string,
): Promise<{ service: string; region: string; signatureValid: boolean }> {
  const authorization = req.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) return { service: '', region: '', signatureValid: false };
  const [, keyId, , region, service, signedHeaders, signature] = match;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(req.headers[name] ?? '');
  const expected = (await new SignatureV4({ service, region, credentials: CREDENTIALS, sha256: Sha256 }).sign(
    new HttpRequest({
      method: req.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
      body: body === '' ? undefined : body,
    }),
    { signingDate },
  )) as HttpRequest;
  const ok = keyId === CREDENTIALS.accessKeyId && expected.headers.authorization?.endsWith(`Signature=${signature}`);
  return { service, region, signatureValid: Boolean(ok) };
}

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown> = {},
  old?: Record<string, unknown>,
): OnEventRequest {
  const properties = {
    ServiceToken: `arn:${PARTITION}:lambda:eu-west-1:123456789012:function:provider`,
    DomainEndpoint: 'vpc-logs-abc123.eu-west-1.es.amazonaws.com',
    WriterRoleArn: WRITER,
    AllAccessRoleArns: [HANDLER, ADMIN],
    NumberOfReplicas: '1',
    ...props,
  };
  return {
    RequestType: requestType,
    ResourceType: OPENSEARCH_SECURITY_RESOURCE_TYPE,
    ResourceProperties: properties,
    ...(old ? { OldResourceProperties: { ...properties, ...old } } : {}),
    ...(requestType !== 'Create'
      ? { PhysicalResourceId: 'vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer' }
      : {}),
  };
}

let domain: FakeDomain;
let connection: ConnectionOptions;
let logSpy: jest.SpyInstance;

beforeEach(async () => {
  domain = new FakeDomain();
  await domain.start();
  connection = {
    baseUrl: `http://127.0.0.1:${domain.port}`,
    region: REGION,
    credentials: CREDENTIALS,
    retryDelayMs: 0,
  };
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(async () => {
  logSpy.mockRestore();
  await domain.stop();
});

const puts = () => domain.requests.filter((r) => r.method === 'PUT').map((r) => r.path);

describe('Create', () => {
  test('PUTs the writer role, both mappings, the audit config and the index template, in that order', async () => {
    const response = await handleSecurityEvent(event('Create'), connection);

    expect(response).toEqual({
      PhysicalResourceId: 'vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer',
      Data: { WriterRole: 'kong_logs_writer', IndexTemplate: 'kong-access-logs' },
    });
    expect(puts()).toEqual([
      '_plugins/_security/api/roles/kong_logs_writer',
      '_plugins/_security/api/rolesmapping/kong_logs_writer',
      '_plugins/_security/api/rolesmapping/all_access',
      '_plugins/_security/api/audit/config',
      '_index_template/kong-access-logs',
    ]);
    // No retention asked for: ISM is not touched.
    expect(domain.requests.some((r) => r.path.startsWith('_plugins/_ism'))).toBe(false);
  });

  test('signs every request with SigV4 for service es in the domain region, with the session token', async () => {
    await handleSecurityEvent(event('Create'), connection);

    expect(domain.requests.length).toBeGreaterThanOrEqual(5);
    for (const r of domain.requests) {
      expect(r).toMatchObject({ service: 'es', region: REGION, signatureValid: true });
      expect(r.securityToken).toBe(CREDENTIALS.sessionToken);
    }
  });

  test('the writer role may create and bulk-write kong-* indices and nothing else', async () => {
    await handleSecurityEvent(event('Create'), connection);

    const role = domain.roles.get('kong_logs_writer');
    expect(role.cluster_permissions).toEqual(['indices:data/write/bulk']);
    expect(role.index_permissions).toEqual([
      {
        index_patterns: [KONG_LOG_INDEX_PATTERN],
        allowed_actions: ['create_index', 'index', 'indices:admin/mapping/auto_put'],
      },
    ]);
    const actions: string[] = [...role.cluster_permissions, ...role.index_permissions[0].allowed_actions];
    for (const action of actions) expect(action).not.toMatch(/read|delete|crud|all|unlimited|manage|\*/);
  });

  test('maps the writer IAM role to kong_logs_writer and the handler and admin roles to all_access', async () => {
    await handleSecurityEvent(event('Create'), connection);

    expect(domain.mappings.get('kong_logs_writer')).toEqual({ backend_roles: [WRITER], hosts: [], users: [] });
    expect(domain.mappings.get('all_access')).toEqual({ backend_roles: [HANDLER, ADMIN], hosts: [], users: [] });
  });

  test("the index template types every field of Kong's JSON access log: dates, integer status, ip, one replica", async () => {
    await handleSecurityEvent(event('Create'), connection);

    const template = domain.templates.get('kong-access-logs');
    expect(template.index_patterns).toEqual(['kong-*']);
    expect(template.template.settings['index.number_of_replicas']).toBe(1);
    const p = template.template.mappings.properties;
    expect(p['@timestamp']).toEqual({ type: 'date' });
    expect(p.timestamp).toEqual({ type: 'date' });
    expect(p.status).toEqual({ type: 'integer' });
    expect(p.remote_addr).toEqual({ type: 'ip', ignore_malformed: true });
    expect(p.bytes_sent).toEqual({ type: 'long' });
    expect(p.request_time).toEqual({ type: 'float' });
    expect(p[DATA_PLANE_FIELD]).toEqual({ type: 'keyword' });
    expect(p.upstream_status).toEqual({ type: 'keyword' });
    // Every field kong-fleet puts into the log has an explicit type.
    for (const field of ACCESS_LOG_FIELDS) expect(p[field.name]).toBeDefined();
  });

  test('turns audit logging on for failures and security-config changes, without request bodies', async () => {
    await handleSecurityEvent(event('Create'), connection);

    expect(domain.auditConfig).toMatchObject({
      enabled: true,
      audit: {
        enable_rest: true,
        log_request_body: false,
        disabled_rest_categories: ['AUTHENTICATED', 'GRANTED_PRIVILEGES'],
      },
      compliance: { enabled: true, internal_config: true },
    });
  });

  test('with IndexRetentionDays creates an ISM policy that deletes kong-* indices after that many days', async () => {
    await handleSecurityEvent(event('Create', { IndexRetentionDays: '30' }), connection);

    const stored = domain.policies.get(ACCESS_LOG_RETENTION_POLICY)!;
    expect(stored.policy.ism_template).toEqual([{ index_patterns: ['kong-*'], priority: 100 }]);
    expect(stored.policy.states[0].transitions[0].conditions).toEqual({ min_index_age: '30d' });
    expect(stored.policy.states[1].actions).toEqual([{ delete: {} }]);
    const put = domain.requests.find((r) => r.method === 'PUT' && r.path === SECURITY_PATHS.retentionPolicy)!;
    expect(put.query).toEqual({});
  });
});

describe('Update', () => {
  test('re-PUTs the same documents: idempotent, same state', async () => {
    await handleSecurityEvent(event('Create'), connection);
    const state = () =>
      JSON.stringify([[...domain.roles], [...domain.mappings], [...domain.templates], domain.auditConfig]);
    const before = state();
    const firstPuts = puts();
    domain.requests.length = 0;

    const response = await handleSecurityEvent(event('Update', {}, {}), connection);

    expect(response.PhysicalResourceId).toBe('vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer');
    expect(puts()).toEqual(firstPuts);
    expect(state()).toBe(before);
  });

  test('a new writer role ARN replaces the mapping; a removed admin leaves all_access', async () => {
    await handleSecurityEvent(event('Create'), connection);
    const newWriter = `arn:${PARTITION}:iam::123456789012:role/kong-logs-writer-2`;

    await handleSecurityEvent(
      event('Update', { WriterRoleArn: newWriter, AllAccessRoleArns: [HANDLER] }, {}),
      connection,
    );

    expect(domain.mappings.get('kong_logs_writer').backend_roles).toEqual([newWriter]);
    expect(domain.mappings.get('all_access').backend_roles).toEqual([HANDLER]);
  });

  test('updates an existing ISM policy with its if_seq_no / if_primary_term (a plain PUT would conflict)', async () => {
    await handleSecurityEvent(event('Create', { IndexRetentionDays: '30' }), connection);
    const seqNo = domain.policies.get(ACCESS_LOG_RETENTION_POLICY)!.seqNo;

    await handleSecurityEvent(event('Update', { IndexRetentionDays: '14' }, { IndexRetentionDays: '30' }), connection);

    const put = domain.requests.filter((r) => r.method === 'PUT' && r.path === SECURITY_PATHS.retentionPolicy).pop()!;
    expect(put.query).toEqual({ if_seq_no: String(seqNo), if_primary_term: '1' });
    expect(domain.policies.get(ACCESS_LOG_RETENTION_POLICY)!.policy.states[0].transitions[0].conditions).toEqual({
      min_index_age: '14d',
    });
  });

  test('dropping IndexRetentionDays deletes the ISM policy', async () => {
    await handleSecurityEvent(event('Create', { IndexRetentionDays: '30' }), connection);

    await handleSecurityEvent(event('Update', {}, { IndexRetentionDays: '30' }), connection);

    expect(domain.policies.has(ACCESS_LOG_RETENTION_POLICY)).toBe(false);
  });
});

describe('Delete', () => {
  test('removes the writer role mapping and keeps everything else', async () => {
    await handleSecurityEvent(event('Create'), connection);

    const response = await handleSecurityEvent(event('Delete'), connection);

    expect(response.PhysicalResourceId).toBe('vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer');
    expect(domain.mappings.has('kong_logs_writer')).toBe(false);
    expect(domain.mappings.get('all_access').backend_roles).toEqual([HANDLER, ADMIN]);
    expect(domain.templates.has('kong-access-logs')).toBe(true);
    const del = domain.requests.filter((r) => r.method === 'DELETE');
    expect(del.map((r) => r.path)).toEqual(['_plugins/_security/api/rolesmapping/kong_logs_writer']);
    expect(del[0]).toMatchObject({ service: 'es', region: REGION, signatureValid: true });
  });

  test('a mapping that is already gone (404) still succeeds', async () => {
    const response = await handleSecurityEvent(event('Delete'), connection);

    expect(response.PhysicalResourceId).toBe('vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer');
    expect(domain.requests.map((r) => r.method)).toEqual(['DELETE']);
  });

  test('a refusal (403) or an unreachable domain never fails a stack delete', async () => {
    domain.fail('DELETE', SECURITY_PATHS.writerMapping, 403, { message: 'no permissions' });
    await expect(handleSecurityEvent(event('Delete'), connection)).resolves.toHaveProperty('PhysicalResourceId');

    const gone = { ...connection, baseUrl: 'http://127.0.0.1:1' };
    await expect(handleSecurityEvent(event('Delete'), gone)).resolves.toHaveProperty('PhysicalResourceId');
    await expect(handleSecurityEvent(event('Delete', { DomainEndpoint: 42 }), connection)).resolves.toEqual({
      PhysicalResourceId: 'vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer',
    });
  });
});

describe('failures', () => {
  test('a 403 ends with the request, the status and OpenSearch message — and no credential', async () => {
    // An answer that echoes the request's credentials must not leak them into the failure reason.
    domain.fail('PUT', SECURITY_PATHS.writerRole, 403, {
      Message: `User: arn:aws:sts::123456789012:assumed-role/handler/x is not authorized (key ${CREDENTIALS.accessKeyId}, token ${CREDENTIALS.sessionToken})`,
    });

    const failure = handleSecurityEvent(event('Create'), connection);

    await expect(failure).rejects.toThrow(
      /^configuring OpenSearch security on vpc-logs-abc123\.eu-west-1\.es\.amazonaws\.com failed: PUT \/_plugins\/_security\/api\/roles\/kong_logs_writer: HTTP 403 \(User: arn:aws:sts::123456789012:assumed-role\/handler\/x is not authorized/,
    );
    const message = await failure.catch((e: Error) => e.message);
    expect(message).not.toContain(CREDENTIALS.accessKeyId);
    expect(message).not.toContain(CREDENTIALS.sessionToken);
    expect(message).not.toContain(CREDENTIALS.secretAccessKey);
    // 4xx is not retried; nothing after the failed step ran.
    expect(domain.requests.map((r) => r.path)).toEqual([SECURITY_PATHS.writerRole]);
  });

  test('OpenSearch error objects become "type: reason"', async () => {
    domain.fail('PUT', SECURITY_PATHS.accessLogTemplate, 400, {
      error: { type: 'mapper_parsing_exception', reason: 'No handler for type [ip] declared on field [remote_addr]' },
      status: 400,
    });

    await expect(handleSecurityEvent(event('Create'), connection)).rejects.toThrow(
      'PUT /_index_template/kong-access-logs: HTTP 400 (mapper_parsing_exception: No handler for type [ip] declared on field [remote_addr])',
    );
  });

  test('a 5xx is retried and the next answer counts', async () => {
    domain.fail('PUT', SECURITY_PATHS.writerMapping, 503, { message: 'cluster not ready' }, 2);

    await handleSecurityEvent(event('Create'), connection);

    const attempts = domain.requests.filter((r) => r.path === SECURITY_PATHS.writerMapping);
    expect(attempts).toHaveLength(3);
    expect(domain.mappings.get('kong_logs_writer').backend_roles).toEqual([WRITER]);
  });

  test('a 500 that persists fails after maxAttempts with the last answer', async () => {
    domain.fail('PUT', SECURITY_PATHS.allAccessMapping, 500, { error: 'internal failure' }, 10);

    await expect(handleSecurityEvent(event('Create'), { ...connection, maxAttempts: 3 })).rejects.toThrow(
      'PUT /_plugins/_security/api/rolesmapping/all_access: HTTP 500 (internal failure)',
    );
    expect(domain.requests.filter((r) => r.path === SECURITY_PATHS.allAccessMapping)).toHaveLength(3);
  });

  test('no answer at all names the host and the number of attempts', async () => {
    await expect(
      handleSecurityEvent(event('Create'), { ...connection, baseUrl: 'http://127.0.0.1:1', maxAttempts: 2 }),
    ).rejects.toThrow(
      /PUT \/_plugins\/_security\/api\/roles\/kong_logs_writer: no answer from 127\.0\.0\.1:1 after 2 attempt\(s\) \(ECONNREFUSED\)/,
    );
  });

  test('a wrongly signed request is refused by the fake domain (so the signature checks above can fail)', async () => {
    const wrongKey = { ...connection, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-key' } };

    await expect(handleSecurityEvent(event('Create'), wrongKey)).rejects.toThrow(/HTTP 403 \(The request signature/);
    expect(domain.requests[0].signatureValid).toBe(false);
  });

  test('invalid properties are KongFleetErrors naming the property', async () => {
    await expect(handleSecurityEvent(event('Create', { WriterRoleArn: 'kong-writer' }), connection)).rejects.toThrow(
      KongFleetError,
    );
    await expect(handleSecurityEvent(event('Create', { AllAccessRoleArns: [] }), connection)).rejects.toThrow(
      /OpenSearchSecurity\.AllAccessRoleArns: is not a list of role ARNs/,
    );
    await expect(handleSecurityEvent(event('Create', { IndexRetentionDays: '0' }), connection)).rejects.toThrow(
      /OpenSearchSecurity\.IndexRetentionDays: is out of range/,
    );
    expect(domain.requests).toHaveLength(0);
  });
});

describe('the Lambda bundle', () => {
  test('loads in plain Node, takes credentials from the environment and completes a Delete of an unreachable domain', () => {
    const script = `
      require(${JSON.stringify(BUNDLE)})
        .onEvent(${JSON.stringify(event('Delete', { DomainEndpoint: '127.0.0.1' }))})
        .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e)); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
      },
    });

    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toEqual({
      PhysicalResourceId: 'vpc-logs-abc123.eu-west-1.es.amazonaws.com/kong_logs_writer',
    });
    const log = JSON.parse(lines[0]);
    expect(log).toMatchObject({ handler: 'opensearch-security', requestType: 'Delete', domainEndpoint: '127.0.0.1' });
    expect(log.writerMapping).toMatch(
      /^kept: DELETE \/_plugins\/_security\/api\/rolesmapping\/kong_logs_writer: no answer/,
    );
    for (const secret of Object.values(CREDENTIALS)) expect(run.stdout).not.toContain(secret);
  });
});
