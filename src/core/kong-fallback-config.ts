import { createHash } from 'crypto';
import { Aws, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import {
  checkFallbackVersion,
  FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS,
  fallbackExportSettings,
  fallbackImportSettings,
  fallbackStorageEnvironment,
  fallbackStorageUri,
} from '../kong/fallback-config';
import { acknowledgeNag, resourceFinding } from './acknowledge';

/** Properties of {@link KongFallbackConfig}. */
export interface KongFallbackConfigProps {
  /**
   * The exact Kong Gateway Enterprise version (four parts, 3.5.0.0 or later) of the node that
   * exports the configuration. Every importing data plane must run exactly this version: Kong
   * stores the configuration under the exporter's version and each importer reads its own.
   */
  readonly exporterVersion: string;

  /**
   * Name of the bucket. Grants in other stacks, regions and accounts name it literally, so it is
   * fixed at synth time.
   * @default - `kong-fallback-<hash of the stack and construct path>-<account>-<region>`
   */
  readonly bucketName?: string;

  /**
   * Key prefix of everything Kong writes (`<prefix>/<version>/config.json`); the grants cover
   * only this prefix.
   * @default 'kong'
   */
  readonly prefix?: string;

  /**
   * Seconds between two exports (`cluster_fallback_config_export_delay`).
   * @default 60
   */
  readonly exportDelaySeconds?: number;

  /**
   * How long a replaced configuration (a noncurrent object version) is kept, to restore an
   * earlier one by hand.
   * @default Duration.days(30)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Bucket that receives the server access logs.
   * @default - a new bucket (SSE-S3, kept for a year) in this construct
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Other AWS accounts whose data planes import the configuration: the bucket and key policies let
   * them read the prefix through S3 (their own IAM policies come from {@link KongFallbackConfig.grantImport}).
   * @default - only this account
   */
  readonly importerAccounts?: string[];
}

/**
 * The storage of Kong's fallback configuration (Kong Gateway Enterprise 3.5+): an S3 bucket —
 * versioned, SSE-KMS with a customer-managed key and an S3 Bucket Key, public access blocked, TLS
 * only, server access logs, noncurrent versions expired — that one exporter writes and data planes
 * read when their control plane is unreachable as they start (see src/kong/fallback-config.ts).
 *
 * Grants are made in the grantee's scope and name the bucket, prefix and key by their synth-time
 * names, so data planes in other stacks, regions or accounts come and go without changing this
 * construct's stack. The bucket and key are retained when the stack is deleted.
 */
export class KongFallbackConfig extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey: kms.Key;
  /**
   * The bucket's name as grants write it: a literal, or (default name in a stack without an
   * explicit environment) with `AWS::AccountId` / `AWS::Region`, resolved in the grantee's stack.
   */
  public readonly bucketName: string;
  /** Key prefix Kong writes under. */
  public readonly prefix: string;
  /** `cluster_fallback_config_storage`: `s3://<bucket>/<prefix>`. */
  public readonly storageUri: string;
  /** The exact Kong version exporter and importers run. */
  public readonly exporterVersion: string;
  public readonly exportDelaySeconds: number;
  /** Bucket that receives the server access logs. */
  public readonly serverAccessLogsBucket: s3.IBucket;
  private readonly importerAccounts: readonly string[];
  /** Whether {@link bucketName} is the default name (its tokens are pseudo parameters only). */
  private readonly defaultName: boolean;

  constructor(scope: Construct, id: string, props: KongFallbackConfigProps) {
    super(scope, id);
    const where = this.node.path;
    const stack = Stack.of(this);
    checkFallbackVersion(props.exporterVersion, `${where}.exporterVersion`);
    this.exporterVersion = props.exporterVersion;
    this.exportDelaySeconds = props.exportDelaySeconds ?? FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS;
    this.prefix = props.prefix ?? 'kong';
    this.importerAccounts = [...new Set(props.importerAccounts ?? [])].sort();
    const badAccount = this.importerAccounts.find((a) => !Token.isUnresolved(a) && !/^[0-9]{12}$/.test(a));
    if (badAccount !== undefined) {
      throw new KongFleetError(`${where}.importerAccounts`, 'contains something that is not an AWS account id', {
        got: badAccount,
        expected: '12 digits',
      });
    }
    const noncurrentDays = (props.noncurrentVersionExpiration ?? Duration.days(30)).toDays();
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) {
      throw new KongFleetError(`${where}.noncurrentVersionExpiration`, 'not a whole number of days', {
        got: noncurrentDays,
        expected: 'at least 1 day',
      });
    }

    this.defaultName = props.bucketName === undefined;
    this.bucketName = props.bucketName ?? defaultBucketName(stack, this.node.path);
    this.storageUri = fallbackStorageUri(this.bucketName, this.prefix, where);
    // Validates the export settings (delay) now rather than when the exporter is built.
    fallbackExportSettings({ storageUri: this.storageUri, exportDelaySeconds: this.exportDelaySeconds }, where);

    // Not createEncryptionKey: that key admits CloudWatch Logs, which has nothing to do here.
    this.encryptionKey = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: `Encrypts the Kong fallback configuration in ${this.bucketName}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (props.serverAccessLogsBucket) {
      this.serverAccessLogsBucket = props.serverAccessLogsBucket;
    } else {
      const logs = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        // Object ownership stays CDK's choice: the log delivery grant (ACL or bucket policy,
        // depending on @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy) needs its own setting.
        enforceSSL: true,
        versioned: false,
        lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      acknowledgeNag(
        logs,
        'S1',
        'this bucket is itself the server-access-log destination of the fallback-configuration bucket; logging it too would recurse',
      );
      this.serverAccessLogsBucket = logs;
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: this.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.serverAccessLogsBucket,
      serverAccessLogsPrefix: 'fallback-config/',
      lifecycleRules: [
        {
          id: 'ExpireReplacedConfigurations',
          noncurrentVersionExpiration: Duration.days(noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // Kong 3.6+ exporters register under <prefix>/<version>/election/ and refresh the object
          // while they run; Kong's docs suggest expiring registrations nobody refreshes.
          id: 'ExpireStaleExporterRegistrations',
          prefix: `${this.prefix}/${this.exporterVersion}/election/`,
          expiration: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (this.importerAccounts.length > 0) {
      const principals = this.importerAccounts.map((a) => new iam.AccountPrincipal(a));
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          principals,
          actions: ['s3:GetObject'],
          resources: [this.bucket.arnForObjects(`${this.prefix}/*`)],
        }),
      );
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          principals,
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${this.prefix}/*`] } },
        }),
      );
      this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals,
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      );
    }
  }

  /** kong.conf settings of the exporting node. */
  public exportSettings(): Record<string, string> {
    return fallbackExportSettings({ storageUri: this.storageUri, exportDelaySeconds: this.exportDelaySeconds });
  }

  /** kong.conf settings of an importing data plane. */
  public importSettings(): Record<string, string> {
    return fallbackImportSettings(this.storageUri);
  }

  /**
   * Process environment a node in `scope` needs to reach the bucket: `AWS_REGION` = the bucket's
   * region when the node runs elsewhere (see fallbackStorageEnvironment).
   */
  public storageEnvironment(scope: Construct): Record<string, string> {
    const here = Stack.of(scope).region;
    return fallbackStorageEnvironment(Stack.of(this).region, Token.isUnresolved(here) ? undefined : here);
  }

  /**
   * Lets `role` write the configuration: `s3:PutObject` on the prefix (the configuration and, from
   * Kong 3.6, the exporters' election registrations), `s3:ListBucket` limited to the prefix (the
   * election lists registrations) and `kms:GenerateDataKey` through S3 for this bucket. The policy
   * is created in `scope` (the grantee's stack); this construct's stack does not change.
   */
  public grantExport(scope: Construct, id: string, role: iam.IRole): iam.Policy {
    const names = this.namesFor(scope, id);
    return this.policy(scope, id, role, names, [
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [names.objects] }),
      this.listStatement(names),
      this.keyStatement(names, 'kms:GenerateDataKey'),
    ]);
  }

  /**
   * Lets `role` read the configuration: `s3:GetObject` on the prefix, `s3:ListBucket` limited to
   * the prefix (a missing object then reads as NoSuchKey, not AccessDenied) and `kms:Decrypt`
   * through S3 for this bucket. The policy is created in `scope` (the grantee's stack); this
   * construct's stack does not change when a data plane comes or goes.
   */
  public grantImport(scope: Construct, id: string, role: iam.IRole): iam.Policy {
    const names = this.namesFor(scope, id);
    return this.policy(scope, id, role, names, [
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [names.objects] }),
      this.listStatement(names),
      this.keyStatement(names, 'kms:Decrypt'),
    ]);
  }

  private listStatement(names: GrantNames): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [names.bucket],
      conditions: { StringLike: { 's3:prefix': [`${this.prefix}/*`] } },
    });
  }

  /**
   * The key by the bucket's encryption context rather than by its ID (not known before deployment
   * in another stack): any key of the bucket's account and region, only through S3, only for this
   * bucket (with an S3 Bucket Key the context is the bucket's ARN).
   */
  private keyStatement(names: GrantNames, action: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: [action],
      resources: [names.keys],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${names.region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [names.bucket, `${names.bucket}/${this.prefix}/*`] },
      },
    });
  }

  private policy(
    scope: Construct,
    id: string,
    role: iam.IRole,
    names: GrantNames,
    statements: iam.PolicyStatement[],
  ): iam.Policy {
    const policy = new iam.Policy(scope, id, { roles: [role], statements });
    const wildcards = [names.objects, ...(names.keys.endsWith(':key/*') ? [names.keys] : [])];
    acknowledgeNag(
      policy,
      'IAM5',
      'objects under the fallback-configuration prefix only (Kong names them by version), and the bucket key only through S3 for this bucket (its ID is not known to other stacks)',
      wildcards.map((arn) => resourceFinding(policy, arn)),
    );
    return policy;
  }

  /** The bucket, prefix and key as written in `scope`'s stack. */
  private namesFor(scope: Construct, id: string): GrantNames {
    const where = `${scope.node.path}/${id}`;
    const home = Stack.of(this);
    const there = Stack.of(scope);
    if (home === there) {
      return {
        region: home.region,
        bucket: this.bucket.bucketArn,
        objects: this.bucket.arnForObjects(`${this.prefix}/*`),
        keys: this.encryptionKey.keyArn,
      };
    }
    const region = sameOrLiteral(home.region, there.region, Aws.REGION, `${where}.region`);
    const account = sameOrLiteral(home.account, there.account, Aws.ACCOUNT_ID, `${where}.account`);
    if (!Token.isUnresolved(account) && !Token.isUnresolved(there.account) && account !== there.account) {
      if (!this.importerAccounts.includes(there.account)) {
        throw new KongFleetError(`${where}.account`, 'a grantee in another account must be one of importerAccounts', {
          got: there.account,
          expected: `one of ${JSON.stringify(this.importerAccounts)} (KongFallbackConfig importerAccounts)`,
        });
      }
    }
    if (Token.isUnresolved(this.bucketName) && !this.defaultName) {
      throw new KongFleetError(
        `${this.node.path}.bucketName`,
        'is only known at deployment, so a grantee in another stack cannot name it',
        { expected: 'a literal bucketName, or the default name' },
      );
    }
    const partition = there.partition;
    const bucket = `arn:${partition}:s3:::${this.bucketName}`;
    return {
      region,
      bucket,
      objects: `${bucket}/${this.prefix}/*`,
      keys: `arn:${partition}:kms:${region}:${account}:key/*`,
    };
  }
}

