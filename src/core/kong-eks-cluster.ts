import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { KongFleetError } from '../kong/errors';
import { acknowledgeNag, frameworkFunctionFindings, managedPolicyFinding } from './acknowledge';
import { createEncryptionKey } from './encryption';

/** Kubernetes version of the clusters kong-fleet creates; the kubectl layer must match it. */
export const KUBERNETES_VERSION = eks.KubernetesVersion.V1_35;

/** Properties of {@link KongEksCluster}. */
export interface KongEksClusterProps {
  /** VPC of the cluster; nodes go to its private subnets. */
  readonly vpc: ec2.IVpc;

  /**
   * Who may reach the Kubernetes API endpoint. The kubectl/Helm handler runs inside the VPC,
   * so a private endpoint works for deployment.
   * @default eks.EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: eks.EndpointAccess;

  /**
   * Instance type of the managed node group.
   * @default m7i.large
   */
  readonly nodeInstanceType?: ec2.InstanceType;

  /**
   * Minimum nodes. Spread across the private subnets' Availability Zones; at least 2.
   * @default 2
   */
  readonly nodeMinSize?: number;

  /**
   * Maximum nodes.
   * @default 4
   */
  readonly nodeMaxSize?: number;

  /**
   * KMS key that encrypts Kubernetes Secrets (envelope encryption).
   * @default - a new key with rotation enabled
   */
  readonly secretsEncryptionKey?: kms.IKey;
}

/**
 * An EKS cluster (aws-eks-v2) for a Kong plane: managed node group across at least two AZs in
 * private subnets, all control-plane log types on, Kubernetes Secrets encrypted with KMS, and a
 * kubectl/Helm handler inside the VPC so the endpoint can stay private.
 */
export class KongEksCluster extends Construct {
  public readonly cluster: eks.Cluster;

  constructor(scope: Construct, id: string, props: KongEksClusterProps) {
    super(scope, id);
    const minSize = props.nodeMinSize ?? 2;
    const maxSize = props.nodeMaxSize ?? Math.max(4, minSize);
    if (!Number.isInteger(minSize) || minSize < 2) {
      throw new KongFleetError(`${this.node.path}.nodeMinSize`, 'a Kong cluster needs nodes in at least two AZs', {
        got: minSize,
        expected: 'an integer ≥ 2',
      });
    }
    if (!Number.isInteger(maxSize) || maxSize < minSize) {
      throw new KongFleetError(`${this.node.path}.nodeMaxSize`, 'must be at least nodeMinSize', {
        got: maxSize,
        expected: `an integer ≥ ${minSize}`,
      });
    }
    const privateSubnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    if (!privateSubnets.isPendingLookup && privateSubnets.availabilityZones.length < 2) {
      throw new KongFleetError(`${this.node.path}.vpc`, 'needs private subnets in at least two Availability Zones', {
        got: privateSubnets.availabilityZones,
        expected: '≥ 2 AZs',
      });
    }
    const secretsEncryptionKey =
      props.secretsEncryptionKey ??
      createEncryptionKey(this, 'SecretsKey', 'Encrypts Kubernetes Secrets of a Kong cluster');

    this.cluster = new eks.Cluster(this, 'Resource', {
      version: KUBERNETES_VERSION,
      vpc: props.vpc,
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess: props.endpointAccess ?? eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey,
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'),
        privateSubnets: privateSubnets.subnets,
      },
    });
    Validations.of(this.cluster).acknowledge({
      id: 'CloudFormation-Validate::W9009',
      reason: 'aws-eks-v2 writes EncryptionConfig.Resources=[secrets]; EKS still needs it to envelope-encrypt Secrets',
    });
    this.cluster.addNodegroupCapacity('Nodes', {
      instanceTypes: [props.nodeInstanceType ?? new ec2.InstanceType('m7i.large')],
      minSize,
      desiredSize: minSize,
      maxSize,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
    });
    acknowledgeNag(
      this,
      'IAM4',
      'EKS cluster, node group and kubectl-handler roles use the AWS managed policies EKS and Lambda document for them',
      [
        ...[
          'AmazonEKSClusterPolicy',
          'AmazonEKSWorkerNodePolicy',
          'AmazonEKS_CNI_Policy',
          'AmazonEC2ContainerRegistryReadOnly',
          'service-role/AWSLambdaBasicExecutionRole',
          'service-role/AWSLambdaVPCAccessExecutionRole',
        ].map(managedPolicyFinding),
        ...frameworkFunctionFindings(this).filter((f) => f.startsWith('Policy::')),
      ],
    );
    acknowledgeNag(
      this,
      'IAM5',
      'the kubectl Provider framework (aws-eks-v2) may invoke every version of its own handler function',
      frameworkFunctionFindings(this).filter((f) => f.startsWith('Resource::')),
    );
    acknowledgeNag(this, 'L1', 'the kubectl handler runtime is chosen by aws-eks-v2 (the newest Python it supports)');
  }
}
