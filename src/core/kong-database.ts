import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import { acknowledgeNag } from './acknowledge';
import { createEncryptionKey } from './encryption';

/** PostgreSQL engine of the control-plane database: a full minor version, never just the major. */
export const KONG_POSTGRES_VERSION = rds.PostgresEngineVersion.VER_16_8;

/** Name of the database Kong uses (`pg_database`). */
export const KONG_DATABASE_NAME = 'kong';

/** Properties of {@link KongDatabase}. */
export interface KongDatabaseProps {
  /** VPC of the database; it goes to the private subnets. */
  readonly vpc: ec2.IVpc;

  /**
   * Instance class.
   * @default t4g.medium
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Standby in a second Availability Zone.
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * Refuse deletion of the instance.
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * Days of automated backups.
   * @default 7
   */
  readonly backupRetentionDays?: number;

  /**
   * Allocated storage in GiB (grows automatically up to 4×).
   * @default 20
   */
  readonly allocatedStorageGiB?: number;

  /**
   * KMS key for storage, Performance Insights and the credentials secret.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the instance when it leaves the stack.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * RDS PostgreSQL for a Kong control plane: pinned engine version, KMS encryption at rest,
 * TLS enforced (`rds.force_ssl`), automated backups, deletion protection, optional Multi-AZ,
 * logs exported to CloudWatch, IAM authentication enabled (Kong 3.3+ `pg_iam_auth`), and
 * credentials generated into a KMS-encrypted Secrets Manager secret.
 */
export class KongDatabase extends Construct {
  public readonly instance: rds.DatabaseInstance;
  /** Secret with `username`, `password`, `host`, `port`, `dbname`. */
  public readonly credentials: secretsmanager.ISecret;
  public readonly encryptionKey: kms.IKey;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly databaseName = KONG_DATABASE_NAME;
  public readonly port = 5432;

  constructor(scope: Construct, id: string, props: KongDatabaseProps) {
    super(scope, id);
    const backupRetentionDays = props.backupRetentionDays ?? 7;
    if (!Number.isInteger(backupRetentionDays) || backupRetentionDays < 1 || backupRetentionDays > 35) {
      throw new KongFleetError(`${this.node.path}.backupRetentionDays`, 'automated backups must stay on', {
        got: backupRetentionDays,
        expected: 'an integer 1-35',
      });
    }
    const allocatedStorage = props.allocatedStorageGiB ?? 20;
    if (!Number.isInteger(allocatedStorage) || allocatedStorage < 20) {
      throw new KongFleetError(`${this.node.path}.allocatedStorageGiB`, 'is below the gp3 minimum', {
        got: allocatedStorage,
        expected: 'an integer ≥ 20',
      });
    }
    this.encryptionKey =
      props.encryptionKey ??
      createEncryptionKey(this, 'Key', 'Encrypts the Kong control-plane database and its credentials');
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kong control-plane database ${this.node.path}`,
      allowAllOutbound: false,
    });
    const engine = rds.DatabaseInstanceEngine.postgres({ version: KONG_POSTGRES_VERSION });
    this.instance = new rds.DatabaseInstance(this, 'Resource', {
      engine,
      instanceType: props.instanceType ?? new ec2.InstanceType('t4g.medium'),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      port: this.port,
      databaseName: KONG_DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('kong', { encryptionKey: this.encryptionKey }),
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      storageType: rds.StorageType.GP3,
      allocatedStorage,
      maxAllocatedStorage: allocatedStorage * 4,
      multiAz: props.multiAz ?? true,
      deletionProtection: props.deletionProtection ?? true,
      backupRetention: Duration.days(backupRetentionDays),
      autoMinorVersionUpgrade: false,
      iamAuthentication: true,
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: this.encryptionKey,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        description: 'Kong control-plane database: TLS only',
        parameters: { 'rds.force_ssl': '1' },
      }),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      publiclyAccessible: false,
    });
    this.credentials = this.instance.secret!;
    acknowledgeNag(
      this,
      'SMG4',
      'Kong reads pg_password at start; rotating it under running nodes breaks their connections. Rotate by rolling the control plane, or use pg_iam_auth (Kong 3.3+), which needs no password',
    );
    acknowledgeNag(
      this,
      'RDS11',
      'Kong and every PostgreSQL client expect 5432; the database is reachable only from the control plane security group, so a non-default port adds no protection',
    );
  }

  /** Lets `peer` (the control plane's nodes, tasks or instances) connect to PostgreSQL. */
  public allowFrom(peer: ec2.IPeer, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(this.port), description);
  }
}
