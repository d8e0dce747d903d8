import { createHash } from 'crypto';
import { ArnFormat, Aws, CustomResource, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeNag, frameworkFunctionFindings, managedPolicyFinding, resourceFinding } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption';
import { handlerAssetPath } from '../core/handler-assets';
import { IKongLogDestination } from '../core/shared-services';
import {
  KONG_LOG_INDEX_PATTERN,
  OPENSEARCH_SECURITY_RESOURCE_TYPE,
  SECURITY_API_PATHS,
  SECURITY_PROPERTY,
} from '../handlers/opensearch-security/contract';
import { KongFleetError } from '../kong/errors';

/** Properties of {@link KongLogDomain}. */
export interface KongLogDomainProps {
  /** VPC of the domain (its endpoint, the data planes that ship logs, the security handler). */
  readonly vpc: ec2.IVpc;

  /**
   * Subnets of the domain's endpoint and of its security handler. The first subnet of each of the
   * first two Availability Zones is used: the domain is zone-aware across exactly two zones.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * OpenSearch version (not Elasticsearch: the handler uses OpenSearch's `_plugins` APIs).
   * Upgrades happen in place (`EnableVersionUpgrade`).
   * @default opensearch.EngineVersion.OPENSEARCH_2_19 (the newest 2.x aws-cdk-lib 2.276 knows)
   */
  readonly engineVersion?: opensearch.EngineVersion;

  /**
   * Data nodes: an even number, half in each of the two Availability Zones (every index has one
   * replica, so each zone holds a full copy).
   * @default 2
   */
  readonly dataNodes?: number;

  /**
   * Instance type of the data nodes. A Graviton general-purpose node (2 vCPU, 8 GiB, up to 512 GiB
   * of EBS) is the size AWS's sizing guide starts from (docs.aws.amazon.com/opensearch-service/
   * latest/developerguide/bp-instances.html), costs less than its x86 peer, and unlike burstable
   * `t3`/`t4g` nodes it does not run out of CPU credits under a steady stream of access logs.
   * @default 'm6g.large.search'
   */
  readonly dataNodeInstanceType?: string;

  /**
   * Dedicated cluster-manager (master) nodes: 0, 3 or 5. AWS recommends three for every
   * production domain and never an even number (developerguide/managedomains-dedicatedmasternodes.html):
   * with two data nodes and no dedicated managers, losing one zone can leave the cluster without
   * a quorum. 0 is cheaper for small fleets and acknowledges cdk-nag's OS4.
   * @default 3
   */
  readonly dedicatedMasterNodes?: number;

  /**
   * Instance type of the dedicated cluster-manager nodes.
   * @default 'm6g.large.search'
   */
  readonly dedicatedMasterInstanceType?: string;

  /**
   * gp3 EBS volume per data node, in GiB (at least 10; the instance type sets the maximum).
   * @default 100
   */
  readonly volumeSizeGiB?: number;

  /**
   * KMS key for data at rest and for the CloudWatch log groups of the domain and its handler. A
   * key you give must let CloudWatch Logs use it (as `createEncryptionKey` does).
   * @default - a new key with rotation enabled, usable by CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Delete an access-log index this many days after it was created (an Index State Management
   * policy attached to new `kong-*` indices).
   * @default - indices are kept until someone deletes them
   */
  readonly indexRetentionDays?: number;

  /**
   * Retention of the domain's slow, application (error) and audit logs in CloudWatch Logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * An IAM role for humans, mapped to OpenSearch's `all_access` and given `es:ESHttp*` on the
   * domain. It still needs a network path to the domain (add its source to `securityGroup`).
   * Prefer a role without an IAM path: fine-grained access control matches the role ARN it derives
   * from the STS session, which carries no path.
   * @default - no admin role: only the security handler (the master user) has full access
   */
  readonly adminRole?: iam.IRole;

  /**
   * Domain name (3-28 characters: a-z, 0-9, hyphen, starting with a letter). It is fixed at synth
   * so the domain's access policy and log resource policy can name the domain without a cycle.
   * @default - derived from the stack name and the construct path
   */
  readonly domainName?: string;

