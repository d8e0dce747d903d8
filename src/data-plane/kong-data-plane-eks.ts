import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { chartServiceName } from '../kong/chart';
import { KongHybridConfig } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { deepMerge } from '../kong/merge';
import { KONG_PORTS, STATUS_READY_PATH } from '../kong/ports';
import { renderHelmValues } from '../kong/render';
import {
  connectSharedServices,
  dataPlaneKongConfig,
  dataPlaneUsesClusterCa,
  KongDataPlaneBaseProps,
  resolveDataPlane,
} from '../core/data-plane-settings';
import { KongEksLogShipper } from '../core/kong-eks-log-shipper';
import { KongEksMetricsCollector } from '../core/kong-eks-metrics-collector';
import { CONTAINER_ACCESS_LOG_TARGET } from '../kong/log-shipping';
import { KongEksAddons } from '../core/kong-eks-addons';
import { KongEksCluster } from '../core/kong-eks-cluster';
import { KongEksRelease } from '../core/kong-eks-release';
import { KongLoadBalancer } from '../core/kong-load-balancer';
import { KongVpc } from '../core/kong-vpc';
import {
  KUBERNETES_SECRET_NAMES,
  planeSecretSyncs,
  mountedClusterTrustSettings,
  syncedLicenseSetting,
  kubernetesReplicaValues,
} from '../core/kubernetes-values';

/** Properties of {@link KongDataPlaneEks}. */
export interface KongDataPlaneEksProps extends KongDataPlaneBaseProps {
  /**
   * An existing EKS cluster to run on. kong-fleet installs the AWS Load Balancer Controller (if
   * the cluster has none) and the External Secrets Operator on it.
   * @default - a new cluster
   */
  readonly cluster?: eks.Cluster;

  /**
   * VPC for a new cluster (ignored with `cluster`).
   * @default - a new VPC across two AZs with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Access to the Kubernetes API endpoint of a new cluster.
   * @default eks.EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: eks.EndpointAccess;

  /**
   * Minimum Kong replicas (HorizontalPodAutoscaler), spread across AZs.
   * @default 2
   */
  readonly minReplicas?: number;

  /**
   * Maximum Kong replicas.
   * @default 10
   */
  readonly maxReplicas?: number;
}

/**
 * A Kong Gateway data plane (`role=data_plane`, `database=off`) on EKS that joins a control
 * plane over mTLS: Kong's Helm chart with the CP's cluster and telemetry endpoints, certificate
 * and license synced from Secrets Manager, readiness on `/status/ready`, an autoscaler with at
 * least 2 replicas spread across AZs, a PodDisruptionBudget, and the proxy (80/443 → 8000/8443)
 * behind a CloudFormation-owned TCP NLB.
 */
export class KongDataPlaneEks extends Construct {
  public readonly dataPlaneName: string;
  public readonly kongVersion: string;
  public readonly cluster: eks.Cluster;
  public readonly proxyLoadBalancer: KongLoadBalancer;
  public readonly release: KongEksRelease;
  /** `cluster_control_plane` this data plane uses. */
  public readonly clusterControlPlane: string;
  /** `cluster_telemetry_endpoint` this data plane uses. */
  public readonly clusterTelemetryEndpoint: string;
  /** The chart values, as deployed. */
  public readonly helmValues: Record<string, unknown>;
  /** The Kong settings of this data plane (the same model every runtime renders). */
  public readonly kongConfig: KongHybridConfig;

  constructor(scope: Construct, id: string, props: KongDataPlaneEksProps) {
    super(scope, id);
    const where = this.node.path;
    const cp = props.controlPlane;
    const resolved = resolveDataPlane(this, props, { accessLogTarget: CONTAINER_ACCESS_LOG_TARGET });
    const { definition, targetCpuPercent, licenseSecret } = resolved;
    this.dataPlaneName = definition.dataPlaneName;
    this.kongVersion = definition.kongVersion;
    const minReplicas = props.minReplicas ?? 2;
    const maxReplicas = props.maxReplicas ?? 10;
    if (!Number.isInteger(minReplicas) || minReplicas < 2) {
      throw new KongFleetError(`${where}.minReplicas`, 'a data plane needs at least 2 replicas across AZs', {
        got: minReplicas,
        expected: 'an integer ≥ 2',
      });
    }
    if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas) {
      throw new KongFleetError(`${where}.maxReplicas`, 'must be at least minReplicas', {
        got: maxReplicas,
        expected: `an integer ≥ ${minReplicas}`,
      });
    }

    this.cluster =
      props.cluster ??
      new KongEksCluster(this, 'Cluster', {
        vpc: props.vpc ?? new KongVpc(this, 'Vpc').vpc,
        endpointAccess: props.endpointAccess,
      }).cluster;
    const addons = KongEksAddons.of(this.cluster);

