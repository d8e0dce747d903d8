import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { KONG_FLEET_NAG_PACK } from './acknowledge';
import { EKSControlPlaneLogging, EKSEndpointPublicAccessRestricted } from './rules/eks';
import {
  KongAdminNotInternetReachable,
  KongClusterBehindTcpNlb,
  KongControlPlaneDatabaseTls,
  KongDataPlaneHighlyAvailable,
  KongSecretsNotInPlainText,
} from './rules/kong';
import { RDSPostgresForceSsl } from './rules/rds';

/**
 * What AwsSolutionsChecks misses for a Kong Gateway hybrid fleet on AWS: EKS clusters as aws-eks-v2
 * writes them, and Kong's own exposure, availability, secret and TLS rules. A cdk-nag v3 pack:
 *
 *   Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new KongFleetChecks(app));
 *
 * Findings are acknowledged like AwsSolutions ones, next to the construct that causes them:
 * `Validations.of(construct).acknowledge({ id: 'KongFleet::KongFleet-KONG3', reason })`, or
 * `acknowledgeKongFleetNag(construct, 'KONG3', reason)`. Every rule is documented in
 * docs/nag-rules.md.
 */
export class KongFleetChecks extends NagPack {
  public readonly name = KONG_FLEET_NAG_PACK;
  public readonly ruleIds = ['EKS1', 'EKS2', 'KONG1', 'KONG2', 'KONG3', 'KONG4', 'KONG5', 'RDS1'].map(
    (rule) => `${KONG_FLEET_NAG_PACK}-${rule}`,
  );

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = KONG_FLEET_NAG_PACK;
  }

  protected checkResource(node: CfnResource): void {
    this.checkEks(node);
    this.checkKong(node);
    this.checkDatabases(node);
  }

  /**
   * EKS clusters
   * @param node the CfnResource to check
   */
  private checkEks(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'EKS1',
      info: 'The EKS cluster Kubernetes API endpoint is public without a CIDR allow-list.',
      explanation:
        'EndpointPublicAccess is on (CloudFormation default) and PublicAccessCidrs is absent or contains 0.0.0.0/0 or ::/0, so the Kubernetes API of the cluster that runs Kong (and holds its cluster certificate and license) answers the whole internet. Make the endpoint private (eks.EndpointAccess.PRIVATE, kong-fleet default) or list the networks that may reach it (EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom(...)).',
      level: NagMessageLevel.ERROR,
      rule: EKSEndpointPublicAccessRestricted,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'EKS2',
      info: 'The EKS cluster does not send its api, audit and authenticator control-plane logs to CloudWatch Logs.',
      explanation:
        'Without the api, audit and authenticator logs nobody can tell who read the Kong secrets or changed the Kong deployments. Enable them in clusterLogging (aws-eks-v2 ClusterLoggingTypes.API, AUDIT, AUTHENTICATOR).',
      level: NagMessageLevel.ERROR,
      rule: EKSControlPlaneLogging,
      node,
    });
  }

  /**
   * Kong nodes and what reaches them
   * @param node the CfnResource to check
   */
  private checkKong(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'KONG1',
      info: 'Kong Admin API (8001/8444) or Kong Manager (8002/8445) is reachable from the internet.',
      explanation:
        'A security group admits 0.0.0.0/0 or ::/0 on an Admin API or Manager port (directly, through a port range or an all-traffic rule), or an internet-facing load balancer forwards to one. Whoever reaches the Admin API reconfigures every data plane of the fleet. Keep admin_listen and admin_gui_listen on 127.0.0.1 or behind an internal load balancer, and reach them through a VPN, Session Manager port forwarding or kubectl port-forward.',
      level: NagMessageLevel.ERROR,
      rule: KongAdminNotInternetReachable,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'KONG2',
      info: 'The Kong cluster or telemetry port (8005/8006) is behind something other than a TCP Network Load Balancer.',
      explanation:
        "Data planes authenticate to the control plane with mutual TLS that must end at Kong, and shared mode's SNI kong_clustering must pass untouched: a TLS listener, an HTTP(S) target group, an Application or Classic Load Balancer or a listener rule in front of 8005/8006 breaks the connection or the trust. Use a Network Load Balancer with TCP listeners and TCP target groups.",
      level: NagMessageLevel.ERROR,
      rule: KongClusterBehindTcpNlb,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'KONG3',
      info: 'The Kong data plane may run fewer than 2 nodes, or in a single subnet (Availability Zone).',
      explanation:
        "One node or one Availability Zone is a single point of failure for every API the data plane serves, and Kong's rolling updates replace nodes one at a time. Run at least 2 (ECS scalable target MinCapacity or DesiredCount, Auto Scaling MinSize, Helm autoscaling.minReplicas or replicaCount) in at least 2 subnets of different Availability Zones.",
      level: NagMessageLevel.ERROR,
      rule: KongDataPlaneHighlyAvailable,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'KONG4',
      info: 'A Kong license, cluster private key or database password is written in plain text into the template.',
      explanation:
        'ECS Environment, Helm values and EC2 user data are readable by anyone who can describe the task definition, the Kubernetes deployment or the instance, and stay in every template version. Pass KONG_LICENSE_DATA, KONG_CLUSTER_CERT_KEY and KONG_PG_PASSWORD as ECS Secrets, the chart env as valueFrom.secretKeyRef (or cluster_cert_key as a file path), read them from Secrets Manager at boot on EC2, or use Kong vault references ({vault://aws/...}).',
      level: NagMessageLevel.ERROR,
      rule: KongSecretsNotInPlainText,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'KONG5',
      info: 'The Kong control plane does not require TLS to its PostgreSQL database.',
      explanation:
        'pg_ssl alone falls back to a plain-text connection when the server does not offer TLS, exposing the database password and the whole Kong configuration (credentials of every consumer) on the network. Set pg_ssl and pg_ssl_required on (KONG_PG_SSL / env.pg_ssl / pg_ssl = on), or use pg_iam_auth, which forces TLS.',
      level: NagMessageLevel.ERROR,
      rule: KongControlPlaneDatabaseTls,
      node,
    });
  }

  /**
   * Databases
   * @param node the CfnResource to check
   */
  private checkDatabases(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'RDS1',
      info: 'The RDS for PostgreSQL instance accepts connections without TLS (rds.force_ssl is not 1).',
      explanation:
        'A client that does not ask for TLS (a Kong node without pg_ssl_required, a migration job, a psql session) sends the password and the Kong configuration in plain text. Attach a parameter group with rds.force_ssl = 1 (the default from PostgreSQL 15 on), as KongDatabase does.',
      level: NagMessageLevel.ERROR,
      rule: RDSPostgresForceSsl,
      node,
    });
  }
}
