/**
 * The contract between {@link KongDatabase} (src/core) and this handler: resource type, property
 * names and the SQL it runs. Plain data with no AWS SDK or `pg` import, so the construct can import
 * it without pulling handler code into synth.
 */

/** CloudFormation type of the custom resource that creates Kong's IAM database user. */
export const DATABASE_IAM_USER_RESOURCE_TYPE = 'Custom::KongDatabaseIamUser';

/** Property names the handler reads (CloudFormation passes every value as a string). */
export const DATABASE_IAM_USER_PROPERTY = {
  /** ARN of the master credentials secret (JSON `username`, `password`); only this handler reads it. */
  masterSecretArn: 'MasterSecretArn',
  /** The instance endpoint; the server certificate is verified against it. */
  host: 'Host',
  port: 'Port',
  /** Kong's database (`pg_database`). */
  database: 'Database',
  /** The role Kong logs in as with `pg_iam_auth` (`pg_user`). */
  iamUser: 'IamUser',
  /** `https://` URL of the region's RDS CA bundle, fetched at run time to verify the server. */
  caBundleUrl: 'CaBundleUrl',
} as const;

/** Kong's IAM database user unless told otherwise (the master user is `kong`, which keeps its password). */
export const DEFAULT_DATABASE_IAM_USER = 'kong_iam';

/** Unquoted PostgreSQL role names this library creates: lower case, ≤ 63 bytes (NAMEDATALEN - 1). */
export const DATABASE_ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A double-quoted PostgreSQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted PostgreSQL string literal (standard_conforming_strings is on since 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The statements, run as the master user in one transaction, that make `user` a role Kong can run
 * `kong migrations bootstrap/up/finish` and serve with, signing in only through IAM. Each is
 * idempotent, so Create and Update run the same list:
 *
 * - the role, created once (`CREATE ROLE` has no IF NOT EXISTS: a DO block checks pg_roles);
 * - `rds_iam`: RDS then accepts only IAM tokens for this role, never a password
 *   (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html);
 * - CONNECT and TEMPORARY on Kong's database, and CREATE on it for Kong's bootstrap, which runs
 *   `CREATE SCHEMA IF NOT EXISTS <schema> AUTHORIZATION CURRENT_USER` in a block that tolerates
 *   insufficient_privilege (Kong/kong kong/db/strategies/postgres/connector.lua, schema_bootstrap);
 * - USAGE and CREATE on schema `public`, where Kong creates its tables, functions and triggers —
 *   PostgreSQL 15+ no longer lets every role create there. The role then owns what it creates,
 *   which `kong migrations up/finish` need (they ALTER and DROP Kong's own tables).
 *
 * No grants on existing tables: on a database Kong already bootstrapped as the master user, the
 * tables stay the master's and migrations that alter them would fail (see docs/operations.md).
 */
export function iamUserStatements(user: string, database: string): string[] {
  const role = quoteIdentifier(user);
  return [
    [
      'DO $$',
      'BEGIN',
      `  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(user)}) THEN`,
      `    CREATE ROLE ${role} WITH LOGIN;`,
      '  END IF;',
      'END',
      '$$;',
    ].join('\n'),
    `ALTER ROLE ${role} WITH LOGIN;`,
    `GRANT rds_iam TO ${role};`,
    `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${quoteIdentifier(database)} TO ${role};`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${role};`,
  ];
}
