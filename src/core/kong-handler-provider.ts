import { CustomResource, CustomResourceProps, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeNag, frameworkFunctionFindings, managedPolicyFinding } from './acknowledge';
import { createEncryptionKey } from './encryption';
import { handlerAssetPath } from './handler-assets';

/** What differs between kong-fleet's custom-resource handlers. */
export interface KongHandlerProviderProps {
  /** Folder of the bundled handler under dist/handlers (and src/handlers). */
  readonly handler: string;
  /** What the function does (its description; also names its log key). */
  readonly description: string;
  /** What the handler is, for the log key and the nag reasons ("the certificate handler"). */
  readonly title: string;
  readonly timeout: Duration;
  /** Statements the function always needs (per-resource grants are added by each resource). */
  readonly statements?: iam.PolicyStatement[];
  /** Why the statements use `Resource::*`, when they do. */
  readonly wildcardReason?: string;
  /**
   * VPC to run the function in (a handler that talks to a private resource, e.g. a database).
   * @default - outside any VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the function.
   * @default - the VPC's private subnets with egress (AWS APIs through NAT)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the function in `vpc`.
   * @default - a new group of Lambda's (all outbound allowed)
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A Lambda function (Node.js 22, arm64, KMS-encrypted logs kept a year) behind the custom-resource
 * Provider framework: the plumbing every kong-fleet handler shares, with the cdk-nag findings it
 * brings acknowledged once. Subclasses are singletons per stack.
 */
export abstract class KongHandlerProvider extends Construct {
  public readonly function: lambda.Function;
  /** Encrypts the handler's logs. */
  public readonly logKey: kms.IKey;
  private readonly provider: cr.Provider;

  protected constructor(scope: Construct, id: string, props: KongHandlerProviderProps) {
    super(scope, id);
    this.logKey = createEncryptionKey(this, 'LogKey', `Encrypts the logs of the ${props.title}`);
    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.onEvent',
      code: lambda.Code.fromAsset(handlerAssetPath(props.handler)),
      timeout: props.timeout,
      memorySize: 256,
      description: props.description,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: this.logKey }),
      ...(props.vpc
        ? {
            vpc: props.vpc,
            vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
            securityGroups: props.securityGroups,
          }
        : {}),
    });
    for (const statement of props.statements ?? []) this.function.addToRolePolicy(statement);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        encryptionKey: this.logKey,
      }),
    });
    acknowledgeNag(
      this,
      'IAM4',
      `the ${props.title} and the Provider framework use AWSLambdaBasicExecutionRole for their own log streams only`,
      [managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole')],
    );
    if (props.vpc) {
      acknowledgeNag(
        this,
        'IAM4',
        `the ${props.title} runs in the VPC: AWSLambdaVPCAccessExecutionRole is the policy AWS maintains for exactly its network interfaces`,
        [managedPolicyFinding('service-role/AWSLambdaVPCAccessExecutionRole')],
      );
    }
    const framework = 'the Provider framework (aws-cdk-lib) may invoke every version of its onEvent function';
    acknowledgeNag(
      this,
      'IAM5',
      props.wildcardReason ? `${props.wildcardReason}. ${capitalize(framework)}` : framework,
      [
        ...(props.wildcardReason ? ['Resource::*'] : []),
        ...frameworkFunctionFindings(this).filter((f) => f.startsWith('Resource::')),
      ],
    );
    acknowledgeNag(
      this,
      'L1',
      'handlers run on Node.js 22, the newest runtime kong-fleet bundles for; the Provider framework picks its own',
    );
  }

  /** A custom resource of `resourceType` served by this handler. */
  protected serve(
    scope: Construct,
    id: string,
    resourceType: string,
    properties: CustomResourceProps['properties'],
  ): CustomResource {
    return new CustomResource(scope, id, { serviceToken: this.provider.serviceToken, resourceType, properties });
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