  /**
   * What happens to the domain and its log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DOMAIN_NAME = /^[a-z][a-z0-9-]{2,27}$/;
const DEFAULT_INSTANCE_TYPE = 'm6g.large.search';
const INSTANCE_TYPE = /^[a-z0-9]+\.[a-z0-9]+\.search$/;

/**
 * An Amazon OpenSearch Service domain that takes the access logs of every Kong data plane of a
 * region: in the VPC's private subnets across two Availability Zones, encrypted at rest with a
 * customer-managed key and between nodes, HTTPS only (TLS 1.2+), gp3 volumes, slow, error and
 * audit logs in KMS-encrypted log groups, and fine-grained access control whose only master user
 * is an IAM role — no internal user database, no password anywhere.
 *
 * Inside the domain a custom resource (a Lambda function in the VPC, whose role is that master
 * user) creates the write-only role `kong_logs_writer` for `kong-*` indices, maps it to
 * {@link writerRole}, maps `all_access` to itself and `adminRole` (this mapping is owned here: one
 * added by hand is replaced on the next deployment), turns the security plugin's audit logging on
 * (failures and security-config changes), and puts the `kong-access-logs` index template (plus an
 * ISM retention policy with `indexRetentionDays`). Log shippers (Fluent Bit's `opensearch` output with `AWS_Auth On`,
 * `AWS_Role_ARN` = `writerRole`) write with SigV4 through `POST /_bulk`.
 *
 * Network: the security group admits nothing but (a) the data planes given to
 * `allowServiceAccess(logDomain, peer)` (rules created in the data plane's stack) and (b) the
 * security handler's own security group, on 443.
 *
 * Prerequisite: VPC domains need the service-linked role `AWSServiceRoleForAmazonOpenSearchService`
 * in the account (`aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com`
 * once); it is not created here because a second creation fails.
 */
export class KongLogDomain extends Construct implements IKongLogDestination {
  public readonly serviceName = 'OpenSearch';
  /** HTTPS: the only port of an OpenSearch Service VPC endpoint. */
  public readonly port = 443;
  /** Domain endpoint host (VPC), no scheme. */
  public readonly endpoint: string;
  /** The OpenSearch Service domain (its construct ID is `Resource`). */
  public readonly domain: opensearch.Domain;
  /** ARN of the domain; IAM resources of its REST paths are `<domainArn>/<path>`. */
  public readonly domainArn: string;
  public readonly securityGroup: ec2.SecurityGroup;
  /**
   * The role log shippers assume. Its trust policy names the account (`:root`), which delegates the
   * decision to IAM: a principal of the account may assume it only when its own identity policy
   * allows `sts:AssumeRole` on this role (`grantLogWrite` adds exactly that to a data plane). Its
   * identity policy allows `es:ESHttpPost` / `es:ESHttpPut` on `<domain>/_bulk` and `<domain>/kong-*`
   * only; inside OpenSearch it maps to the write-only `kong_logs_writer` role.
   */
  public readonly writerRole: iam.Role;
  public readonly encryptionKey: kms.IKey;
  /** The security handler's function; its role is the domain's fine-grained-access-control master user. */
  public readonly securityHandler: lambda.Function;

