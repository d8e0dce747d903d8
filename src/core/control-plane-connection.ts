import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Endpoint } from '../kong/config';
import type { Construct } from 'constructs';
import { DEFAULT_KONG_VERSION, parseKongVersion } from '../kong/version';
import type { IKongClusterTrust } from './cluster-credentials';
import { validateHostname } from './hostnames';

/**
 * What a data plane needs to know about its control plane. Every control-plane construct
 * implements it; it can also be written by hand for a control plane deployed elsewhere.
 */
export interface IKongControlPlaneConnection {
  /** `cluster_control_plane`: the CP's cluster DNS name and the load balancer port. */
  readonly clusterEndpoint: Endpoint;
  /** `cluster_telemetry_endpoint`: the CP's telemetry DNS name and port. */
  readonly telemetryEndpoint: Endpoint;
  /** The cluster trust both sides use. */
  readonly trust: IKongClusterTrust;
  /**
   * Kong Gateway version of the CP; DPs must be the same major and not a newer minor (a Konnect CP:
   * the data planes' default version).
   */
  readonly kongVersion: string;
  /** The Enterprise license secret, if the CP has one; DPs use the same license. */
  readonly licenseSecret?: secretsmanager.ISecret;
  /**
   * The control plane is hosted by Kong Konnect: data planes render Konnect's settings
   * (`konnect_mode = on`, the system trust store instead of a cluster CA), their credentials carry
   * no CA, and `kongVersion` is only their default version (Konnect runs the newest).
   * @default false
   */
  readonly konnect?: boolean;
}

/** Props every control-plane construct (EKS, EC2) takes, whatever its runtime. */
export interface KongControlPlaneBaseProps {
  /** Cluster mTLS material shared with the data planes. */
  readonly trust: IKongClusterTrust;
  /** Route 53 zone that holds the cluster and telemetry records. */
  readonly hostedZone: route53.IHostedZone;
  /** DNS name data planes use for `cluster_control_plane` (the seed's `cluster_dns`), inside `hostedZone`. */
  readonly clusterHostname: string;
  /** DNS name data planes use for `cluster_telemetry_endpoint` (the seed's `telemetry_dns`), inside `hostedZone`. */
  readonly telemetryHostname: string;

  /**
   * Secrets Manager secret holding the Kong Enterprise license JSON (the whole secret string);
   * data planes use the same license (by name in their own region). If it is encrypted with a
   * customer-managed KMS key, let the planes' roles decrypt with it.
   * @default - no license: Kong runs in free mode
   */
  readonly licenseSecret?: secretsmanager.ISecret;

  /**
   * Kong Gateway version (the `kong/kong-gateway` image tag on EKS, the package version on EC2).
   * @default DEFAULT_KONG_VERSION
   */
  readonly kongVersion?: string;

  /**
   * VPC of the control plane.
   * @default - a new VPC across two AZs with flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Expose the cluster and telemetry ports on an internet-facing NLB. Safe because every
   * connection is mutually authenticated (Kong Konnect works the same way); it is what lets
   * data planes in other VPCs, regions and accounts connect. Set to false when all data planes
   * reach the CP's VPC privately.
   * @default true
   */
  readonly clusterEndpointInternetFacing?: boolean;

  /**
   * CIDRs allowed to reach the cluster and telemetry ports.
   * @default - anywhere when internet-facing, the VPC CIDR when internal
   */
  readonly dataPlaneCidrs?: string[];

  /**
   * Database instance class.
   * @default t4g.medium
   */
  readonly databaseInstanceType?: ec2.InstanceType;

  /**
   * Multi-AZ database.
   * @default true
   */
  readonly databaseMultiAz?: boolean;

  /**
   * Deletion protection of the database.
   * @default true
   */
  readonly databaseDeletionProtection?: boolean;

  /**
   * Kong signs in to the database with RDS IAM authentication (`pg_iam_auth`, Kong Gateway
   * Enterprise 3.3+) as an IAM database user: no database password is synced, fetched or configured
   * for Kong, the plane's role (IRSA service account on EKS, instance role on EC2) gets
   * `rds-db:connect` on exactly that user, and Kong verifies the database's certificate against the
   * region's Amazon RDS CA bundle, fetched before Kong and its migrations start.
   * @default false
   */
  readonly databaseIamAuthentication?: boolean;

  /**
   * Extra kong.conf settings (lower-case names) for the control plane. Not for secrets.
   * @default - none
   */
  readonly kongSettings?: Record<string, string>;
}

/**
 * The checks every self-hosted control-plane construct starts with, before anything is built: its
 * Kong version (default {@link DEFAULT_KONG_VERSION}) parses, and its cluster and telemetry names
 * lie inside the hosted zone. Returns the version.
 */
export function resolveControlPlaneVersion(scope: Construct, props: KongControlPlaneBaseProps): string {
  const where = scope.node.path;
  const kongVersion = props.kongVersion ?? DEFAULT_KONG_VERSION;
  parseKongVersion(kongVersion, `${where}.kongVersion`);
  validateHostname(props.clusterHostname, props.hostedZone, `${where}.clusterHostname`);
  validateHostname(props.telemetryHostname, props.hostedZone, `${where}.telemetryHostname`);
  return kongVersion;
}
