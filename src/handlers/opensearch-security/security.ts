/**
 * What the handler does inside OpenSearch, over any {@link SignedOpenSearchClient}: declare the
 * writer role and the role mappings, the access-log index template and (optionally) the retention
 * policy — every call a PUT of the whole document, so Create and Update are the same idempotent
 * steps — and, on Delete, take the writer mapping away.
 */
import {
  ACCESS_LOG_RETENTION_POLICY,
  ACCESS_LOG_TEMPLATE,
  ALL_ACCESS_ROLE,
  KONG_LOGS_WRITER_ROLE,
  SECURITY_API_PATHS,
} from './contract';
import {
  accessLogTemplateDocument,
  auditConfigDocument,
  retentionPolicyDocument,
  roleMappingDocument,
  writerRoleDocument,
} from './documents';
import type { SignedOpenSearchClient } from './signed-client';

export interface SecuritySettings {
  /** IAM role log shippers assume; the only backend role of {@link KONG_LOGS_WRITER_ROLE}. */
  readonly writerRoleArn: string;
  /** IAM roles mapped to `all_access`: the handler's (the domain's master user) and any admin role. */
  readonly allAccessRoleArns: readonly string[];
  readonly numberOfReplicas: number;
  /** Delete access-log indices this many days after creation; undefined = keep them. */
  readonly indexRetentionDays?: number;
}

/** The paths the handler writes, for logs and tests. */
export const SECURITY_PATHS = {
  writerRole: `${SECURITY_API_PATHS.roles}/${KONG_LOGS_WRITER_ROLE}`,
  writerMapping: `${SECURITY_API_PATHS.rolesMapping}/${KONG_LOGS_WRITER_ROLE}`,
  allAccessMapping: `${SECURITY_API_PATHS.rolesMapping}/${ALL_ACCESS_ROLE}`,
  auditConfig: SECURITY_API_PATHS.auditConfig,
  accessLogTemplate: `${SECURITY_API_PATHS.indexTemplates}/${ACCESS_LOG_TEMPLATE}`,
  retentionPolicy: `${SECURITY_API_PATHS.ismPolicies}/${ACCESS_LOG_RETENTION_POLICY}`,
} as const;

/**
 * Brings the domain to `settings` (and turns the security plugin's audit logging on). `previous` (the settings of the last successful run, on Update)
 * only decides whether a retention policy must be removed. Returns what was done, for the log.
 *
 * The `all_access` mapping is owned by this resource: it is replaced, not merged, so a mapping
 * added by hand disappears on the next deployment — declare admins with the construct's prop.
 */
export async function applySecuritySettings(
  client: SignedOpenSearchClient,
  settings: SecuritySettings,
  previous?: SecuritySettings,
): Promise<string[]> {
  const done: string[] = [];
  // Role before its mapping: the security plugin refuses a mapping to a role it does not know.
  await client.call('PUT', SECURITY_PATHS.writerRole, { body: writerRoleDocument() });
  done.push(`role ${KONG_LOGS_WRITER_ROLE}`);
  await client.call('PUT', SECURITY_PATHS.writerMapping, { body: roleMappingDocument([settings.writerRoleArn]) });
  done.push(`mapping ${KONG_LOGS_WRITER_ROLE}`);
  await client.call('PUT', SECURITY_PATHS.allAccessMapping, { body: roleMappingDocument(settings.allAccessRoleArns) });
  done.push(`mapping ${ALL_ACCESS_ROLE}`);
  await client.call('PUT', SECURITY_PATHS.auditConfig, { body: auditConfigDocument() });
  done.push('audit config');
  await client.call('PUT', SECURITY_PATHS.accessLogTemplate, {
    body: accessLogTemplateDocument(settings.numberOfReplicas),
  });
  done.push(`index template ${ACCESS_LOG_TEMPLATE}`);

  if (settings.indexRetentionDays !== undefined) {
    await putRetentionPolicy(client, settings.indexRetentionDays);
    done.push(`ism policy ${ACCESS_LOG_RETENTION_POLICY} (${settings.indexRetentionDays}d)`);
  } else if (previous?.indexRetentionDays !== undefined) {
    await client.call('DELETE', SECURITY_PATHS.retentionPolicy, { accepted: [200, 404] });
    done.push(`ism policy ${ACCESS_LOG_RETENTION_POLICY} removed`);
  }
  return done;
}

/**
 * ISM refuses a plain PUT over an existing policy: an update must name the version it replaces
 * (`if_seq_no` / `if_primary_term`, docs.opensearch.org/latest/im-plugin/ism/api/#update-policy).
 */
async function putRetentionPolicy(client: SignedOpenSearchClient, days: number): Promise<void> {
  const path = SECURITY_PATHS.retentionPolicy;
  const current = await client.call('GET', path, { accepted: [200, 404] });
  const body = retentionPolicyDocument(days);
  if (current.status === 404) {
    await client.call('PUT', path, { body });
    return;
  }
  const version = current.body as { _seq_no?: unknown; _primary_term?: unknown } | undefined;
  if (typeof version?._seq_no !== 'number' || typeof version?._primary_term !== 'number') {
    throw new Error(`GET /${path}: the answer has no _seq_no/_primary_term to update the policy with`);
  }
  await client.call('PUT', path, {
    body,
    query: { if_seq_no: String(version._seq_no), if_primary_term: String(version._primary_term) },
  });
}

/**
 * Delete: removes the writer role's mapping so the (deleted) writer role's ARN grants nothing if
 * it is ever re-created. Best effort — a stack delete never fails here: a missing mapping, an
 * unreachable or already deleted domain are all fine. Returns what happened, for the log.
 */
export async function removeWriterMapping(client: SignedOpenSearchClient): Promise<string> {
  try {
    const response = await client.request('DELETE', SECURITY_PATHS.writerMapping);
    if (response.status === 404) return 'already absent';
    client.expectStatus('DELETE', SECURITY_PATHS.writerMapping, response, [200]);
    return 'removed';
  } catch (error) {
    return `kept: ${(error as Error)?.message ?? 'unknown error'}`;
  }
}
