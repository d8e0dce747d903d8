/**
 * The database-iam-user handler (src/handlers/database-iam-user) with its outside world injected: a
 * fake PostgreSQL that interprets the handler's statements just enough to show what a second run
 * changes (the role exists once, grants repeat harmlessly), a fake secret store and CA bundle.
 * The same statements were run against a real PostgreSQL 15 by hand (non-superuser master owning
 * the database, as on RDS): twice, then Kong-like DDL as the new role.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  DATABASE_IAM_USER_PROPERTY as P,
  iamUserStatements,
  quoteIdentifier,
  quoteLiteral,
} from '../../src/handlers/database-iam-user/contract';
import {
  databaseIamUserHandler,
  type DatabaseIamUserDeps,
  defaultDeps,
  type OnEventRequest,
  parseProperties,
  type PostgresConnection,
} from '../../src/handlers/database-iam-user/index';
import { KongFleetError } from '../../src/kong/errors';
import { createTestCa, issueTestCertificate } from '../support/test-pki';

const PASSWORD = 'Sup3r-s3cret/master+pw';
const SECRET_ARN = `arn:${'aws'}:secretsmanager:eu-west-1:111111111111:secret:kong-db-master-AbCdEf`;
const BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem';
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const HOST = 'kong-db.abc123.eu-west-1.rds.amazonaws.com';

const PROPERTIES = {
  ServiceToken: `arn:${'aws'}:lambda:eu-west-1:111111111111:function:provider`,
  [P.masterSecretArn]: SECRET_ARN,
  [P.host]: HOST,
  [P.port]: '5432',
  [P.database]: 'kong',
  [P.iamUser]: 'kong_iam',
  [P.caBundleUrl]: BUNDLE_URL,
};

function event(RequestType: OnEventRequest['RequestType'], properties = PROPERTIES, PhysicalResourceId?: string) {
  return { RequestType, ResourceProperties: properties, ...(PhysicalResourceId ? { PhysicalResourceId } : {}) };
}

/** A PostgreSQL that knows roles, memberships and grants, and logs every statement. */
class FakeDatabase {
  public readonly roles = new Set<string>(['kong', 'rds_iam']);
  public readonly memberships = new Set<string>();
  public readonly grants = new Set<string>();
  public rolesCreated = 0;
  public readonly statements: string[] = [];
  public readonly connections: PostgresConnection[] = [];
  public ended = 0;
  /** A statement (by prefix) that fails, with this message. */
  public failOn?: { prefix: string; message: string };
  public connectError?: string;

  public connect = async (connection: PostgresConnection) => {
    this.connections.push(connection);
    if (this.connectError) throw new Error(this.connectError);
    return {
      query: async (text: string) => this.query(text),
      end: async () => {
        this.ended++;
      },
    };
  };

  private query(text: string): unknown {
    this.statements.push(text);
    if (this.failOn && text.startsWith(this.failOn.prefix)) throw new Error(this.failOn.message);
    const create =
      /IF NOT EXISTS \(SELECT FROM pg_catalog\.pg_roles WHERE rolname = '([^']+)'\) THEN\s+CREATE ROLE "([^"]+)" WITH LOGIN;/.exec(
        text,
      );
    if (create) {
      if (!this.roles.has(create[1])) {
        this.roles.add(create[2]);
        this.rolesCreated++;
      }
      return {};
    }
    const member = /^GRANT (\w+) TO "([^"]+)";$/.exec(text);
    if (member) {
      if (!this.roles.has(member[2])) throw new Error(`role "${member[2]}" does not exist`);
      this.memberships.add(`${member[2]}∈${member[1]}`);
      return {};
    }
    if (/^GRANT .* ON /.test(text) || /^ALTER ROLE/.test(text)) {
      const role = /(?:TO|ROLE) "([^"]+)"/.exec(text)![1];
      if (!this.roles.has(role)) throw new Error(`role "${role}" does not exist`);
      this.grants.add(text);
    }
    return {};
  }
}

function deps(db: FakeDatabase, overrides: Partial<DatabaseIamUserDeps> = {}) {
  const calls = { secrets: [] as string[], bundles: [] as string[], logs: [] as Record<string, unknown>[] };
  const d: DatabaseIamUserDeps = {
    readSecret: async (arn) => {
      calls.secrets.push(arn);
      return JSON.stringify({ username: 'kong', password: PASSWORD, engine: 'postgres', host: HOST });
    },
    fetchCaBundle: async (url) => {
      calls.bundles.push(url);
      return PEM;
    },
    connect: db.connect,
    log: (fields) => calls.logs.push(fields),
    ...overrides,
  };
  return { handler: databaseIamUserHandler(d), calls };
}

