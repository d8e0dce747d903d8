import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import { createEncryptionKey } from './encryption';

/** Properties of {@link KongVpc}. */
export interface KongVpcProps {
  /**
   * How many Availability Zones the VPC spans. Kong planes need at least two.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * The Availability Zones to use, by name. Give them when the stack has an explicit region:
   * otherwise CDK looks the zones up with AWS credentials at synth time.
   * @default - the first `maxAzs` zones of the stack's region
   */
  readonly availabilityZones?: string[];

  /**
   * NAT gateways. Nodes and the kubectl/Helm handler live in private subnets and pull images
   * and charts through NAT; one per AZ keeps a zone failure from cutting the others off.
   * @default - one per Availability Zone
   */
  readonly natGateways?: number;

  /**
   * IPv4 CIDR of the VPC.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;

  /**
   * Retention of the VPC flow logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * KMS key that encrypts the flow log group.
   * @default - a new key with rotation enabled, usable by CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The network a Kong plane gets when the user brings none: public subnets only for load
 * balancers and NAT, private subnets with egress for nodes, tasks and instances, and VPC flow
 * logs to a KMS-encrypted log group.
 */
export class KongVpc extends Construct {
  public readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: KongVpcProps = {}) {
    super(scope, id);
    const maxAzs = props.availabilityZones?.length ?? props.maxAzs ?? 2;
    if (maxAzs < 2) {
      throw new KongFleetError(`${this.node.path}.availabilityZones`, 'Kong planes need at least two zones', {
        got: props.availabilityZones ?? props.maxAzs,
      });
    }
    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      ...(props.availabilityZones ? { availabilityZones: props.availabilityZones } : { maxAzs }),
      natGateways: props.natGateways ?? maxAzs,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    const key =
      props.encryptionKey ?? createEncryptionKey(this, 'FlowLogKey', 'Encrypts the VPC flow logs of a Kong plane');
    const logGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
