/**
 * The contract between the KongLogDomain construct (src/services) and this handler: resource type,
 * property names and the names the handler gives things inside OpenSearch. Plain data with no AWS
 * SDK import, so the construct can import it without pulling handler code into synth.
 */

/** CloudFormation type of the custom resource that configures OpenSearch's security plugin. */
export const OPENSEARCH_SECURITY_RESOURCE_TYPE = 'Custom::KongOpenSearchSecurity';

/** Property names the handler reads (CloudFormation passes scalars as strings). */
export const SECURITY_PROPERTY = {
  /** The domain's VPC endpoint host, no scheme (`vpc-….<region>.es.amazonaws.com`). */
  domainEndpoint: 'DomainEndpoint',
  /** ARN of the IAM role log shippers assume; mapped to {@link KONG_LOGS_WRITER_ROLE}. */
  writerRoleArn: 'WriterRoleArn',
  /** IAM role ARNs mapped to OpenSearch's `all_access` (the handler's own role first). */
  allAccessRoleArns: 'AllAccessRoleArns',
  /** Replicas per primary shard of Kong's access-log indices. */
  numberOfReplicas: 'NumberOfReplicas',
  /** Days after which an access-log index is deleted; absent = kept. */
  indexRetentionDays: 'IndexRetentionDays',
} as const;

/** Kong's access-log indices: `kong-<data plane>-<date>` (one pattern per data plane under it). */
export const KONG_LOG_INDEX_PATTERN = 'kong-*';

/** The write-only role inside OpenSearch's fine-grained access control. */
export const KONG_LOGS_WRITER_ROLE = 'kong_logs_writer';

/** OpenSearch's predefined role with every permission, for humans and this handler. */
export const ALL_ACCESS_ROLE = 'all_access';

/** Composable index template applied to {@link KONG_LOG_INDEX_PATTERN}. */
export const ACCESS_LOG_TEMPLATE = 'kong-access-logs';

/** Index State Management policy that deletes old access-log indices. */
export const ACCESS_LOG_RETENTION_POLICY = 'kong-access-logs-retention';

/** The REST paths the handler calls, relative to the domain endpoint (also scope its IAM policy). */
export const SECURITY_API_PATHS = {
  /** Everything below is the security plugin's REST API. */
  security: '_plugins/_security/api',
  roles: '_plugins/_security/api/roles',
  rolesMapping: '_plugins/_security/api/rolesmapping',
  auditConfig: '_plugins/_security/api/audit/config',
  indexTemplates: '_index_template',
  ismPolicies: '_plugins/_ism/policies',
} as const;
