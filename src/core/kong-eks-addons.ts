import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, IDependable } from 'constructs';
import { acknowledgeNag } from './acknowledge';
import { ExternalSecretsOperator } from './external-secrets';

/** AWS Load Balancer Controller version installed on Kong clusters (binds NLB target groups to Services). */
export const ALB_CONTROLLER_VERSION = eks.AlbControllerVersion.V2_17_1;

/** Stakater Reloader chart, pinned: rolls Kong's pods when their certificate Secret changes. */
export const RELOADER_CHART = {
  repository: 'https://stakater.github.io/stakater-charts',
  chart: 'reloader',
  version: '2.1.4',
} as const;

/** Properties of {@link KongEksAddons}. */
export interface KongEksAddonsProps {
  /** The cluster Kong runs on (new or existing). */
  readonly cluster: eks.Cluster;
}

/**
 * What a cluster needs before Kong can run on it the kong-fleet way:
 * - the AWS Load Balancer Controller, so Kong's Services are bound to NLB target groups that
 *   CloudFormation owns (`TargetGroupBinding`) instead of load balancers made behind its back;
 * - the External Secrets Operator, so certificates, the license and database credentials come
 *   from Secrets Manager at run time;
 * - Stakater Reloader, so a rotated certificate rolls Kong's pods without an outage.
 */
export class KongEksAddons extends Construct {
  /**
   * The add-ons of `cluster`, installed once however many Kong releases share the cluster
   * (two data planes on one cluster must not install the operators twice).
   */
  public static of(cluster: eks.Cluster): KongEksAddons {
    const existing = cluster.node.tryFindChild(KongEksAddons.ID);
    return existing instanceof KongEksAddons ? existing : new KongEksAddons(cluster, KongEksAddons.ID, { cluster });
  }

  private static readonly ID = 'KongAddons';

  public readonly externalSecrets: ExternalSecretsOperator;
  /** Depend on this before creating `TargetGroupBinding` objects. */
  public readonly loadBalancerController: IDependable;

  constructor(scope: Construct, id: string, props: KongEksAddonsProps) {
    super(scope, id);
    this.loadBalancerController =
      props.cluster.albController ??
      new eks.AlbController(this, 'LoadBalancerController', {
        cluster: props.cluster,
        version: ALB_CONTROLLER_VERSION,
      });
    acknowledgeNag(
      this,
      'IAM5',
      'the AWS Load Balancer Controller policy is the one AWS publishes for the controller: it manages ELB and security-group resources whose ARNs are not known in advance',
      [
        'Resource::*',
        ...[
          'elasticloadbalancing:*:*:targetgroup/*/*',
          'elasticloadbalancing:*:*:loadbalancer/net/*/*',
          'elasticloadbalancing:*:*:loadbalancer/app/*/*',
          'elasticloadbalancing:*:*:listener/net/*/*/*',
          'elasticloadbalancing:*:*:listener/app/*/*/*',
          'elasticloadbalancing:*:*:listener-rule/net/*/*/*',
          'elasticloadbalancing:*:*:listener-rule/app/*/*/*',
          'ec2:*:*:security-group/*',
        ].map((r) => `Resource::arn:<AWS::Partition>:${r}`),
      ],
    );
    this.externalSecrets = new ExternalSecretsOperator(this, 'ExternalSecrets', { cluster: props.cluster });
    new eks.HelmChart(this, 'Reloader', {
      cluster: props.cluster,
      ...RELOADER_CHART,
      release: 'reloader',
      namespace: 'reloader',
      createNamespace: true,
      wait: true,
      timeout: Duration.minutes(10),
      // Only Deployments that carry Reloader's annotation (Kong's) are ever restarted.
      values: { reloader: { autoReloadAll: false } },
    });
  }
}
