/**
 * Kong Gateway Enterprise's fallback configuration ("control plane outage management"): one node
 * exports the configuration it holds to object storage, and data planes that cannot reach their
 * control plane when they start import it from there.
 *
 * Facts this module relies on (checked against the sources named):
 * - Settings `cluster_fallback_config_storage` (`s3://<bucket>/<prefix>`), `cluster_fallback_config_export`,
 *   `cluster_fallback_config_export_delay` (seconds, default 60), `cluster_fallback_export_s3_config`
 *   (JSON added to the exporter's PutObject call) and `cluster_fallback_config_import`; names checked
 *   against kong-conf-ee-3.15.json (test/kong/fallback-config.test.ts).
 * - Both a control plane and a data plane may export; importing is for data planes only
 *   (https://developer.konghq.com/gateway/cp-outage/; kong/clustering/config_sync_backup/init.lua
 *   asserts `role == "data_plane"` on import).
 * - The object is `<prefix>/<exact Kong version>/config.json` (3.6+: election registrations under
 *   `<prefix>/<version>/election/`, listed with ListObjectsV2), so exporter and importers must run
 *   exactly the same version — Kong's own reference says so for `cluster_fallback_config_import`
 *   (kong/clustering/config_sync_backup/strategies/s3.lua `_M.new`).
 * - A data plane imports only when its first connection to the control plane fails and it has no
 *   cached configuration, and never retries the import.
 * - The S3 client (lua-resty-aws) takes its region from AWS_REGION, then AWS_DEFAULT_REGION, then
 *   ECS task metadata, then EC2 instance metadata (IMDSv2), and signs path-style requests for that
 *   region; credentials come from the standard chain (environment, ECS task role, IRSA web identity
 *   token, EC2 instance role). Sources: Kong/lua-resty-aws src/resty/aws/config.lua, utils.lua
 *   getCurrentRegion, credentials/CredentialProviderChain.lua.
 */
import { KongFleetError } from './errors';
import { isUnresolvedToken } from './net';
import { KongVersion, parseKongVersion } from './version';

/** The first Kong Gateway Enterprise release this library builds a fallback configuration for. */
export const FALLBACK_CONFIG_MIN_VERSION = '3.5.0.0';

/** Kong's default `cluster_fallback_config_export_delay`. */
export const FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS = 60;

/** The environment variable the S3 client of Kong reads its region from first. */
export const FALLBACK_CONFIG_REGION_VARIABLE = 'AWS_REGION';

const MIN = parseKongVersion(FALLBACK_CONFIG_MIN_VERSION);
const MAX_EXPORT_DELAY_SECONDS = 86_400;
// S3 bucket names (general purpose buckets): 3-63 lower-case letters, digits, dots and hyphens.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Object key prefixes kept to characters S3 and IAM ARNs treat literally; no empty, `.` or `..` segment.
const PREFIX = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

/**
 * Parses the version of a node that exports or imports the fallback configuration: a full Kong
 * Gateway Enterprise version (`3.10.0.6`, never a short tag: Kong keys the object by the exact
 * version) of at least {@link FALLBACK_CONFIG_MIN_VERSION}.
 */
export function checkFallbackVersion(version: string, where: string): KongVersion {
  const parsed = parseKongVersion(version, where);
  if (parsed.build === undefined) {
    throw new KongFleetError(where, 'the fallback configuration is a Kong Gateway Enterprise feature', {
      got: version,
      expected: 'a full four-part Enterprise version such as 3.10.0.6',
    });
  }
  if (parsed.major === MIN.major && parsed.minor < MIN.minor) {
    throw new KongFleetError(where, 'Kong Gateway has no fallback configuration before 3.5 here', {
      got: version,
      expected: `${FALLBACK_CONFIG_MIN_VERSION} or later`,
    });
  }
  return parsed;
}

/**
 * Throws unless `importerVersion` is exactly `exporterVersion` (all four parts): Kong requires
 * exporter and importers of a fallback configuration to run exactly the same version, because each
 * reads and writes the object of its own version.
 */
export function checkFallbackVersions(exporterVersion: string, importerVersion: string, where: string): void {
  checkFallbackVersion(exporterVersion, `${where} (fallback exporter)`);
  checkFallbackVersion(importerVersion, where);
  if (exporterVersion !== importerVersion) {
    throw new KongFleetError(
      where,
      `Kong requires exactly the same version on the fallback configuration's exporter (${exporterVersion}) and its importers`,
      { got: importerVersion, expected: `exactly ${exporterVersion}` },
    );
  }
}

/** `s3://<bucket>/<prefix>`, Kong's `cluster_fallback_config_storage` for an S3 bucket. */
export function fallbackStorageUri(bucket: string, prefix: string, where = 'fallbackStorageUri'): string {
  if (
    typeof bucket !== 'string' ||
    (!isUnresolvedToken(bucket) && (!BUCKET_NAME.test(bucket) || bucket.includes('..')))
  ) {
    throw new KongFleetError(`${where}.bucket`, 'not an S3 bucket name', {
      got: bucket,
      expected: '3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit',
    });
  }
  checkPrefix(prefix, `${where}.prefix`);
  return `s3://${bucket}/${prefix}`;
}

