/**
 * Kong's fallback configuration settings (src/kong/fallback-config.ts): every rendered name is a
 * property of Kong Gateway Enterprise 3.15's reference, the version rule (exactly equal, full
 * Enterprise version, 3.5 or later) and the formats it refuses.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  checkFallbackVersion,
  checkFallbackVersions,
  dataPlaneConfig,
  defaultReferenceDir,
  fallbackExportSettings,
  fallbackImportSettings,
  fallbackObjectKey,
  fallbackStorageEnvironment,
  fallbackStorageUri,
  KONG_REFERENCE_FILES,
  renderEnvironment,
  renderKongConf,
} from '../../src/kong';
import { expectKongError } from '../support/errors';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const KEY_ARN = `arn:${'aws'}:kms:us-east-1:111111111111:key/k`;
const URI = 's3://kong-fallback-0123abcd-111111111111-us-east-1/acme';

// The Enterprise reference only: these settings do not exist in OSS kong.conf.default.
const EE_PARAMS: Record<string, { defaultValue: string | null; description: string }> = JSON.parse(
  fs.readFileSync(path.join(defaultReferenceDir(), KONG_REFERENCE_FILES.enterpriseConf), 'utf8'),
).params;

describe('settings', () => {
  const exportSettings = fallbackExportSettings({
    storageUri: URI,
    exportDelaySeconds: 30,
    s3PutObjectParameters: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN },
  });
  const importSettings = fallbackImportSettings(URI);

  test('every name the exporter and importers get is a Kong Gateway Enterprise 3.15 property', () => {
    const names = [...Object.keys(exportSettings), ...Object.keys(importSettings)];
    expect(names.sort()).toEqual([
      'cluster_fallback_config_export',
      'cluster_fallback_config_export_delay',
      'cluster_fallback_config_import',
      'cluster_fallback_config_storage',
      'cluster_fallback_config_storage',
      'cluster_fallback_export_s3_config',
    ]);
    for (const name of names) expect({ name, known: name in EE_PARAMS }).toEqual({ name, known: true });
    // The reference itself says importers must run the exporter's exact version.
    expect(EE_PARAMS.cluster_fallback_config_import.description).toMatch(/exactly the same version/);
    expect(EE_PARAMS.cluster_fallback_config_export_delay.defaultValue).toBe('60');
  });

  test('exporter: storage, export on, the delay, PutObject parameters as JSON with sorted keys', () => {
    expect(exportSettings).toEqual({
      cluster_fallback_config_storage: URI,
      cluster_fallback_config_export: 'on',
      cluster_fallback_config_export_delay: '30',
      cluster_fallback_export_s3_config: `{"SSEKMSKeyId":"${KEY_ARN}","ServerSideEncryption":"aws:kms"}`,
    });
    expect(fallbackExportSettings({ storageUri: URI })).toEqual({
      cluster_fallback_config_storage: URI,
      cluster_fallback_config_export: 'on',
      cluster_fallback_config_export_delay: '60',
    });
  });

  test('importer: storage and import on, nothing else (never export)', () => {
    expect(importSettings).toEqual({ cluster_fallback_config_storage: URI, cluster_fallback_config_import: 'on' });
  });

  test('as a data plane renders them: KONG_CLUSTER_FALLBACK_* variables and kong.conf lines', () => {
    const config = dataPlaneConfig({
      version: '3.10.0.6',
      clusterControlPlane: { host: 'cluster.kong.example.com', port: 8005 },
      clusterCert: '/etc/kong/cluster.crt',
      clusterCertKey: '/etc/kong/cluster.key',
      extra: importSettings,
    });
    expect(renderEnvironment(config).environment).toMatchObject({
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE: URI,
      KONG_CLUSTER_FALLBACK_CONFIG_IMPORT: 'on',
    });
    expect(renderKongConf(config).text).toContain(`cluster_fallback_config_storage = ${URI}\n`);
  });

  test('storage URI s3://<bucket>/<prefix>; the object is <prefix>/<version>/config.json', () => {
    expect(fallbackStorageUri('my-bucket', 'fleets/acme')).toBe('s3://my-bucket/fleets/acme');
    expect(fallbackObjectKey('acme', '3.10.0.6')).toBe('acme/3.10.0.6/config.json');
  });

  test.each([
    ['a bucket name with capitals', () => fallbackStorageUri('My-Bucket', 'acme'), /bucket: not an S3 bucket name/],
    ['a too short bucket name', () => fallbackStorageUri('ab', 'acme'), /not an S3 bucket name/],
    ['an empty prefix', () => fallbackStorageUri('my-bucket', ''), /prefix: not an object key prefix/],
    ['a prefix with a leading slash', () => fallbackStorageUri('my-bucket', '/acme'), /not an object key prefix/],
    ['a prefix with ..', () => fallbackStorageUri('my-bucket', 'a/../b'), /not an object key prefix/],
    ['a prefix with a wildcard', () => fallbackStorageUri('my-bucket', 'acme*'), /not an object key prefix/],
    ['a gcs URI for import', () => fallbackImportSettings('gcs://b/p'), /not an S3 storage URI/],
    ['an S3 URI without prefix', () => fallbackImportSettings('s3://bucket'), /not an S3 storage URI with a prefix/],
    [
      'a delay of 0',
      () => fallbackExportSettings({ storageUri: URI, exportDelaySeconds: 0 }),
      /not an export interval/,
    ],
    [
      'a fractional delay',
      () => fallbackExportSettings({ storageUri: URI, exportDelaySeconds: 1.5 }),
      /exportDelaySeconds: not an export interval/,
    ],
    [
      'lower-case PutObject parameters',
      () => fallbackExportSettings({ storageUri: URI, s3PutObjectParameters: { bucket: 'x' } }),
      /not PutObject parameters/,
    ],
  ])('refuses %s', (_what, fn, pattern) => expectKongError(fn, pattern));
});

describe('versions', () => {
  test('exactly the same full version passes', () => {
    expect(() => checkFallbackVersions('3.10.0.6', '3.10.0.6', 'dp.kongVersion')).not.toThrow();
    expect(checkFallbackVersion('3.5.0.0', 'v')).toMatchObject({ major: 3, minor: 5, build: 0 });
  });

  test.each([
    ['another build', '3.10.0.6', '3.10.0.5'],
    ['another patch', '3.10.0.6', '3.10.1.6'],
    ['another minor (even an older importer)', '3.11.0.3', '3.10.0.6'],
  ])('%s is refused: Kong requires exactly the same version', (_what, exporter, importer) =>
    expectKongError(
      () => checkFallbackVersions(exporter, importer, 'dp.kongVersion'),
      new RegExp(
        `^dp\\.kongVersion: Kong requires exactly the same version on the fallback configuration's exporter \\(${escape(exporter)}\\) and its importers \\(got "${escape(importer)}"; expected exactly ${escape(exporter)}\\)$`,
      ),
    ),
  );

  test.each([
    ['before 3.5', '3.4.3.12', /no fallback configuration before 3\.5/],
    ['an OSS (three-part) version', '3.10.0', /Kong Gateway Enterprise feature .*four-part/],
    ['a short tag', '3.10', /not a Kong Gateway version/],
    ['another major', '4.0.0.0', /not supported/],
  ])('%s is refused', (_what, version, pattern) => {
    expectKongError(() => checkFallbackVersion(version, 'fallbackConfig.version'), pattern);
    expectKongError(() => checkFallbackVersions(version, version, 'dp.kongVersion'), pattern);
  });
});

describe('process environment', () => {
  test('AWS_REGION only for a node outside the bucket region (its own region is found without it)', () => {
    expect(fallbackStorageEnvironment('us-east-1', 'us-east-1')).toEqual({});
    expect(fallbackStorageEnvironment('us-east-1', 'eu-west-1')).toEqual({ AWS_REGION: 'us-east-1' });
    expect(fallbackStorageEnvironment('us-east-1', undefined)).toEqual({ AWS_REGION: 'us-east-1' });
    expect(fallbackStorageEnvironment('${Token[AWS.Region.12]}', 'eu-west-1')).toEqual({});
  });

  test('refuses a bucket region that is not one', () =>
    expectKongError(() => fallbackStorageEnvironment('moon-1', 'eu-west-1'), /bucketRegion: not an AWS region/));
});
