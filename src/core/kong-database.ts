import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DATABASE_IAM_USER_PROPERTY as P, DEFAULT_DATABASE_IAM_USER } from '../handlers/database-iam-user/contract';
import { Endpoint, KongValue, PostgresSettings, rdsCaBundleUrl } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { acknowledgeNag } from './acknowledge';
import { DatabaseIamUserHandler } from './database-iam-user-handler';
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

  /**
   * Let Kong sign in with RDS IAM authentication (Kong Gateway Enterprise 3.3+ `pg_iam_auth`)
   * instead of a password: a custom resource creates the database user {@link KongDatabase.iamUser}
   * (granted `rds_iam` and what Kong's migrations need), and {@link KongDatabase.grantConnect} lets a
   * role sign in as it. The master password then serves only that custom resource and break-glass
   * access; Kong never sees it.
   * @default false
   */
  readonly iamAuthentication?: boolean;
}

/**
 * RDS PostgreSQL for a Kong control plane: pinned engine version, KMS encryption at rest,
 * TLS enforced (`rds.force_ssl`), automated backups, deletion protection, optional Multi-AZ,
 * logs exported to CloudWatch, IAM database authentication switched on at the instance, and
 * master credentials generated into a KMS-encrypted Secrets Manager secret.
 *
 * With `iamAuthentication`, Kong's own user is an IAM user ({@link iamUser}): a Lambda function in
 * the database's VPC (its own security group, allowed to the database port only) connects once as
 * the master user over TLS verified against the region's RDS CA bundle and creates it
 * (src/handlers/database-iam-user). Removing the resource keeps the user: it owns Kong's tables.
 */
export class KongDatabase extends Construct {
  public readonly instance: rds.DatabaseInstance;
  /** Master credentials: secret with `username`, `password`, `host`, `port`, `dbname`. */
  public readonly credentials: secretsmanager.ISecret;
  public readonly encryptionKey: kms.IKey;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly databaseName = KONG_DATABASE_NAME;
  public readonly port = 5432;
  /** Whether Kong signs in with RDS IAM authentication as {@link iamUser}. */
  public readonly iamAuthentication: boolean;
  /** The database user Kong signs in as with `pg_iam_auth` (`pg_user`), when `iamAuthentication`. */
  public readonly iamUser?: string;
  /** The custom resource that creates {@link iamUser}: Kong must not start before it. */
  public readonly iamUserResource?: CustomResource;
  /** The region's Amazon RDS CA bundle, which the server certificate chains to. */
  public readonly caBundleUrl: string;

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
    // The master credentials belong to the snapshot the instance leaves behind: keep them with it.
    // (`instance.secret` is the attachment; the generated secret is the instance's `Secret` child.)
    const masterSecret = this.instance.node.findChild('Secret') as secretsmanager.Secret;
    masterSecret.applyRemovalPolicy(
      (props.removalPolicy ?? RemovalPolicy.SNAPSHOT) === RemovalPolicy.DESTROY
        ? RemovalPolicy.DESTROY
        : RemovalPolicy.RETAIN,
    );
    this.caBundleUrl = rdsCaBundleUrl(Stack.of(this).region);
    this.iamAuthentication = props.iamAuthentication ?? false;
    if (this.iamAuthentication) {
      this.iamUser = DEFAULT_DATABASE_IAM_USER;
      this.iamUserResource = this.createIamUser(props.vpc, this.iamUser);
    }
    acknowledgeNag(
      this,
      'SMG4',
      'Kong reads pg_password at start; rotating it under running nodes breaks their connections. Rotate by rolling the control plane, or use iamAuthentication (pg_iam_auth, Kong 3.3+): Kong then needs no password and the master secret serves only the IAM-user handler and break-glass access',
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

  /**
   * Kong's Postgres settings for this database, always over TLS: with IAM authentication, the IAM
   * user and the region's RDS CA bundle at `caBundlePath` (verified); otherwise the master
   * credentials as the runtime hands them to Kong (`masterCredentials`: secret references).
   */
  public kongPostgresSettings(options: {
    readonly caBundlePath: string;
    readonly masterCredentials: { readonly user: KongValue; readonly password: KongValue };
  }): PostgresSettings {
    const common = { ...this.endpoint, database: this.databaseName, ssl: true };
    return this.iamAuthentication
      ? {
          ...common,
          user: this.requireIamUser('kongPostgresSettings'),
          iamAuth: true,
          trustedCa: { path: options.caBundlePath, url: this.caBundleUrl },
        }
      : { ...common, ...options.masterCredentials };
  }

  /** The instance endpoint: `pg_host` and `pg_port` (with IAM authentication Kong signs for its region). */
  public get endpoint(): Endpoint {
    return { host: this.instance.dbInstanceEndpointAddress, port: this.port };
  }

  /**
   * `arn:<partition>:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<iamUser>`: what `rds-db:connect`
   * is granted on (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html).
   */
  public get iamUserArn(): string {
    const user = this.requireIamUser('iamUserArn');
    return Stack.of(this).formatArn({
      service: 'rds-db',
      resource: 'dbuser',
      resourceName: `${this.instance.instanceResourceId}/${user}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets `role` sign in as {@link iamUser}: an IAM policy in `scope` (the grantee's stack, so this
   * database's stack never changes for a new grantee) with `rds-db:connect` on exactly that user.
   */
  public grantConnect(scope: Construct, id: string, role: iam.IRole): iam.Policy {
    this.requireIamUser('grantConnect');
    return new iam.Policy(scope, id, {
      statements: [new iam.PolicyStatement({ actions: ['rds-db:connect'], resources: [this.iamUserArn] })],
      roles: [role],
    });
  }

  private requireIamUser(member: string): string {
    if (this.iamUser === undefined) {
      throw new KongFleetError(`${this.node.path}.${member}`, 'this database has no IAM database user', {
        got: { iamAuthentication: false },
        expected: 'iamAuthentication: true',
      });
    }
    return this.iamUser;
  }

  /**
   * The handler in the database's VPC and the custom resource it serves. Its security group may
   * reach only this database's port and HTTPS (Secrets Manager, the RDS CA bundle); nothing reaches it.
   */
  private createIamUser(vpc: ec2.IVpc, user: string): CustomResource {
    const handlerSecurityGroup = new ec2.SecurityGroup(this, 'IamUserHandlerSecurityGroup', {
      vpc,
      description: `Kong database IAM-user handler ${this.node.path}: PostgreSQL and HTTPS out only`,
      allowAllOutbound: false,
    });
    handlerSecurityGroup.addEgressRule(this.securityGroup, ec2.Port.tcp(this.port), 'PostgreSQL');
    handlerSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS: Secrets Manager, the RDS CA bundle',
    );
    this.allowFrom(handlerSecurityGroup, 'Kong database IAM-user handler');
    const handler = new DatabaseIamUserHandler(this, 'IamUserHandler', { vpc, securityGroup: handlerSecurityGroup });
    this.credentials.grantRead(handler.function);
    const resource = handler.customResource(this, 'IamUser', {
      [P.masterSecretArn]: this.credentials.secretArn,
      [P.host]: this.instance.dbInstanceEndpointAddress,
      [P.port]: String(this.port),
      [P.database]: this.databaseName,
      [P.iamUser]: user,
      [P.caBundleUrl]: this.caBundleUrl,
    });
    // The path to the database must exist before the function connects (ingress and egress rules).
    resource.node.addDependency(this.instance, this.securityGroup, handlerSecurityGroup);
    return resource;
  }
}
