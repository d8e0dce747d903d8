import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct, IDependable } from 'constructs';
import { KONG_HELM_CHART } from '../kong/chart';
import { KongLoadBalancer } from './kong-load-balancer';
import { KongEksAddons } from './kong-eks-addons';
import { SyncSecretOptions } from './external-secrets';

/** A Kong Service bound to a CloudFormation-owned target group. */
export interface ServiceBinding {
  /** Kubernetes Service name (as the chart names it). */
  readonly serviceName: string;
  /** Service port. */
  readonly servicePort: number;
  /** The target group pods are registered in. */
  readonly targetGroup: elbv2.INetworkTargetGroup;
}

/** Properties of {@link KongEksRelease}. */
export interface KongEksReleaseProps {
  readonly cluster: eks.Cluster;
  readonly addons: KongEksAddons;
  /** Namespace of the release (created). */
  readonly namespace: string;
  /** Helm release name; also the chart's `fullnameOverride`, so Service names are known. */
  readonly release: string;
  /** Complete values for Kong's chart. */
  readonly values: Record<string, unknown>;
  /** Kubernetes Secrets to sync from Secrets Manager before Kong starts. */
  readonly secrets: Omit<SyncSecretOptions, 'namespace'>[];
  /** Services to bind to target groups. */
  readonly bindings: ServiceBinding[];
  /** The load balancer whose target groups are bound. */
  readonly loadBalancer: KongLoadBalancer;
  /** Container ports the load balancer reaches (traffic and health checks). */
  readonly targetPorts: number[];
  /** Resources that must exist before Kong starts. */
  readonly dependsOn?: IDependable[];
}

/**
 * Kong's Helm chart on an EKS cluster, the kong-fleet way: a namespace, Secrets synced from
 * Secrets Manager, the chart (pinned), `TargetGroupBinding`s to CloudFormation-owned NLB target
 * groups, and the security-group rules that let the load balancer reach the pods.
 */
export class KongEksRelease extends Construct {
  public readonly chart: eks.HelmChart;
  /** The release's namespace: what the release's other workloads (log shipper, collector) depend on. */
  public readonly namespace: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: KongEksReleaseProps) {
    super(scope, id);
    const namespace = (this.namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: props.cluster,
      manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: props.namespace } }],
    }));
    const synced = props.secrets.map((s) =>
      props.addons.externalSecrets.syncSecret(this, `Secret-${s.name}`, {
        ...s,
        namespace: props.namespace,
        dependsOn: [namespace, ...(s.dependsOn ?? [])],
      }),
    );

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...KONG_HELM_CHART,
      release: props.release,
      namespace: props.namespace,
      values: props.values,
      wait: false,
      timeout: Duration.minutes(15),
    });
    this.chart.node.addDependency(namespace, ...synced, ...(props.dependsOn ?? []));

    props.bindings.forEach((b) => {
      const name = `${b.serviceName}-${b.servicePort}`;
      const binding = new eks.KubernetesManifest(this, `Binding-${name}`, {
        cluster: props.cluster,
        manifest: [
          {
            apiVersion: 'elbv2.k8s.aws/v1beta1',
            kind: 'TargetGroupBinding',
            metadata: { name, namespace: props.namespace },
            spec: {
              serviceRef: { name: b.serviceName, port: b.servicePort },
              targetGroupARN: b.targetGroup.targetGroupArn,
              targetType: 'ip',
            },
          },
        ],
      });
      binding.node.addDependency(this.chart, props.addons.loadBalancerController);
    });

    // Pods take the node/cluster security group (VPC CNI); let the load balancer in on Kong's ports.
    // The rule lives with the load balancer (remoteRule): a release on a shared cluster in another
    // stack must not change the cluster's stack.
    for (const port of [...new Set(props.targetPorts)]) {
      props.cluster.clusterSecurityGroup.addIngressRule(
        props.loadBalancer.securityGroup,
        ec2.Port.tcp(port),
        `Kong port ${port} from its load balancer`,
        true,
      );
    }
  }
}
