/**
 * Database IAM-user handler: the `onEvent` handler of an AWS CDK Provider framework custom resource
 * ({@link DATABASE_IAM_USER_RESOURCE_TYPE}) that creates, in Kong's RDS PostgreSQL database, the role
 * Kong signs in as with RDS IAM authentication (`pg_iam_auth`), granted `rds_iam` and what Kong's
 * migrations need (contract.ts, {@link iamUserStatements}).
 *
 * It connects once, as the master user read from Secrets Manager, over TLS verified against the
 * region's Amazon RDS CA bundle, fetched at run time over HTTPS from truststore.pki.rds.amazonaws.com
 * (not shipped: RDS adds CAs, and a bundle frozen into the asset would go stale). Create and Update
 * run the same idempotent statements; Delete keeps the role (Kong's tables belong to it) and does
 * nothing. Nothing it logs, returns or throws contains the password.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isIP } from 'node:net';
import { Client } from 'pg';
import { KongFleetError } from '../../kong/errors';
import type { ProviderEvent, ProviderResponse } from '../provider-event';
import {
  DATABASE_IAM_USER_PROPERTY as P,
  DATABASE_IAM_USER_RESOURCE_TYPE,
  DATABASE_ROLE_NAME,
  iamUserStatements,
} from './contract';

const WHERE = DATABASE_IAM_USER_RESOURCE_TYPE;

export type OnEventRequest = ProviderEvent;
export type OnEventResponse = ProviderResponse<{ IamUser: string }>;

export interface DatabaseIamUserProperties {
  readonly masterSecretArn: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly iamUser: string;
  readonly caBundleUrl: string;
}

/** What the handler connects with (the password only ever goes to the client factory). */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** PEM bundle the server certificate must chain to; the host name is verified too. */
  readonly ca: string;
}

/** The part of a `pg` client the handler uses. */
export interface SqlClient {
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}

/** Everything the handler reaches outside itself, injectable for tests. */
export interface DatabaseIamUserDeps {
  /** SecretString of a Secrets Manager secret. */
  readonly readSecret: (secretArn: string) => Promise<string>;
  /** The PEM text at an https URL. */
  readonly fetchCaBundle: (url: string) => Promise<string>;
  /** A connected client. */
  readonly connect: (connection: PostgresConnection) => Promise<SqlClient>;
  readonly log: (fields: Record<string, unknown>) => void;
}

/** The real dependencies: AWS SDK v3, Node's fetch (verified TLS), `pg`. */
export function defaultDeps(): DatabaseIamUserDeps {
  return {
    readSecret: async (secretArn) => {
      const client = new SecretsManagerClient({});
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
        if (typeof out.SecretString !== 'string') throw new Error('the secret has no SecretString');
        return out.SecretString;
      } finally {
        client.destroy();
      }
    },
    fetchCaBundle: async (url) => {
      const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(20_000) });
      if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
      return response.text();
    },
    connect: async (c) => {
      const client = new Client({
        host: c.host,
        port: c.port,
        database: c.database,
        user: c.user,
        password: c.password,
        // Verified: the chain up to the RDS bundle, and the endpoint name (SNI only for DNS names).
        ssl: { ca: c.ca, rejectUnauthorized: true, ...(isIP(c.host) ? {} : { servername: c.host }) },
        connectionTimeoutMillis: 15_000,
        statement_timeout: 30_000,
        application_name: 'kong-fleet-database-iam-user',
      });
      await client.connect();
      return client;
    },
    log: (fields) => console.log(JSON.stringify({ handler: WHERE, ...fields })),
  };
}

