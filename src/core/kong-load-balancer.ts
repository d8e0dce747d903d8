import { Aws, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import { acknowledgeNag } from './acknowledge';

/** One TCP port of a {@link KongLoadBalancer}. */
export interface KongLoadBalancerPort {
  /** Name of the port, used in construct IDs (`Cluster`, `Telemetry`, `Http`, `Https`). */
  readonly name: string;
  /** Port the load balancer listens on. */
  readonly listenerPort: number;
  /** Port Kong listens on in the target (pod, task or instance). */
  readonly targetPort: number;
}

/** Properties of {@link KongLoadBalancer}. */
export interface KongLoadBalancerProps {
  /** VPC of the load balancer and its targets. */
  readonly vpc: ec2.IVpc;
  /** Ports to forward, TCP passthrough (Kong's cluster port must never sit behind a TLS-terminating proxy). */
  readonly ports: KongLoadBalancerPort[];
  /** Kong's status listener port, probed for `healthCheckPath`. */
  readonly healthCheckPort: number;
  /** HTTP path of the health check (Kong's readiness endpoint). */
  readonly healthCheckPath: string;

  /**
   * Place the load balancer in public subnets with a public DNS name.
   * @default false
   */
  readonly internetFacing?: boolean;

  /**
   * Client CIDRs allowed to reach the listeners.
   * @default - the VPC CIDR when internal; anywhere (0.0.0.0/0) when internet-facing
   */
  readonly allowedCidrs?: string[];

  /**
   * Target type. `IP` for pods (bound with TargetGroupBinding) and Fargate tasks.
   * @default elbv2.TargetType.IP
   */
  readonly targetType?: elbv2.TargetType;

  /**
   * Seconds a deregistering target keeps its connections. Kong DPs hold long-lived cluster
   * connections and reconnect on close, so a short drain is safe and speeds up rollouts.
   * @default 30
   */
  readonly deregistrationDelaySeconds?: number;
}

/**
 * A TCP Network Load Balancer in front of Kong with one listener and one target group per port,
 * health checks on Kong's status listener, a security group that admits only the allowed CIDRs,
 * and access logs to an encrypted, TLS-only S3 bucket. Target groups are owned by CloudFormation
 * so their names, ports and ARNs are known at synth time.
 */
export class KongLoadBalancer extends Construct {
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  public readonly securityGroup: ec2.SecurityGroup;
  /** Target groups by port name. */
  public readonly targetGroups: Record<string, elbv2.NetworkTargetGroup> = {};
  /** Listener ports by port name. */
  public readonly listenerPorts: Record<string, number> = {};
  public readonly accessLogBucket: s3.Bucket;
  public readonly internetFacing: boolean;

  constructor(scope: Construct, id: string, props: KongLoadBalancerProps) {
    super(scope, id);
    if (props.ports.length === 0) {
      throw new KongFleetError(`${this.node.path}.ports`, 'a load balancer needs at least one port', { got: [] });
    }
    for (const p of props.ports) {
      for (const [field, value] of [
        ['listenerPort', p.listenerPort],
        ['targetPort', p.targetPort],
      ] as const) {
        if (!Number.isInteger(value) || value < 1 || value > 65535) {
          throw new KongFleetError(`${this.node.path}.ports.${p.name}.${field}`, 'is not a TCP port', {
            got: value,
            expected: 'an integer 1-65535',
          });
        }
      }
    }
    this.internetFacing = props.internetFacing ?? false;
    const allowedCidrs = props.allowedCidrs ?? (this.internetFacing ? ['0.0.0.0/0'] : [props.vpc.vpcCidrBlock]);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Kong load balancer ${this.node.path}`,
      allowAllOutbound: false,
    });
    for (const cidr of allowedCidrs) {
      for (const p of props.ports) {
        this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(p.listenerPort), `${p.name} from ${cidr}`);
      }
    }
    for (const p of props.ports) {
      this.securityGroup.addEgressRule(
        ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
        ec2.Port.tcp(p.targetPort),
        `${p.name} to Kong`,
      );
    }
    this.securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(props.healthCheckPort),
      'health checks to Kong status listener',
    );

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      internetFacing: this.internetFacing,
      vpcSubnets: { subnetType: this.internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      crossZoneEnabled: true,
      securityGroups: [this.securityGroup],
    });
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // NLB access logs are written by the log delivery service (not the regional ELB account that
    // CDK's logAccessLogs needs a region for), so this works in environment-agnostic stacks.
    const prefix = 'nlb';
    this.accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogBucket.arnForObjects(`${prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`)],
        conditions: {
          StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    this.accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [this.accessLogBucket.bucketArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', this.accessLogBucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
    this.loadBalancer.node.addDependency(this.accessLogBucket.policy!);

    acknowledgeNag(
      this.accessLogBucket,
      'S1',
      'this bucket is itself the access-log destination of the load balancer; logging it to another bucket would recurse',
    );
    if (this.internetFacing || allowedCidrs.some((c) => c === '0.0.0.0/0' || Token.isUnresolved(c))) {
      acknowledgeNag(
        this.securityGroup,
        'EC23',
        this.internetFacing
          ? 'an internet-facing Kong endpoint: clients are authenticated by Kong (mTLS on the cluster ports); restrict with allowedCidrs'
          : 'ingress is limited to the VPC CIDR, which cdk-nag cannot resolve at synth time',
      );
    }
    for (const p of props.ports) {
      const targetGroup = new elbv2.NetworkTargetGroup(this, `${p.name}Targets`, {
        vpc: props.vpc,
        port: p.targetPort,
        protocol: elbv2.Protocol.TCP,
        targetType: props.targetType ?? elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(props.deregistrationDelaySeconds ?? 30),
        healthCheck: {
          protocol: elbv2.Protocol.HTTP,
          port: String(props.healthCheckPort),
          path: props.healthCheckPath,
          interval: Duration.seconds(10),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
      });
      this.loadBalancer.addListener(`${p.name}Listener`, {
        port: p.listenerPort,
        protocol: elbv2.Protocol.TCP,
        defaultTargetGroups: [targetGroup],
      });
      this.targetGroups[p.name] = targetGroup;
      this.listenerPorts[p.name] = p.listenerPort;
    }
  }
}
