import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';
import { chartServiceName } from '../kong/chart';
import { controlPlaneConfig, Endpoint } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { deepMerge } from '../kong/merge';
import { KONG_PORTS } from '../kong/ports';
import { renderHelmValues } from '../kong/render';
import { IKongClusterTrust } from '../core/cluster-credentials';
import {
  IKongControlPlaneConnection,
  KongControlPlaneBaseProps,
  resolveControlPlaneVersion,
} from '../core/control-plane-connection';
import { KongDatabase } from '../core/kong-database';
import { KongEksAddons } from '../core/kong-eks-addons';
import { KongEksCluster } from '../core/kong-eks-cluster';
import { KongEksRelease } from '../core/kong-eks-release';
import { addClusterEndpoints } from '../core/cluster-endpoints';
import { KongLoadBalancer } from '../core/kong-load-balancer';
import { KongVpc } from '../core/kong-vpc';
import {
  KUBERNETES_SECRET_NAMES,
  planeSecretSyncs,
  mountedClusterTrustSettings,
  syncedLicenseSetting,
  kubernetesReplicaValues,
} from '../core/kubernetes-values';

/** Where Kong's pods read the database CA bundle in `databaseIamAuthentication` mode (an emptyDir of its own). */
export const KUBERNETES_POSTGRES_CA_PATH = '/etc/kong-fleet/postgres-ca/ca-bundle.pem';

/**
 * Kubernetes service account of Kong's pods and migration Jobs in `databaseIamAuthentication` mode
 * (IRSA). Not the chart's own name (`kong-cp`), so switching modes never has two owners for one object.
 */
export const KONG_CP_IAM_SERVICE_ACCOUNT = 'kong-cp-iam';

/** Properties of {@link KongControlPlaneEks}. */
export interface KongControlPlaneEksProps extends KongControlPlaneBaseProps {
  /**
   * Access to the Kubernetes API endpoint.
   * @default eks.EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: eks.EndpointAccess;

  /**
   * Kong control-plane replicas (spread across AZs, with a PodDisruptionBudget).
   * @default 2
   */
  readonly replicas?: number;
}

/**
 * A Kong Gateway control plane (`role=control_plane`) on EKS, backed by RDS PostgreSQL.
 *
 * - EKS (aws-eks-v2) with a managed node group across ≥ 2 AZs in private subnets.
 * - Kong's Helm chart, pinned, with the ingress controller and proxy off, migrations on.
 * - Database password, cluster certificate and license synced from Secrets Manager at run
 *   time (External Secrets Operator); none of them passes through the template. With
 *   `databaseIamAuthentication` there is no database password: Kong's pods and the chart's migration
 *   Jobs run as an IRSA service account allowed `rds-db:connect` on Kong's IAM database user, and an
 *   init container fetches the region's RDS CA bundle so Kong verifies the database.
 * - Cluster (8005) and telemetry (8006) behind a TCP NLB owned by CloudFormation, bound to the
 *   Kong Services with `TargetGroupBinding`, and Route 53 aliases for both DNS names.
 * - Admin API and Kong Manager as ClusterIP Services only: never reachable from outside the cluster.
 */