async function failure(promise: Promise<unknown>): Promise<KongFleetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KongFleetError);
  return error as KongFleetError;
}

describe('database-iam-user handler: Create and Update', () => {
  test('GIVEN Create THEN it connects once as the master user over verified TLS and grants in one transaction', async () => {
    const db = new FakeDatabase();
    const { handler, calls } = deps(db);
    const response = await handler(event('Create'));
    expect(response).toEqual({
      PhysicalResourceId: `${HOST}:5432/kong/kong_iam`,
      Data: { IamUser: 'kong_iam' },
    });
    expect(calls.secrets).toEqual([SECRET_ARN]);
    expect(calls.bundles).toEqual([BUNDLE_URL]);
    expect(db.connections).toEqual([
      { host: HOST, port: 5432, database: 'kong', user: 'kong', password: PASSWORD, ca: PEM },
    ]);
    expect(db.statements).toEqual(['BEGIN', ...iamUserStatements('kong_iam', 'kong'), 'COMMIT']);
    expect(db.memberships).toEqual(new Set(['kong_iam∈rds_iam']));
    expect(db.grants).toEqual(
      new Set([
        'ALTER ROLE "kong_iam" WITH LOGIN;',
        'GRANT CONNECT, CREATE, TEMPORARY ON DATABASE "kong" TO "kong_iam";',
        'GRANT USAGE, CREATE ON SCHEMA public TO "kong_iam";',
      ]),
    );
    expect(db.ended).toBe(1);
    expect(JSON.stringify(calls.logs)).not.toContain(PASSWORD);
  });

  test('GIVEN Create then Update (a re-run) THEN the role is created once and the grants simply repeat', async () => {
    const db = new FakeDatabase();
    const { handler } = deps(db);
    const created = await handler(event('Create'));
    const updated = await handler(event('Update', PROPERTIES, created.PhysicalResourceId));
    expect(db.rolesCreated).toBe(1);
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    const [first, second] = [db.statements.slice(0, 7), db.statements.slice(7)];
    expect(second).toEqual(first);
    expect(db.memberships.size).toBe(1);
  });

  test('GIVEN an Update to another user name THEN a new physical id (CloudFormation then deletes — keeps — the old)', async () => {
    const db = new FakeDatabase();
    const { handler } = deps(db);
    await handler(event('Create'));
    const renamed = await handler(event('Update', { ...PROPERTIES, [P.iamUser]: 'kong_gateway' }));
    expect(renamed.PhysicalResourceId).toBe(`${HOST}:5432/kong/kong_gateway`);
    expect(db.roles).toEqual(new Set(['kong', 'rds_iam', 'kong_iam', 'kong_gateway']));
  });
});

describe('database-iam-user handler: Delete', () => {
  test('GIVEN Delete THEN nothing is read or connected and the user is kept', async () => {
    const db = new FakeDatabase();
    const { handler, calls } = deps(db);
    const response = await handler(event('Delete', PROPERTIES, `${HOST}:5432/kong/kong_iam`));
    expect(response).toEqual({ PhysicalResourceId: `${HOST}:5432/kong/kong_iam` });
    expect(calls.secrets).toEqual([]);
    expect(db.connections).toEqual([]);
    expect(calls.logs).toEqual([{ requestType: 'Delete', result: 'kept the database user' }]);
  });

  test('GIVEN Delete with unreadable properties THEN it still succeeds (a stack delete never hangs on it)', async () => {
    const { handler } = deps(new FakeDatabase());
    await expect(handler(event('Delete', {} as typeof PROPERTIES, 'x'))).resolves.toEqual({ PhysicalResourceId: 'x' });
  });
});

