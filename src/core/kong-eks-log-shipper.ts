import { Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct, IDependable } from 'constructs';
import { eksFluentBitConfig, FLUENT_BIT_HTTP_PORT, KUBERNETES_FLUENT_BIT_STATE_DIR } from '../kong/log-shipping';
import { allowServiceAccess, grantLogWrite, IKongLogDestination } from './shared-services';

/** Fluent Bit's Helm chart, pinned (fluent/helm-charts tag fluent-bit-0.58.1: Fluent Bit 5.1.1). */
export const FLUENT_BIT_CHART = {
  repository: 'https://fluent.github.io/helm-charts',
  chart: 'fluent-bit',
  version: '0.58.1',
} as const;

/** Helm release (and resource names, `fullnameOverride`) of the shipper in a data plane's namespace. */
export const LOG_SHIPPER_RELEASE = 'kong-logs';

/** Properties of {@link KongEksLogShipper}. */
export interface KongEksLogShipperProps {
  /** The cluster Kong's data plane runs on. */
  readonly cluster: eks.Cluster;
  /** The data plane's namespace (already created: see `dependsOn`). */
  readonly namespace: string;
  /** The data plane: its records go to `kong-<dataPlaneName>-YYYY.MM.DD`. */
  readonly dataPlaneName: string;
  /** The OpenSearch domain that takes the access log. */
  readonly logs: IKongLogDestination;
  /**
   * What must exist before the shipper is installed (the namespace).
   * @default - nothing
   */
  readonly dependsOn?: IDependable[];
}

/**
 * Ships one EKS data plane's Kong access log to OpenSearch: a Fluent Bit DaemonSet (Fluent Bit's
 * chart) in the data plane's namespace that reads only that namespace's Kong `proxy` container
 * logs from each node and writes them with SigV4 after assuming the destination's writer role,
 * from an IRSA service account that may assume that role and nothing else. It never calls the
 * Kubernetes API (no `kubernetes` filter), so the chart's ClusterRole is not created: several data
 * planes can share a cluster without sharing or colliding on cluster-scoped objects.
 */
export class KongEksLogShipper extends Construct {
  public readonly serviceAccount: eks.ServiceAccount;
  public readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: KongEksLogShipperProps) {
    super(scope, id);
    const config = eksFluentBitConfig(
      {
        host: props.logs.endpoint,
        port: props.logs.port,
        region: Stack.of(this).region,
        roleArn: props.logs.writerRole.roleArn,
        dataPlaneName: props.dataPlaneName,
        namespace: props.namespace,
      },
      this.node.path,
    );
    const dependsOn = props.dependsOn ?? [];

    this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
      cluster: props.cluster,
      name: LOG_SHIPPER_RELEASE,
      namespace: props.namespace,
    });
    this.serviceAccount.node.addDependency(...dependsOn);
    grantLogWrite(this, 'LogWriter', this.serviceAccount.role, props.logs);

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...FLUENT_BIT_CHART,
      release: LOG_SHIPPER_RELEASE,
      namespace: props.namespace,
      // Log shipping must not hold a gateway deployment hostage to the log backend's health.
      wait: false,
      timeout: Duration.minutes(10),
      values: {
        fullnameOverride: LOG_SHIPPER_RELEASE,
        kind: 'DaemonSet',
        serviceAccount: { create: false, name: LOG_SHIPPER_RELEASE },
        rbac: { create: false },
        testFramework: { enabled: false },
        config,
        // Read-only container logs, and a host directory for the tail positions so a restarted pod
        // resumes where it stopped.
        daemonSetVolumes: [
          { name: 'varlog', hostPath: { path: '/var/log' } },
          { name: 'state', hostPath: { path: KUBERNETES_FLUENT_BIT_STATE_DIR, type: 'DirectoryOrCreate' } },
        ],
        daemonSetVolumeMounts: [
          { name: 'varlog', mountPath: '/var/log', readOnly: true },
          { name: 'state', mountPath: KUBERNETES_FLUENT_BIT_STATE_DIR },
        ],
        metricsPort: FLUENT_BIT_HTTP_PORT,
        // Root (the image's user) reads the root-owned container logs; nothing else is needed.
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        resources: {
          requests: { cpu: '50m', memory: '64Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
        tolerations: [],
      },
    });
    this.chart.node.addDependency(this.serviceAccount, this.node.findChild('LogWriter'), ...dependsOn);

    // Pods on managed node groups use the cluster security group (VPC CNI).
    allowServiceAccess(props.logs, props.cluster.clusterSecurityGroup);
  }
}