/** The key Kong reads and writes the configuration of `version` at (for tests and docs). */
export function fallbackObjectKey(prefix: string, version: string, where = 'fallbackObjectKey'): string {
  checkPrefix(prefix, `${where}.prefix`);
  return `${prefix}/${version}/config.json`;
}

/** What the exporting node adds to its settings. */
export interface FallbackExportOptions {
  /** `s3://<bucket>/<prefix>` ({@link fallbackStorageUri}). */
  readonly storageUri: string;
  /**
   * Seconds between two exports (`cluster_fallback_config_export_delay`): changes within it are
   * exported once, as the newest configuration.
   * @default 60
   */
  readonly exportDelaySeconds?: number;
  /**
   * Parameters added to the exporter's PutObject call (`cluster_fallback_export_s3_config`), e.g.
   * `{ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: '<key arn>' }`.
   * @default - none: the bucket's default encryption applies
   */
  readonly s3PutObjectParameters?: Record<string, string>;
}

/** The kong.conf settings of the node that exports the fallback configuration. */
export function fallbackExportSettings(
  options: FallbackExportOptions,
  where = 'fallbackExportSettings',
): Record<string, string> {
  checkStorageUri(options.storageUri, `${where}.storageUri`);
  const delay = options.exportDelaySeconds ?? FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS;
  if (!Number.isInteger(delay) || delay < 1 || delay > MAX_EXPORT_DELAY_SECONDS) {
    throw new KongFleetError(`${where}.exportDelaySeconds`, 'not an export interval', {
      got: delay,
      expected: `a whole number of seconds 1-${MAX_EXPORT_DELAY_SECONDS}`,
    });
  }
  const settings: Record<string, string> = {
    cluster_fallback_config_storage: options.storageUri,
    cluster_fallback_config_export: 'on',
    cluster_fallback_config_export_delay: String(delay),
  };
  const parameters = options.s3PutObjectParameters;
  if (parameters !== undefined) {
    const keys = Object.keys(parameters).sort();
    const bad = keys.find((k) => !/^[A-Z][A-Za-z0-9]*$/.test(k) || typeof parameters[k] !== 'string');
    if (keys.length === 0 || bad !== undefined) {
      throw new KongFleetError(`${where}.s3PutObjectParameters`, 'not PutObject parameters', {
        got: parameters,
        expected: 'PutObject parameter names (ServerSideEncryption, SSEKMSKeyId, StorageClass, …) with string values',
      });
    }
    settings.cluster_fallback_export_s3_config = JSON.stringify(
      Object.fromEntries(keys.map((k) => [k, parameters[k]])),
    );
  }
  return settings;
}

/** The kong.conf settings of a data plane that imports the fallback configuration when its CP is unreachable. */
export function fallbackImportSettings(storageUri: string, where = 'fallbackImportSettings'): Record<string, string> {
  checkStorageUri(storageUri, `${where}.storageUri`);
  return { cluster_fallback_config_storage: storageUri, cluster_fallback_config_import: 'on' };
}

/**
 * Process environment (not kong.conf) a fallback node needs so that Kong's S3 client signs for the
 * bucket's region: `AWS_REGION` when the node runs in another region (the runtime's own region is
 * found without it), nothing otherwise. `nodeRegion` may be an unresolved token: then the region
 * is set, which is right whatever the node's region turns out to be.
 */
export function fallbackStorageEnvironment(
  bucketRegion: string,
  nodeRegion: string | undefined,
  where = 'fallbackStorageEnvironment',
): Record<string, string> {
  if (typeof bucketRegion === 'string' && isUnresolvedToken(bucketRegion)) return {};
  if (typeof bucketRegion !== 'string' || !AWS_REGION.test(bucketRegion)) {
    throw new KongFleetError(`${where}.bucketRegion`, 'not an AWS region', {
      got: bucketRegion,
      expected: 'e.g. us-east-1',
    });
  }
  return nodeRegion === bucketRegion ? {} : { [FALLBACK_CONFIG_REGION_VARIABLE]: bucketRegion };
}

function checkPrefix(prefix: string, where: string): void {
  if (typeof prefix !== 'string' || (!isUnresolvedToken(prefix) && (!PREFIX.test(prefix) || prefix.length > 200))) {
    throw new KongFleetError(where, 'not an object key prefix', {
      got: prefix,
      expected:
        "1-200 characters: letters, digits, '.', '_', '-', segments separated by '/', no leading or trailing '/'",
    });
  }
}

function checkStorageUri(uri: string, where: string): void {
  if (typeof uri !== 'string' || !uri.startsWith('s3://') || uri.slice(5).split('/').length < 2) {
    throw new KongFleetError(where, 'not an S3 storage URI with a prefix', {
      got: uri,
      expected: 's3://<bucket>/<prefix>',
    });
  }
}
