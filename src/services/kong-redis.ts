import { Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption';
import { IKongRedis, KongVaultSecret } from '../core/shared-services';
import { KongFleetError } from '../kong/errors';
import { awsVaultReference } from '../kong/vault';

/**
 * The ElastiCache engine of {@link KongRedis}. Kong's Redis-backed plugins (rate-limiting,
 * proxy-cache, ...) speak the Redis protocol, which Valkey keeps (Valkey 7.2+ has every Redis OSS
 * 7.2 feature).
 */
export class KongRedisEngine {
  /** Valkey, pinned to 8.2 (ElastiCache engine versions: docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html). */
  public static readonly VALKEY = new KongRedisEngine('valkey', '8.2');
  /** Redis OSS, pinned to 7.1: the last Redis OSS line on ElastiCache; `TransitEncryptionMode` needs 7.0.5+. */
  public static readonly REDIS_OSS = new KongRedisEngine('redis', '7.1');

  private constructor(
    /** ElastiCache's `Engine` value. */
    public readonly name: string,
    /** The version used when `engineVersion` is not given. */
    public readonly defaultVersion: string,
  ) {}
}

/** Properties of {@link KongRedis}. */
export interface KongRedisProps {
  /** VPC of the replication group. */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets of the cache subnet group; they must span at least two Availability Zones (Multi-AZ).
   * @default - the VPC's private subnets with egress (KongVpc's `private` subnets)
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Engine.
   * @default KongRedisEngine.VALKEY
   */
  readonly engine?: KongRedisEngine;

  /**
   * Engine version (`major.minor`), pinned so a deployment never upgrades by surprise.
   * @default - `engine.defaultVersion` (Valkey 8.2, Redis OSS 7.1)
   */
  readonly engineVersion?: string;

  /**
   * Node type. Kong keeps only counters and cached responses in Redis; a burstable Graviton node
   * with ~3 GiB is the smallest size whose memory and network allowance suit a production fleet
   * and that supports Multi-AZ with automatic failover.
   * @default 'cache.t4g.medium'
   */
  readonly nodeType?: string;

  /**
   * Read replicas of the primary, each in another Availability Zone when the subnets allow.
   * At least 1: Multi-AZ automatic failover needs a replica to promote. At most 5.
   * @default 1
   */
  readonly replicasPerPrimary?: number;

  /**
   * TCP port.
   * @default 6379
   */
  readonly port?: number;

  /**
   * KMS key for encryption at rest, the AUTH token secret and the log group.
   * @default - a new key with rotation enabled, usable by CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Days of automatic snapshots (1-35).
   * @default 7
   */
  readonly snapshotRetentionDays?: number;

  /**
   * What happens to the replication group when it leaves the stack.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Name of the Secrets Manager secret holding the AUTH token. Kong's AWS vault finds it by name.
   * @default - `kong-fleet/<unique name from the construct path>/redis-auth`
   */
  readonly secretName?: string;

  /**
   * Retention of the slow log and engine log.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * ElastiCache (Valkey by default, or Redis OSS) for Kong's Redis-backed plugins: a replication
 * group with cluster mode disabled, Multi-AZ with automatic failover, TLS required in transit,
 * KMS encryption at rest, an AUTH token generated into a KMS-encrypted secret and handed to
 * CloudFormation only as a dynamic reference, slow and engine logs in an encrypted log group,
 * and a security group nothing can reach until `allowServiceAccess` admits a data plane.
 */
export class KongRedis extends Construct implements IKongRedis {
  public readonly serviceName = 'Redis';
  public readonly host: string;
  public readonly readerHost: string;
  public readonly port: number;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly authToken: KongVaultSecret;
  public readonly encryptionKey: kms.IKey;
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  public readonly logGroup: logs.LogGroup;
  /** Name of the AUTH token secret. */
  public readonly authTokenSecretName: string;
  /** Kong vault reference to the AUTH token, a plain-string secret (`/` of the name written `%2F`). */
  public readonly authTokenVaultReference: string;

  constructor(scope: Construct, id: string, props: KongRedisProps) {
    super(scope, id);
    const where = (prop: string) => `${this.node.path}.${prop}`;
    const engine = props.engine ?? KongRedisEngine.VALKEY;
    const engineVersion = props.engineVersion ?? engine.defaultVersion;
    const replicas = props.replicasPerPrimary ?? 1;
    const port = props.port ?? 6379;
    const snapshotRetentionDays = props.snapshotRetentionDays ?? 7;
    const nodeType = props.nodeType ?? 'cache.t4g.medium';

    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
      throw new KongFleetError(where('replicasPerPrimary'), 'Multi-AZ failover needs a replica to promote', {
        got: replicas,
        expected: 'an integer 1-5',
      });
    }
    if (!Token.isUnresolved(port) && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new KongFleetError(where('port'), 'is not a TCP port', { got: port, expected: 'an integer 1-65535' });
    }
    if (!Number.isInteger(snapshotRetentionDays) || snapshotRetentionDays < 1 || snapshotRetentionDays > 35) {
      throw new KongFleetError(where('snapshotRetentionDays'), 'automatic snapshots must stay on', {
        got: snapshotRetentionDays,
        expected: 'an integer 1-35',
      });
    }
    if (!Token.isUnresolved(nodeType) && !/^cache\.[a-z0-9-]+\.[a-z0-9]+$/.test(nodeType)) {
      throw new KongFleetError(where('nodeType'), 'is not an ElastiCache node type', {
        got: nodeType,
        expected: 'cache.<family>.<size>, e.g. cache.t4g.medium',
      });
    }
    if (!Token.isUnresolved(engineVersion) && !/^\d+\.\d+$/.test(engineVersion)) {
      throw new KongFleetError(where('engineVersion'), 'must be a major.minor version', {
        got: engineVersion,
        expected: `e.g. ${engine.defaultVersion}`,
      });
    }
    if (
      engine === KongRedisEngine.REDIS_OSS &&
      !Token.isUnresolved(engineVersion) &&
      Number(engineVersion.split('.')[0]) < 7
    ) {
      throw new KongFleetError(
        where('engineVersion'),
        'TLS-required mode (TransitEncryptionMode) needs Redis OSS 7.0.5+',
        {
          got: engineVersion,
          expected: '7.0 or 7.1',
        },
      );
    }
    this.authTokenSecretName =
      props.secretName ?? `kong-fleet/${Names.uniqueResourceName(this, { maxLength: 64 })}/redis-auth`;
    // Also checks the name is one Kong can reference (no `+`, which Kong decodes to a space).
    this.authTokenVaultReference = awsVaultReference(this.authTokenSecretName, undefined, this.node.path);

    const subnets = props.vpc.selectSubnets(props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    if (subnets.subnetIds.length < 2) {
      throw new KongFleetError(where('subnets'), 'Multi-AZ needs subnets in at least two Availability Zones', {
        got: subnets.subnetIds.length,
        expected: 'two or more subnets',
      });
    }

    this.port = port;
    this.encryptionKey =
      props.encryptionKey ?? createEncryptionKey(this, 'Key', 'Encrypts the Kong Redis data, AUTH token and logs');

    // AUTH token rules: 16-128 printable ASCII, the only punctuation !&#$^<>- (ElastiCache
    // CreateReplicationGroup AuthToken). Letters and digits only keeps every client config safe.
    const secret = new secretsmanager.Secret(this, 'AuthToken', {
      secretName: this.authTokenSecretName,
      description: `AUTH token of the Kong Redis ${this.node.path}`,
      encryptionKey: this.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    // Kept with a retained replication group, which cannot be reached without its token; a
    // snapshot restore sets a new token anyway.
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    secret.applyRemovalPolicy(removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    this.authToken = { secret, encryptionKey: this.encryptionKey };

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kong Redis ${this.node.path}: data planes only (allowServiceAccess)`,
      allowAllOutbound: false,
    });

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `Kong Redis ${this.node.path}`,
      subnetIds: subnets.subnetIds,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
    });
    const logDelivery = (logType: string): elasticache.CfnReplicationGroup.LogDeliveryConfigurationRequestProperty => ({
      logType,
      logFormat: 'json',
      destinationType: 'cloudwatch-logs',
      destinationDetails: { cloudWatchLogsDetails: { logGroup: this.logGroup.logGroupName } },
    });

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: `Kong Redis ${this.node.path}`,
      engine: engine.name,
      engineVersion,
      cacheNodeType: nodeType,
      numCacheClusters: 1 + replicas,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: this.encryptionKey.keyArn,
      // `{{resolve:secretsmanager:<arn>:SecretString:::}}`: CloudFormation resolves it at deploy time.
      authToken: secret.secretValue.unsafeUnwrap(),
      snapshotRetentionLimit: snapshotRetentionDays,
      logDeliveryConfigurations: [logDelivery('slow-log'), logDelivery('engine-log')],
    });
    this.replicationGroup.applyRemovalPolicy(removalPolicy);
    this.host = this.replicationGroup.attrPrimaryEndPointAddress;
    this.readerHost = this.replicationGroup.attrReaderEndPointAddress;

    acknowledgeNag(
      this,
      'AEC5',
      'Kong plugins and Redis clients expect 6379; the security group admits only the data planes given to allowServiceAccess, and TLS plus AUTH are required, so another port adds no protection',
    );
    acknowledgeNag(
      secret,
      'SMG4',
      'Not automated yet: changing an ElastiCache AUTH token is a two-step ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE, roll every Kong node, then SET), which a Secrets Manager rotation function alone cannot coordinate with the data planes',
    );
  }
}