  constructor(scope: Construct, id: string, props: KongLogDomainProps) {
    super(scope, id);
    const where = (prop: string) => `${this.node.path}.${prop}`;
    const stack = Stack.of(this);
    const engineVersion = props.engineVersion ?? opensearch.EngineVersion.OPENSEARCH_2_19;
    const dataNodes = props.dataNodes ?? 2;
    const masterNodes = props.dedicatedMasterNodes ?? 3;
    const dataNodeInstanceType = props.dataNodeInstanceType ?? DEFAULT_INSTANCE_TYPE;
    const masterNodeInstanceType = props.dedicatedMasterInstanceType ?? DEFAULT_INSTANCE_TYPE;
    const volumeSizeGiB = props.volumeSizeGiB ?? 100;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    validateEngineVersion(engineVersion, where('engineVersion'));
    if (!Token.isUnresolved(dataNodes) && (!Number.isInteger(dataNodes) || dataNodes < 2 || dataNodes % 2 !== 0)) {
      throw new KongFleetError(
        where('dataNodes'),
        'a zone-aware domain in two Availability Zones needs an even number',
        {
          got: dataNodes,
          expected: 'an even integer, at least 2',
        },
      );
    }
    if (!Token.isUnresolved(masterNodes) && ![0, 3, 5].includes(masterNodes)) {
      throw new KongFleetError(where('dedicatedMasterNodes'), 'cluster managers need an odd quorum', {
        got: masterNodes,
        expected: '0, 3 or 5',
      });
    }
    for (const [prop, value] of [
      ['dataNodeInstanceType', dataNodeInstanceType],
      ['dedicatedMasterInstanceType', masterNodeInstanceType],
    ] as const) {
      if (!Token.isUnresolved(value) && !INSTANCE_TYPE.test(value)) {
        throw new KongFleetError(where(prop), 'is not an OpenSearch Service instance type', {
          got: value,
          expected: '<family>.<size>.search, e.g. m6g.large.search',
        });
      }
    }
    if (!Token.isUnresolved(volumeSizeGiB) && (!Number.isInteger(volumeSizeGiB) || volumeSizeGiB < 10)) {
      throw new KongFleetError(where('volumeSizeGiB'), 'is too small for a gp3 data volume', {
        got: volumeSizeGiB,
        expected: 'an integer of at least 10',
      });
    }
    const retentionDays = props.indexRetentionDays;
    if (
      retentionDays !== undefined &&
      !Token.isUnresolved(retentionDays) &&
      (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36500)
    ) {
      throw new KongFleetError(where('indexRetentionDays'), 'is not a number of days', {
        got: retentionDays,
        expected: 'an integer 1-36500',
      });
    }
    const domainName = props.domainName ?? defaultDomainName(this);
    if (Token.isUnresolved(domainName) || !DOMAIN_NAME.test(domainName)) {
      throw new KongFleetError(where('domainName'), 'is not an OpenSearch Service domain name', {
        got: domainName,
        expected: '3-28 characters a-z 0-9 -, starting with a letter',
      });
    }
    const subnets = twoZoneSubnets(props.vpc, props.subnets, where('subnets'));

    this.encryptionKey =
      props.encryptionKey ??
      createEncryptionKey(this, 'Key', 'Encrypts the Kong access-log OpenSearch domain and its logs');
    // Built from the name, not from the domain: the access policy and the logs resource policy
    // must exist before (or inside) the domain they name.
    const formattedDomainArn = stack.formatArn({
      service: 'es',
      resource: 'domain',
      resourceName: domainName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kong access-log OpenSearch ${this.node.path}: data planes (allowServiceAccess) and its security handler only`,
      allowAllOutbound: false,
    });

    // --- log groups of the domain (slow search, slow index, error, audit)
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const logGroup = (logId: string) =>
      new logs.LogGroup(this, logId, { retention: logRetention, encryptionKey: this.encryptionKey, removalPolicy });
    const slowSearchLogs = logGroup('SlowSearchLogs');
    const slowIndexLogs = logGroup('SlowIndexLogs');
    const appLogs = logGroup('AppLogs');
    const auditLogs = logGroup('AuditLogs');
    // A native AWS::Logs::ResourcePolicy instead of aws-cdk-lib's custom resource (a Lambda function
    // per domain). CloudWatch Logs allows 10 resource policies per account and region.
    const logsPolicy = new logs.ResourcePolicy(this, 'LogsResourcePolicy', {
      resourcePolicyName: `${Names.uniqueResourceName(this, { maxLength: 200 })}-opensearch-logs`,
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [slowSearchLogs, slowIndexLogs, appLogs, auditLogs].map((g) => g.logGroupArn),
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': formattedDomainArn },
          },
        }),
      ],
    });

    // --- the security handler: the master user, in the VPC, reaching the domain on 443 only
    const handlerSecurityGroup = new ec2.SecurityGroup(this, 'SecurityHandlerSecurityGroup', {
      vpc: props.vpc,
      description: `Security handler of the Kong access-log OpenSearch ${this.node.path}: HTTPS to the domain only`,
      allowAllOutbound: false,
    });
    handlerSecurityGroup.addEgressRule(this.securityGroup, ec2.Port.tcp(this.port), 'HTTPS to the OpenSearch domain');
    this.securityGroup.addIngressRule(
      handlerSecurityGroup,
      ec2.Port.tcp(this.port),
      'Security handler (configures fine-grained access control)',
    );
    this.securityHandler = new lambda.Function(this, 'SecurityHandler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.onEvent',
      code: lambda.Code.fromAsset(handlerAssetPath('opensearch-security')),
      // Up to four tries per request with backoff while a new domain settles.
      timeout: Duration.minutes(5),
      memorySize: 256,
      description: 'Configures the Kong access-log OpenSearch domain (roles, mappings, index template)',
      vpc: props.vpc,
      vpcSubnets: { subnets },
      securityGroups: [handlerSecurityGroup],
      logGroup: new logs.LogGroup(this, 'SecurityHandlerLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        encryptionKey: this.encryptionKey,
      }),
    });
    const handlerRole = this.securityHandler.role!;

    // --- the domain
    this.domain = new opensearch.Domain(this, 'Resource', {
      domainName,
      version: engineVersion,
      enableVersionUpgrade: true,
      vpc: props.vpc,
      vpcSubnets: [{ subnets }],
      securityGroups: [this.securityGroup],
      zoneAwareness: { enabled: true, availabilityZoneCount: 2 },
      capacity: {
        dataNodes,
        dataNodeInstanceType,
        masterNodes: masterNodes > 0 ? masterNodes : undefined,
        masterNodeInstanceType: masterNodes > 0 ? masterNodeInstanceType : undefined,
        // Multi-AZ with Standby needs three zones; this domain spans two.
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeType: ec2.EbsDeviceVolumeType.GP3, volumeSize: volumeSizeGiB },
      encryptionAtRest: { enabled: true, kmsKey: this.encryptionKey },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      fineGrainedAccessControl: { masterUserArn: handlerRole.roleArn },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: slowSearchLogs,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: slowIndexLogs,
        appLogEnabled: true,
        appLogGroup: appLogs,
        auditLogEnabled: true,
        auditLogGroup: auditLogs,
      },
      suppressLogsResourcePolicy: true,
      enableAutoSoftwareUpdate: true,
      removalPolicy,
    });
    this.domain.node.addDependency(logsPolicy);
    const cfnDomain = this.domain.node.defaultChild as opensearch.CfnDomain;
    // IAM decides who may send requests (principals of this account whose own policy allows
    // es:ESHttp*), fine-grained access control decides what they may do. Set on the CfnDomain
    // rather than through `accessPolicies`, which adds a custom resource (and Lambda) per domain.
    cfnDomain.accessPolicies = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          principals: [new iam.AccountRootPrincipal()],
          actions: ['es:ESHttp*'],
          resources: [`${formattedDomainArn}/*`],
        }),
      ],
    }).toJSON();
    this.domainArn = this.domain.domainArn;
    this.endpoint = this.domain.domainEndpoint;

    // The master user's IAM side: only the REST paths the handler calls.
    const handlerResources = [
      `${this.domainArn}/${SECURITY_API_PATHS.security}/*`,
      `${this.domainArn}/${SECURITY_API_PATHS.indexTemplates}/*`,
      `${this.domainArn}/${SECURITY_API_PATHS.ismPolicies}/*`,
    ];
    this.securityHandler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['es:ESHttpGet', 'es:ESHttpPut', 'es:ESHttpDelete'],
        resources: handlerResources,
      }),
    );

    // --- the writer role
    this.writerRole = new iam.Role(this, 'WriterRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `Kong access-log shippers write kong-* indices of ${domainName} (kong_logs_writer in OpenSearch)`,
      maxSessionDuration: Duration.hours(1),
    });
    // Fluent Bit's opensearch output only POSTs to `/_bulk` (docs.fluentbit.io/manual/pipeline/outputs/opensearch);
    // `/kong-*` covers single-index writes of other shippers. Which indices a bulk request may touch
    // is enforced inside OpenSearch by kong_logs_writer (IAM sees only the path).
    const writerResources = [`${this.domainArn}/_bulk`, `${this.domainArn}/${KONG_LOG_INDEX_PATTERN}`];
    this.writerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['es:ESHttpPost', 'es:ESHttpPut'], resources: writerResources }),
    );

    if (props.adminRole) {
      new iam.Policy(this, 'AdminAccess', {
        roles: [props.adminRole],
        statements: [
          new iam.PolicyStatement({
            actions: [
              'es:ESHttpGet',
              'es:ESHttpHead',
              'es:ESHttpPost',
              'es:ESHttpPut',
              'es:ESHttpPatch',
              'es:ESHttpDelete',
            ],
            resources: [`${this.domainArn}/*`],
          }),
        ],
      });
    }

    // --- the custom resource that configures the security plugin
    const provider = new cr.Provider(this, 'SecurityProvider', {
      onEventHandler: this.securityHandler,
      logGroup: new logs.LogGroup(this, 'SecurityProviderLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        encryptionKey: this.encryptionKey,
      }),
    });
    const security = new CustomResource(this, 'Security', {
      serviceToken: provider.serviceToken,
      resourceType: OPENSEARCH_SECURITY_RESOURCE_TYPE,
      properties: {
        [SECURITY_PROPERTY.domainEndpoint]: this.endpoint,
        [SECURITY_PROPERTY.writerRoleArn]: this.writerRole.roleArn,
        [SECURITY_PROPERTY.allAccessRoleArns]: [
          handlerRole.roleArn,
          ...(props.adminRole ? [props.adminRole.roleArn] : []),
        ],
        [SECURITY_PROPERTY.numberOfReplicas]: '1',
        ...(retentionDays !== undefined ? { [SECURITY_PROPERTY.indexRetentionDays]: String(retentionDays) } : {}),
      },
    });
    // The handler needs its HTTPS path and its IAM permissions before it runs, and both until it
    // has run its Delete.
    security.node.addDependency(handlerSecurityGroup, this.securityGroup, this.domain);

    this.acknowledgeFindings(masterNodes, handlerResources, writerResources);
  }

  private acknowledgeFindings(masterNodes: number, handlerResources: string[], writerResources: string[]): void {
    acknowledgeNag(
      this.domain,
      'OS3',
      'a VPC domain: IP-based access policies do not apply inside a VPC; the security group admits only the data planes and the security handler, IAM signs every request and fine-grained access control authorizes it',
    );
    if (masterNodes === 0) {
      acknowledgeNag(
        this.domain,
        'OS4',
        'dedicatedMasterNodes: 0 was chosen for a small fleet: the data nodes also act as cluster managers (cheaper, less resilient to losing a zone)',
      );
    }
    acknowledgeNag(
      this,
      'IAM4',
      'the security handler and the Provider framework use AWSLambdaBasicExecutionRole for their own log streams, and the handler AWSLambdaVPCAccessExecutionRole for its VPC network interfaces',
      [
        managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
        managedPolicyFinding('service-role/AWSLambdaVPCAccessExecutionRole'),
      ],
    );
    acknowledgeNag(
      this,
      'IAM5',
      'es:ESHttp* resources are REST paths: the handler may call only the security-plugin, index-template and ISM APIs (names chosen at run time), the writer only _bulk and the kong-* log indices, an admin role the whole domain; the Provider framework (aws-cdk-lib) may invoke every version of its onEvent function',
      [
        ...[...handlerResources, ...writerResources, `${this.domainArn}/*`].map((arn) => resourceFinding(this, arn)),
        ...frameworkFunctionFindings(this).filter((f) => f.startsWith('Resource::')),
      ],
    );
    acknowledgeNag(
      this,
      'L1',
      'the security handler runs on Node.js 22, the newest runtime kong-fleet bundles for; the Provider framework picks its own',
    );
  }
}

/** OpenSearch, not Elasticsearch: the handler uses the `_plugins/…` APIs of OpenSearch's plugins. */
function validateEngineVersion(version: opensearch.EngineVersion, where: string): void {
  if (!/^OpenSearch_\d+\.\d+$/.test(version.version)) {
    throw new KongFleetError(where, 'Kong access logs need an OpenSearch engine', {
      got: version.version,
      expected: 'an OpenSearch version, e.g. opensearch.EngineVersion.OPENSEARCH_2_19',
    });
  }
}

/**
 * `<stack name>-<construct id>` in the allowed characters, cut to 19, then a hash of the stack name
 * and the construct path (unique per account and region, where stack names are unique): 28 in all.
 */
function defaultDomainName(scope: Construct): string {
  const stack = Stack.of(scope);
  const slug = `${stack.stackName}-${scope.node.id}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 19)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(`${stack.stackName}/${scope.node.path}`).digest('hex').slice(0, 8);
  return `${slug || 'kong-logs'}-${hash}`;
}

/** The first subnet of each of the first two Availability Zones of the selection. */
function twoZoneSubnets(vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined, where: string): ec2.ISubnet[] {
  const selected = vpc.selectSubnets(selection ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
  const byZone = new Map<string, ec2.ISubnet>();
  for (const subnet of selected.subnets) {
    if (!byZone.has(subnet.availabilityZone)) byZone.set(subnet.availabilityZone, subnet);
  }
  if (byZone.size < 2) {
    throw new KongFleetError(where, 'a zone-aware domain needs subnets in two Availability Zones', {
      got: `${selected.subnets.length} subnet(s) in ${byZone.size} zone(s)`,
      expected: 'subnets in at least two Availability Zones',
    });
  }
  return [...byZone.values()].slice(0, 2);
}