export class KongControlPlaneEks extends Construct implements IKongControlPlaneConnection {
  public readonly clusterEndpoint: Endpoint;
  public readonly telemetryEndpoint: Endpoint;
  public readonly trust: IKongClusterTrust;
  public readonly kongVersion: string;
  public readonly licenseSecret?: secretsmanager.ISecret;
  public readonly vpc: ec2.IVpc;
  public readonly cluster: eks.Cluster;
  public readonly database: KongDatabase;
  public readonly loadBalancer: KongLoadBalancer;
  public readonly release: KongEksRelease;
  /** The IRSA service account Kong runs as, in `databaseIamAuthentication` mode. */
  public readonly serviceAccount?: eks.ServiceAccount;
  /** The chart values, as deployed (tokens unresolved). */
  public readonly helmValues: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: KongControlPlaneEksProps) {
    super(scope, id);
    const where = this.node.path;
    this.kongVersion = resolveControlPlaneVersion(this, props);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 2) {
      throw new KongFleetError(`${where}.replicas`, 'a control plane needs at least 2 replicas across AZs', {
        got: replicas,
        expected: 'an integer ≥ 2',
      });
    }
    this.trust = props.trust;
    this.licenseSecret = props.licenseSecret;

    this.vpc = props.vpc ?? new KongVpc(this, 'Vpc').vpc;
    this.cluster = new KongEksCluster(this, 'Cluster', { vpc: this.vpc, endpointAccess: props.endpointAccess }).cluster;
    const addons = KongEksAddons.of(this.cluster);

    const iamAuthentication = props.databaseIamAuthentication ?? false;
    this.database = new KongDatabase(this, 'Database', {
      vpc: this.vpc,
      instanceType: props.databaseInstanceType,
      multiAz: props.databaseMultiAz,
      deletionProtection: props.databaseDeletionProtection,
      iamAuthentication,
    });
    this.database.allowFrom(this.cluster.clusterSecurityGroup, 'Kong control plane pods');

    const endpoints = addClusterEndpoints(this, {
      vpc: this.vpc,
      hostedZone: props.hostedZone,
      clusterHostname: props.clusterHostname,
      telemetryHostname: props.telemetryHostname,
      internetFacing: props.clusterEndpointInternetFacing ?? true,
      allowedCidrs: props.dataPlaneCidrs,
    });
    this.loadBalancer = endpoints.loadBalancer;
    this.clusterEndpoint = endpoints.clusterEndpoint;
    this.telemetryEndpoint = endpoints.telemetryEndpoint;

    const credentials = props.trust.controlPlaneCredentials(this, {
      serverNames: [props.clusterHostname, props.telemetryHostname],
    });
    const certSecret = KUBERNETES_SECRET_NAMES.clusterCertificate;
    const postgres = this.database.kongPostgresSettings({
      caBundlePath: KUBERNETES_POSTGRES_CA_PATH,
      masterCredentials: {
        user: { secretName: KUBERNETES_SECRET_NAMES.postgres, key: 'username' },
        password: { secretName: KUBERNETES_SECRET_NAMES.postgres, key: 'password' },
      },
    });
    const config = controlPlaneConfig(
      {
        version: this.kongVersion,
        postgres,
        ...mountedClusterTrustSettings(credentials),
        license: syncedLicenseSetting(props.licenseSecret),
        extra: props.kongSettings,
      },
      `${where}.kong`,
    );

    const release = 'kong-cp';
    const namespace = 'kong';
    const dependsOn: IDependable[] = [];
    let iamValues: Record<string, unknown> = {};
    if (iamAuthentication) {
      // IRSA: Kong (lua-resty-aws) reads AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, injected by EKS
      // into every container of pods that run as this account, init containers included. The chart
      // runs the Deployment and all its migration Jobs as `deployment.serviceAccount`.
      const serviceAccount = (this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
        cluster: this.cluster,
        name: KONG_CP_IAM_SERVICE_ACCOUNT,
        namespace,
      }));
      dependsOn.push(
        serviceAccount,
        this.database.grantConnect(this, 'DatabaseConnect', serviceAccount.role),
        this.database.iamUserResource!,
      );
      iamValues = {
        deployment: { serviceAccount: { create: false, name: KONG_CP_IAM_SERVICE_ACCOUNT } },
        // For the STS call of IRSA: pods may not reach IMDS (hop limit), where lua-resty-aws would
        // otherwise look the region up. The token is signed for the region in pg_host.
        customEnv: { AWS_REGION: Stack.of(this).region },
      };
    }
    this.helmValues = deepMerge(
      deepMerge(
        renderHelmValues(config, { fullnameOverride: release, secretVolumes: [certSecret] }),
        kubernetesReplicaValues({ release, replicas }),
      ),
      iamValues,
    );

    this.release = new KongEksRelease(this, 'Kong', {
      cluster: this.cluster,
      addons,
      namespace,
      release,
      values: this.helmValues,
      loadBalancer: this.loadBalancer,
      targetPorts: [KONG_PORTS.cluster, KONG_PORTS.clusterTelemetry, KONG_PORTS.status],
      secrets: [
        ...planeSecretSyncs(credentials, props.licenseSecret),
        ...(iamAuthentication
          ? []
          : [
              {
                name: KUBERNETES_SECRET_NAMES.postgres,
                source: this.database.credentials,
                sourceKey: this.database.encryptionKey,
                keys: [
                  { secretKey: 'username', property: 'username' },
                  { secretKey: 'password', property: 'password' },
                ],
                dependsOn: [this.database.instance],
              },
            ]),
      ],
      dependsOn,
      bindings: [
        {
          serviceName: chartServiceName(release, 'cluster'),
          servicePort: KONG_PORTS.cluster,
          targetGroup: this.loadBalancer.targetGroups.Cluster,
        },
        {
          serviceName: chartServiceName(release, 'clustertelemetry'),
          servicePort: KONG_PORTS.clusterTelemetry,
          targetGroup: this.loadBalancer.targetGroups.Telemetry,
        },
      ],
    });

    this.serviceAccount?.node.addDependency(this.release.namespace);

    new CfnOutput(this, 'ClusterControlPlane', {
      value: `${this.clusterEndpoint.host}:${this.clusterEndpoint.port}`,
      description: 'cluster_control_plane for data planes',
    });
    new CfnOutput(this, 'ClusterTelemetryEndpoint', {
      value: `${this.telemetryEndpoint.host}:${this.telemetryEndpoint.port}`,
      description: 'cluster_telemetry_endpoint for data planes',
    });
  }
}