    this.proxyLoadBalancer = new KongLoadBalancer(this, 'Proxy', {
      vpc: this.cluster.vpc,
      internetFacing: props.proxyInternetFacing ?? false,
      allowedCidrs: props.proxyAllowedCidrs,
      healthCheckPort: KONG_PORTS.status,
      healthCheckPath: STATUS_READY_PATH,
      ports: [
        { name: 'Http', listenerPort: 80, targetPort: KONG_PORTS.proxyHttp },
        { name: 'Https', listenerPort: 443, targetPort: KONG_PORTS.proxyHttps },
      ],
    });

    const credentials = cp.trust.dataPlaneCredentials(this, this.dataPlaneName);
    const certSecret = KUBERNETES_SECRET_NAMES.clusterCertificate;
    const config = (this.kongConfig = dataPlaneKongConfig(
      definition,
      credentials,
      {
        ...mountedClusterTrustSettings(credentials, dataPlaneUsesClusterCa(cp, credentials)),
        license: syncedLicenseSetting(licenseSecret),
      },
      where,
    ));
    this.clusterControlPlane = `${cp.clusterEndpoint.host}:${cp.clusterEndpoint.port}`;
    this.clusterTelemetryEndpoint = `${cp.telemetryEndpoint.host}:${cp.telemetryEndpoint.port}`;

    const release = 'kong-dp';
    const namespace = `kong-${this.dataPlaneName}`;
    // Kong calls AWS with its own IAM role (IRSA) when it reads vault references ({vault://aws/...})
    // or the fallback configuration; lua-resty-aws picks up the web identity token IRSA mounts.
    const kongNeedsRole = resolved.vaultSecrets.length > 0 || resolved.fallbackConfig !== undefined;
    const kongServiceAccount = kongNeedsRole ? release : undefined;
    const processEnvironment = Object.keys(resolved.environment).length > 0 ? resolved.environment : undefined;
    this.helmValues = deepMerge(
      deepMerge(
        renderHelmValues(config, { fullnameOverride: release, secretVolumes: [certSecret] }),
        kubernetesReplicaValues({ release, autoscaling: { minReplicas, maxReplicas, targetCpuPercent } }),
      ),
      {
        ...(kongServiceAccount ? { deployment: { serviceAccount: { create: false, name: kongServiceAccount } } } : {}),
        // The chart's un-prefixed variables (`env.*` become KONG_*): AWS_REGION of a fallback
        // configuration bucket in another region.
        ...(processEnvironment ? { customEnv: { ...processEnvironment } } : {}),
      },
    );

    this.release = new KongEksRelease(this, 'Kong', {
      cluster: this.cluster,
      addons,
      // One namespace per data plane, so several can share a cluster.
      namespace,
      release,
      values: this.helmValues,
      loadBalancer: this.proxyLoadBalancer,
      targetPorts: [KONG_PORTS.proxyHttp, KONG_PORTS.proxyHttps, KONG_PORTS.status],
      secrets: planeSecretSyncs(credentials, licenseSecret, dataPlaneUsesClusterCa(cp, credentials)),
      bindings: [
        {
          serviceName: chartServiceName(release, 'proxy'),
          servicePort: 80,
          targetGroup: this.proxyLoadBalancer.targetGroups.Http,
        },
        {
          serviceName: chartServiceName(release, 'proxy'),
          servicePort: 443,
          targetGroup: this.proxyLoadBalancer.targetGroups.Https,
        },
      ],
    });

    let kongRole: iam.IRole | undefined;
    if (kongServiceAccount) {
      const serviceAccount = new eks.ServiceAccount(this, 'KongServiceAccount', {
        cluster: this.cluster,
        name: kongServiceAccount,
        namespace,
      });
      serviceAccount.node.addDependency(this.release.namespace);
      this.release.chart.node.addDependency(serviceAccount);
      kongRole = serviceAccount.role;
    }
    // Pods on managed node groups use the cluster security group (VPC CNI).
    connectSharedServices(this, props, resolved, { role: kongRole, peer: this.cluster.clusterSecurityGroup });
    if (props.accessLogDestination) {
      new KongEksLogShipper(this, 'AccessLogs', {
        cluster: this.cluster,
        namespace,
        dataPlaneName: this.dataPlaneName,
        logs: props.accessLogDestination,
        dependsOn: [this.release.namespace],
      });
    }
    if (props.metricsDestination) {
      new KongEksMetricsCollector(this, 'Metrics', {
        cluster: this.cluster,
        namespace,
        dataPlaneName: this.dataPlaneName,
        metrics: props.metricsDestination,
        dependsOn: [this.release.namespace],
      });
    }

    new CfnOutput(this, 'ProxyEndpoint', {
      value: this.proxyLoadBalancer.loadBalancer.loadBalancerDnsName,
      description: `Kong proxy of data plane ${this.dataPlaneName}`,
    });
  }
}