describe('database-iam-user handler: failures', () => {
  test('GIVEN the connection fails with the password in its message THEN the error names the step and never the password', async () => {
    const db = new FakeDatabase();
    db.connectError = `password authentication failed for user "kong" (password ${PASSWORD})`;
    const error = await failure(deps(db).handler(event('Create')));
    expect(error.message).toMatch(
      /^Custom::KongDatabaseIamUser: could not create the IAM database user kong_iam in database kong on kong-db\.abc123\.eu-west-1\.rds\.amazonaws\.com:5432: connecting as the master user over verified TLS failed/,
    );
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(PASSWORD);
  });

  test('GIVEN a grant fails THEN the transaction is rolled back, the client closed and the step named', async () => {
    const db = new FakeDatabase();
    db.failOn = { prefix: 'GRANT rds_iam', message: 'permission denied to grant role "rds_iam"' };
    const error = await failure(deps(db).handler(event('Create')));
    expect(error.message).toMatch(/: granting the role failed \(got "permission denied to grant role \\"rds_iam\\""/);
    expect(db.statements.at(-1)).toBe('ROLLBACK');
    expect(db.statements).not.toContain('COMMIT');
    expect(db.ended).toBe(1);
  });

  test('GIVEN a CA bundle without a certificate THEN nothing connects', async () => {
    const db = new FakeDatabase();
    const error = await failure(
      deps(db, { fetchCaBundle: async () => '<html>captive portal</html>' }).handler(event('Create')),
    );
    expect(error.message).toMatch(
      /fetching the RDS CA bundle https:\/\/truststore\.pki\.rds\.amazonaws\.com\/.* failed \(got "the response holds no certificate"/,
    );
    expect(db.connections).toEqual([]);
  });

  test('GIVEN a master secret that is not the RDS JSON THEN the error says so without echoing it', async () => {
    const error = await failure(
      deps(new FakeDatabase(), { readSecret: async () => PASSWORD }).handler(event('Create')),
    );
    expect(error.message).toMatch(/reading the master secret failed \(got "the secret is not JSON"/);
    expect(error.message).not.toContain(PASSWORD);
  });

  test.each<[string, string, RegExp]>([
    [P.iamUser, 'Kong-IAM', /IamUser: not a PostgreSQL role name kong-fleet creates/],
    [P.iamUser, 'kong"; DROP ROLE kong; --', /IamUser: not a PostgreSQL role name/],
    [P.database, 'kong db', /Database: not a PostgreSQL database name/],
    [P.port, '99999', /Port: not a TCP port/],
    [
      P.caBundleUrl,
      'http://truststore.pki.rds.amazonaws.com/x.pem',
      /CaBundleUrl: the CA bundle must be fetched over HTTPS/,
    ],
    [P.masterSecretArn, '', /MasterSecretArn: missing or empty/],
  ])('GIVEN %s %p THEN the properties are refused before anything runs', async (name, value, pattern) => {
    const db = new FakeDatabase();
    const error = await failure(deps(db).handler(event('Create', { ...PROPERTIES, [name]: value })));
    expect(error.message).toMatch(pattern);
    expect(db.connections).toEqual([]);
  });

  test('GIVEN an unknown request type THEN it is refused', async () => {
    await expect(deps(new FakeDatabase()).handler(event('Replace' as never))).rejects.toThrow(/unknown request type/);
  });
});

describe('database-iam-user SQL', () => {
  test('GIVEN names with quotes THEN identifiers and literals are escaped (defence behind the name check)', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteLiteral("a'b")).toBe("'a''b'");
    expect(parseProperties(PROPERTIES).iamUser).toBe('kong_iam');
  });

  test('GIVEN the statements THEN no password is ever set on the IAM role (it signs in with tokens only)', () => {
    const sql = iamUserStatements('kong_iam', 'kong').join('\n');
    expect(sql).not.toMatch(/PASSWORD/i);
    expect(sql).toMatch(/GRANT rds_iam TO "kong_iam";/);
  });
});

/**
 * A PostgreSQL server on 127.0.0.1 that answers the SSLRequest with 'S' and then speaks TLS with
 * `cert`: enough for the real `pg` client of defaultDeps() to show what it accepts.
 */
async function tlsPostgres(cert: { cert: string; key: string }): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, key: cert.key, cert: cert.cert });
      secure.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('database-iam-user handler: the real pg client verifies the server', () => {
  test('GIVEN a server certificate from another CA, or for another name THEN the connection is refused', async () => {
    const rdsCa = await createTestCa({ commonName: 'Amazon RDS eu-west-1 Root CA (test)' });
    const otherCa = await createTestCa({ commonName: 'Somebody else' });
    const serverCert = await issueTestCertificate(rdsCa, {
      commonName: 'other-db.example.com',
      dnsNames: ['other-db.example.com'],
      eku: ['serverAuth'],
    });
    const server = await tlsPostgres(serverCert);
    const connect = (ca: string) =>
      defaultDeps().connect({
        host: '127.0.0.1',
        port: server.port,
        database: 'kong',
        user: 'kong',
        password: PASSWORD,
        ca,
      });
    try {
      // Not the bundle that issued it: chain verification fails.
      await expect(connect(otherCa.cert)).rejects.toMatchObject({
        code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/),
      });
      // The right bundle, but the certificate does not name the host: name verification fails.
      await expect(connect(rdsCa.cert)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    } finally {
      await server.close();
    }
  }, 30_000);
});
