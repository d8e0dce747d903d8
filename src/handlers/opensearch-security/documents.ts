/**
 * The JSON documents the handler PUTs into OpenSearch: the writer role, role mappings, the index
 * template of Kong's access logs and the retention policy. Pure functions, so tests and the
 * handler agree on every byte.
 */
import { ACCESS_LOG_FIELDS, DATA_PLANE_FIELD } from '../../kong/log-shipping';
import { KONG_LOG_INDEX_PATTERN } from './contract';

/**
 * A role that may create Kong's log indices and bulk-index documents into them — no read, no
 * delete, nothing outside `kong-*`.
 *
 * Permissions (opensearch-project/security src/main/resources/static_config/static_action_groups.yml;
 * docs.opensearch.org/latest/security/access-control/permissions/): `_bulk` is authorized first at
 * cluster level (`indices:data/write/bulk`), then per index; the `index` action group covers
 * `indices:data/write/index*`, `update*`, `bulk*` and `indices:admin/mapping/put`, `create_index`
 * covers `indices:admin/create`; dynamic fields of new documents go through
 * `indices:admin/mapping/auto_put`.
 */
export function writerRoleDocument(): Record<string, unknown> {
  return {
    description: 'Kong access-log shippers: create kong-* indices and bulk-index into them',
    cluster_permissions: ['indices:data/write/bulk'],
    index_permissions: [
      {
        index_patterns: [KONG_LOG_INDEX_PATTERN],
        allowed_actions: ['create_index', 'index', 'indices:admin/mapping/auto_put'],
      },
    ],
  };
}

/** A role mapping by IAM role ARN (fine-grained access control sees an assumed role's ARN as a backend role). */
export function roleMappingDocument(backendRoles: readonly string[]): Record<string, unknown> {
  return { backend_roles: [...backendRoles], hosts: [], users: [] };
}

/**
 * Audit logging inside the security plugin. Publishing audit logs to CloudWatch is only half of it:
 * the plugin logs nothing until its audit config is enabled (Amazon OpenSearch Service developer
 * guide, audit-logs.html; PUT replaces the whole config: docs.opensearch.org/latest/security/api/
 * audit/update-audit-configuration/). Failures only (authenticated and granted requests are not
 * logged — every bulk write would be), no request bodies (they hold access logs), and changes to
 * the security configuration itself.
 */
export function auditConfigDocument(): Record<string, unknown> {
  const quiet = ['AUTHENTICATED', 'GRANTED_PRIVILEGES'];
  return {
    enabled: true,
    audit: {
      enable_rest: true,
      enable_transport: true,
      disabled_rest_categories: quiet,
      disabled_transport_categories: quiet,
      ignore_users: [],
      ignore_requests: [],
      log_request_body: false,
      resolve_indices: true,
      resolve_bulk_requests: false,
      exclude_sensitive_headers: true,
    },
    compliance: {
      enabled: true,
      internal_config: true,
      external_config: false,
      read_metadata_only: true,
      read_watched_fields: {},
      read_ignore_users: [],
      write_metadata_only: true,
      write_log_diffs: false,
      write_watched_indices: [],
      write_ignore_users: [],
    },
  };
}

/**
 * OpenSearch field types of Kong's JSON access log (src/kong/log-shipping.ts, nginx variables).
 * Fields not listed here are typed from the log format: numbers `double`, strings `keyword`.
 * `status` is written as a string (nginx prints `000` when no response was sent) and coerced to an
 * integer; `upstream_*` may hold several comma-separated values (one per try), so they stay keywords.
 */
const ACCESS_LOG_FIELD_TYPES: Readonly<Record<string, Record<string, unknown>>> = {
  timestamp: { type: 'date' },
  remote_addr: { type: 'ip', ignore_malformed: true },
  status: { type: 'integer' },
  bytes_sent: { type: 'long' },
  request_time: { type: 'float' },
  uri: { type: 'keyword', ignore_above: 2048 },
  http_user_agent: { type: 'keyword', ignore_above: 1024 },
};

/**
 * Index template for Kong's access logs as kong-fleet writes them (one JSON object per request,
 * `data_plane` naming the plane) and Fluent Bit ships them (`@timestamp` from `Logstash_Format On`).
 * Any other string (FireLens metadata, a raw `log` line) is a keyword. Slow-log thresholds make the
 * domain's slow logs report something useful.
 */
export function accessLogTemplateDocument(numberOfReplicas: number): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {
    '@timestamp': { type: 'date' },
    [DATA_PLANE_FIELD]: { type: 'keyword' },
  };
  for (const field of ACCESS_LOG_FIELDS) {
    properties[field.name] =
      ACCESS_LOG_FIELD_TYPES[field.name] ?? (field.type === 'number' ? { type: 'double' } : { type: 'keyword' });
  }
  return {
    index_patterns: [KONG_LOG_INDEX_PATTERN],
    priority: 100,
    _meta: { managed_by: 'kong-fleet' },
    template: {
      settings: {
        'index.number_of_replicas': numberOfReplicas,
        'index.search.slowlog.threshold.query.warn': '5s',
        'index.search.slowlog.threshold.fetch.warn': '1s',
        'index.indexing.slowlog.threshold.index.warn': '5s',
      },
      mappings: {
        dynamic_templates: [
          { strings_as_keywords: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
        ],
        properties,
      },
    },
  };
}

/**
 * Index State Management policy: every new `kong-*` index is deleted `days` after its creation
 * (docs.opensearch.org/latest/im-plugin/ism/policies/). `ism_template` attaches it to indices
 * created after the policy; older indices keep what they had.
 */
export function retentionPolicyDocument(days: number): Record<string, unknown> {
  return {
    policy: {
      description: `Deletes Kong access-log indices ${days} days after creation`,
      default_state: 'hot',
      states: [
        {
          name: 'hot',
          actions: [],
          transitions: [{ state_name: 'delete', conditions: { min_index_age: `${days}d` } }],
        },
        { name: 'delete', actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [KONG_LOG_INDEX_PATTERN], priority: 100 }],
    },
  };
}
