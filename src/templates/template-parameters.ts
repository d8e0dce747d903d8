/** Parameter specifications shared by the plane templates (data and control planes). */
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { ref, type Sentinel } from './sentinels';

/** Versions the version parameter accepts: Kong Gateway 3.x, 3 or 4 parts (src/kong/version.ts). */
export const KONG_VERSION_PATTERN = '^3\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))?$';
/** A DNS name of at least two labels (src/kong/net.ts isDnsName, without the all-numeric case). */
export const DNS_NAME_PATTERN =
  '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';
/** ARM (Graviton) types the EC2 templates offer; Kong publishes aarch64 packages (the constructs' default). */
export const EC2_INSTANCE_TYPES = ['m7g.large', 'm7g.xlarge', 'm7g.2xlarge', 'c7g.large', 'c7g.xlarge', 'c7g.2xlarge'];
/** Trust names (src/core/kong-cluster-trust.ts). */
export const TRUST_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,47}$';
/** Secrets Manager secret names. */
export const SECRET_NAME_PATTERN = '^[A-Za-z0-9/_+=.@-]{1,512}$';

/** One template parameter, with where the console shows it. */
export interface ParameterSpec {
  readonly id: string;
  readonly label: string;
  readonly group: string;
  readonly props: {
    readonly type: 'String' | 'Number' | 'CommaDelimitedList';
    readonly description: string;
    readonly default?: string | number;
    readonly allowedPattern?: string;
    readonly allowedValues?: string[];
    readonly minValue?: number;
    readonly maxValue?: number;
    readonly constraintDescription: string;
  };
}

/** Adds a capacity (count) parameter, 2 to 100, and returns its id. */
export function capacityParameter(
  parameters: ParameterSpec[],
  id: string,
  label: string,
  description: string,
  defaultValue: number,
): string {
  parameters.push({
    id,
    label,
    group: 'Capacity',
    props: {
      type: 'Number',
      description,
      default: defaultValue,
      minValue: 2,
      maxValue: 100,
      constraintDescription: 'a whole number from 2 to 100',
    },
  });
  return id;
}

/**
 * `MinNodes` / `MaxNodes` parameters for the managed node group of a plane's own EKS cluster, put
 * on the node group as property overrides (Kong's replica counts live in Helm values and cannot be
 * parameters; the nodes they run on can).
 */
export function nodeGroupCapacityParameters(parameters: ParameterSpec[], cluster: eks.Cluster, what: string): void {
  const minNodes = capacityParameter(
    parameters,
    'MinNodes',
    'Minimum nodes',
    `Minimum (and initial) number of EKS worker nodes${what}, across Availability Zones (at least 2)`,
    2,
  );
  const maxNodes = capacityParameter(
    parameters,
    'MaxNodes',
    'Maximum nodes',
    'Maximum number of EKS worker nodes (at least MinNodes)',
    4,
  );
  const nodes = cluster.node.findChild('NodegroupNodes').node.defaultChild as eks.CfnNodegroup;
  nodes.addPropertyOverride('ScalingConfig.MinSize', ref(minNodes));
  nodes.addPropertyOverride('ScalingConfig.DesiredSize', ref(minNodes));
  nodes.addPropertyOverride('ScalingConfig.MaxSize', ref(maxNodes));
}

/** Adds the `InstanceType` parameter (Graviton types) and returns its id. */
export function instanceTypeParameter(parameters: ParameterSpec[]): string {
  parameters.push({
    id: 'InstanceType',
    label: 'Instance type',
    group: 'Capacity',
    props: {
      type: 'String',
      description: 'EC2 instance type of the Kong instances (Graviton: Kong installs its aarch64 package)',
      default: EC2_INSTANCE_TYPES[0],
      allowedValues: EC2_INSTANCE_TYPES,
      constraintDescription: `one of ${EC2_INSTANCE_TYPES.join(', ')}`,
    },
  });
  return 'InstanceType';
}

/** What building one template kind gives the generator. */
export interface BuiltPlane {
  /** Synth-time values and the parameter expressions that replace them. */
  readonly sentinels: Sentinel[];
  /** The parameters, in console order. */
  readonly parameters: ParameterSpec[];
}
