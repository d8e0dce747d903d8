import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, IDependable } from 'constructs';
import {
  ADOT_COLLECTOR,
  KONG_DATA_PLANE_RELEASE,
  kongMetricsCollectorConfig,
  OTEL_COLLECTOR_CHART,
  OtelCollectorConfig,
} from '../kong/metrics-collection';
import { grantMetricsWrite, IKongMetricsDestination } from './shared-services';

/** Helm release, service account and Role name of the collector in the data plane's namespace. */
export const KONG_METRICS_RELEASE = 'kong-metrics';

/** Properties of {@link KongEksMetricsCollector}. */
export interface KongEksMetricsCollectorProps {
  /** The cluster Kong runs on. */
  readonly cluster: eks.Cluster;
  /** The data plane's namespace (it exists already); the collector runs there and watches only it. */
  readonly namespace: string;
  /** The data plane's name (the `kong_data_plane` label). */
  readonly dataPlaneName: string;
  /** The AMP workspace the metrics go to. */
  readonly metrics: IKongMetricsDestination;
  /**
   * Kong's Helm release in the namespace, whose pods are scraped.
   * @default 'kong-dp'
   */
  readonly kongRelease?: string;
  /**
   * Resources that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: IDependable[];
}

/**
 * An OpenTelemetry Collector (ADOT image, OpenTelemetry's Helm chart, `deployment` mode, 1 replica)
 * in a Kong data plane's namespace: it discovers the pods of Kong's release in that namespace only,
 * scrapes `/metrics` on their status port every 30 s and remote-writes to AMP with SigV4. It signs
 * with an IRSA role allowed `aps:RemoteWrite` on the workspace only, and reads pods through a
 * namespaced Role (get/list/watch pods): no cluster-wide permission. The chart's own Service and
 * ports are off: nothing sends to this collector.
 */
export class KongEksMetricsCollector extends Construct {
  public readonly serviceAccount: eks.ServiceAccount;
  public readonly chart: eks.HelmChart;
  /** The collector configuration, as deployed. */
  public readonly collectorConfig: OtelCollectorConfig;
  /** The chart values, as deployed. */
  public readonly helmValues: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: KongEksMetricsCollectorProps) {
    super(scope, id);
    const { cluster, namespace } = props;
    const { config } = kongMetricsCollectorConfig({
      remoteWriteUrl: props.metrics.remoteWriteUrl,
      region: props.metrics.region,
      dataPlaneName: props.dataPlaneName,
      runtime: 'eks',
      namespace,
      release: props.kongRelease ?? KONG_DATA_PLANE_RELEASE,
      where: this.node.path,
    });
    this.collectorConfig = config;

    this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
      cluster,
      name: KONG_METRICS_RELEASE,
      namespace,
    });
    grantMetricsWrite(this, 'RemoteWrite', this.serviceAccount.role, props.metrics);

    const rbac = new eks.KubernetesManifest(this, 'PodDiscovery', {
      cluster,
      manifest: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: KONG_METRICS_RELEASE, namespace },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: KONG_METRICS_RELEASE, namespace },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: KONG_METRICS_RELEASE },
          subjects: [{ kind: 'ServiceAccount', name: KONG_METRICS_RELEASE, namespace }],
        },
      ],
    });
    for (const d of props.dependsOn ?? []) {
      this.serviceAccount.node.addDependency(d);
      rbac.node.addDependency(d);
    }

    const disabled = { enabled: false };
    this.helmValues = {
      mode: 'deployment',
      replicaCount: 1,
      image: { repository: ADOT_COLLECTOR.image, tag: ADOT_COLLECTOR.version },
      command: { name: ADOT_COLLECTOR.imageCommand },
      // alternateConfig replaces the chart's default pipelines (OTLP, Jaeger, Zipkin, debug) instead of merging.
      alternateConfig: config,
      serviceAccount: { create: false, name: KONG_METRICS_RELEASE },
      clusterRole: { create: false },
      service: { enabled: false },
      ports: Object.fromEntries(
        ['otlp', 'otlp-http', 'jaeger-compact', 'jaeger-thrift', 'jaeger-grpc', 'zipkin', 'metrics'].map((p) => [
          p,
          disabled,
        ]),
      ),
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: ADOT_COLLECTOR.imageUserId,
        runAsGroup: ADOT_COLLECTOR.imageUserId,
        fsGroup: ADOT_COLLECTOR.imageUserId,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
    };
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      ...OTEL_COLLECTOR_CHART,
      release: KONG_METRICS_RELEASE,
      namespace,
      createNamespace: false,
      wait: true,
      timeout: Duration.minutes(10),
      values: this.helmValues,
    });
    this.chart.node.addDependency(this.serviceAccount, rbac);
  }
}