/** A handler bound to `deps`. */
export function databaseIamUserHandler(deps: DatabaseIamUserDeps): (event: OnEventRequest) => Promise<OnEventResponse> {
  return async (event) => {
    const requestType: unknown = event?.RequestType;
    if (requestType === 'Delete') {
      // The role stays: it owns Kong's tables, and a replaced resource (new user name, new instance)
      // must not take the running control plane's login away. Drop it by hand if ever needed.
      deps.log({ requestType, result: 'kept the database user' });
      return { PhysicalResourceId: event.PhysicalResourceId ?? 'database-iam-user' };
    }
    if (requestType !== 'Create' && requestType !== 'Update') {
      throw new KongFleetError(`${WHERE}.RequestType`, 'unknown request type', {
        got: requestType,
        expected: 'Create, Update or Delete',
      });
    }
    const props = parseProperties(event.ResourceProperties);
    const target = `${props.iamUser} in database ${props.database} on ${props.host}:${props.port}`;
    let password = '';
    const fail = (step: string, error: unknown): never => {
      const message = redact(String((error as Error)?.message ?? error), password);
      throw new KongFleetError(WHERE, `could not create the IAM database user ${target}: ${step} failed`, {
        got: message,
        expected:
          'the instance reachable from the handler on its port, the master secret readable, and the RDS CA bundle fetchable',
      });
    };

    let master: { username: string; password: string };
    try {
      master = masterCredentials(await deps.readSecret(props.masterSecretArn));
    } catch (error) {
      return fail('reading the master secret', error);
    }
    password = master.password;
    let ca: string;
    try {
      ca = await deps.fetchCaBundle(props.caBundleUrl);
    } catch (error) {
      return fail(`fetching the RDS CA bundle ${props.caBundleUrl}`, error);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      return fail(`fetching the RDS CA bundle ${props.caBundleUrl}`, new Error('the response holds no certificate'));
    }

    let client: SqlClient;
    try {
      client = await deps.connect({
        host: props.host,
        port: props.port,
        database: props.database,
        user: master.username,
        password: master.password,
        ca,
      });
    } catch (error) {
      return fail('connecting as the master user over verified TLS', error);
    }
    try {
      await client.query('BEGIN');
      for (const statement of iamUserStatements(props.iamUser, props.database)) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return fail('granting the role', error);
    } finally {
      await client.end().catch(() => undefined);
    }
    deps.log({ requestType, iamUser: props.iamUser, database: props.database, host: props.host, result: 'granted' });
    return { PhysicalResourceId: physicalIdFor(props), Data: { IamUser: props.iamUser } };
  };
}

export const onEvent = (event: OnEventRequest): Promise<OnEventResponse> =>
  databaseIamUserHandler(defaultDeps())(event);

/** Another instance, database or user is another resource: CloudFormation then "deletes" (keeps) the old one. */
function physicalIdFor(props: DatabaseIamUserProperties): string {
  return `${props.host}:${props.port}/${props.database}/${props.iamUser}`;
}

function masterCredentials(secretString: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new Error('the secret is not JSON');
  }
  const { username, password } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new Error('the secret has no username and password');
  }
  return { username, password };
}

/** Replaces the password wherever an error message might repeat it. */
function redact(message: string, password: string): string {
  return password.length > 0 ? message.split(password).join('[redacted]') : message;
}

/** Reads and checks the resource properties; throws {@link KongFleetError} naming the property. */
export function parseProperties(raw: Readonly<Record<string, unknown>> | undefined): DatabaseIamUserProperties {
  const text = (name: string): string => {
    const value = raw?.[name];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new KongFleetError(`${WHERE}.${name}`, 'missing or empty', { got: value, expected: 'a non-empty string' });
    }
    return value;
  };
  const port = Number(text(P.port));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KongFleetError(`${WHERE}.${P.port}`, 'not a TCP port', { got: raw?.[P.port] });
  }
  const iamUser = text(P.iamUser);
  if (!DATABASE_ROLE_NAME.test(iamUser)) {
    throw new KongFleetError(`${WHERE}.${P.iamUser}`, 'not a PostgreSQL role name kong-fleet creates', {
      got: iamUser,
      expected: DATABASE_ROLE_NAME.source,
    });
  }
  const database = text(P.database);
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(database)) {
    throw new KongFleetError(`${WHERE}.${P.database}`, 'not a PostgreSQL database name', { got: database });
  }
  const caBundleUrl = text(P.caBundleUrl);
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(caBundleUrl)) {
    throw new KongFleetError(`${WHERE}.${P.caBundleUrl}`, 'the CA bundle must be fetched over HTTPS', {
      got: caBundleUrl,
    });
  }
  return {
    masterSecretArn: text(P.masterSecretArn),
    host: text(P.host),
    port,
    database,
    iamUser,
    caBundleUrl,
  };
}