interface GrantNames {
  readonly region: string;
  /** Bucket ARN. */
  readonly bucket: string;
  /** ARN of the objects under the prefix. */
  readonly objects: string;
  /** ARN pattern of the KMS keys of the bucket's account and region. */
  readonly keys: string;
}

/**
 * The bucket's region or account as written in the grantee's stack: the literal when it is known;
 * the pseudo parameter when both are unknown (the same environment is assumed, as for any two
 * environment-agnostic stacks); an error when only the grantee's is known (they may differ).
 */
function sameOrLiteral(home: string, there: string, pseudo: string, where: string): string {
  if (!Token.isUnresolved(home)) return home;
  if (Token.isUnresolved(there)) return pseudo;
  throw new KongFleetError(where, "the bucket's stack has no explicit environment, the grantee's has", {
    got: there,
    expected: "an explicit env (account and region) on the fallback configuration's stack",
  });
}

/**
 * `kong-fallback-<8 hex>-<account>-<region>`: the hash of the stack name and construct path keeps two
 * fleets in one account and region apart; the account and region make it globally unique. Unknown
 * parts are pseudo parameters, which resolve in whichever stack uses the name.
 */
function defaultBucketName(stack: Stack, path: string): string {
  const hash = createHash('sha256').update(`${stack.stackName}/${path}`).digest('hex').slice(0, 8);
  const account = Token.isUnresolved(stack.account) ? Aws.ACCOUNT_ID : stack.account;
  const region = Token.isUnresolved(stack.region) ? Aws.REGION : stack.region;
  return `kong-fallback-${hash}-${account}-${region}`;
}
