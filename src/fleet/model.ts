/**
 * The validated fleet (`fleet.yaml`) as kong-fleet uses it: every default filled, every
 * cross-field rule checked (see schema.ts / load.ts). Plain data, no CDK: the loader produces it,
 * `FleetApp` turns it into stacks, `plan` compares two of them, `graph` draws one.
 */
import type { ClusterMtlsMode } from '../kong/certificate-profile';

export type ControlPlaneRuntime = 'eks' | 'ec2' | 'konnect';
export type DataPlaneRuntime = 'eks' | 'ecs' | 'ec2' | 'kubernetes';
export type CpuArchitecture = 'arm64' | 'x86_64';

export interface FleetModel {
  /** Fleet name: a DNS label; prefixes every stack name. */
  readonly name: string;
  readonly kong: {
    /** Kong Gateway version of the control plane (and default of every data plane). */
    readonly version: string;
    /** Secrets Manager name of the Enterprise license (the same name in every region). */
    readonly licenseSecret?: string;
  };
  readonly controlPlane: ControlPlaneModel;
  readonly certificates: CertificatesModel;
  readonly dataPlanes: readonly DataPlaneModel[];
  readonly sharedServices: SharedServicesModel;
  /**
   * Kong's fallback configuration (Kong Gateway Enterprise 3.5+): one exporter (`<fleet>-fallback`
   * stack, the control plane's region) writes the configuration to S3; the eks, ecs and ec2 data
   * planes import it when they start while the control plane is unreachable. Absent: off.
   */
  readonly fallbackConfig?: FallbackConfigModel;
}

/** The fallback configuration of a fleet. */
export interface FallbackConfigModel {
  /** The exact Kong version of the exporter, and so of every importing data plane (default `kong.version`). */
  readonly version: string;
  /** Seconds between two exports (`cluster_fallback_config_export_delay`). */
  readonly exportDelaySeconds: number;
  /** Days a replaced configuration (noncurrent object version) is kept. */
  readonly noncurrentVersionDays: number;
}

/** The data-plane name of the fallback exporter (its certificate and `dp` label); no data plane may take it. */
export const FALLBACK_EXPORTER_NAME = 'fallback-exporter';

/** Whether a data plane imports its fleet's fallback configuration: AWS runtimes that do not opt out. */
export function importsFallbackConfig(fleet: FleetModel, dp: DataPlaneModel): boolean {
  return fleet.fallbackConfig !== undefined && dp.runtime !== 'kubernetes' && dp.fallbackConfig !== false;
}

export interface ControlPlaneModel {
  readonly runtime: ControlPlaneRuntime;
  /** AWS region of the control plane (konnect: the region whose DPs it serves is per DP). */
  readonly region: string;
  /** AWS account (12 digits); absent = the account the CLI deploys to. */
  readonly account?: string;
  /** eks/ec2 only. */
  readonly endpoints?: {
    /** Route 53 hosted zone name. */
    readonly hostedZone: string;
    /** Existing zone's id; absent = the zone is created by the CP stack. */
    readonly hostedZoneId?: string;
    /** `cluster_control_plane` host (inside the zone). */
    readonly cluster: string;
    /** `cluster_telemetry_endpoint` host (inside the zone). */
    readonly telemetry: string;
    /** Put the cluster/telemetry NLB on the internet (default true: DPs in other VPCs/regions). */
    readonly internetFacing: boolean;
    /** Source CIDRs allowed to reach 8005/8006 (default: anywhere, every connection is mTLS). */
    readonly allowedCidrs?: readonly string[];
  };
  /** eks/ec2 only (forbidden for konnect). */
  readonly database?: {
    readonly instanceType: string;
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    /** Kong signs in with RDS IAM authentication (`pg_iam_auth`): no database password anywhere. */
    readonly iamAuthentication: boolean;
  };
  /** Control-plane replicas (eks) or instances (ec2). */
  readonly replicas: number;
  /** ec2 only. */
  readonly instanceType?: string;
  /** ec2 only. */
  readonly architecture?: CpuArchitecture;
  /** konnect only (required there). */
  readonly konnect?: {
    readonly controlPlaneId: string;
    /** Konnect API region, e.g. `us`, `eu`, `au`. */
    readonly apiRegion: string;
    /** `<prefix>.<region>.cp.konghq.com`. */
    readonly clusterEndpoint: string;
    /** `<prefix>.<region>.tp.konghq.com`. */
    readonly telemetryEndpoint: string;
    /** Secrets Manager name of a Konnect access token. */
    readonly tokenSecret: string;
  };
}

export interface CertificatesModel {
  readonly mode: ClusterMtlsMode;
  readonly validityDays?: number;
  readonly rotateBeforeDays?: number;
  /** pki: issue from this existing CA. */
  readonly certificateAuthorityArn?: string;
  /** pki: create a subordinate under this CA. */
  readonly parentCertificateAuthorityArn?: string;
}

export interface DataPlaneModel {
  /** Unique in the fleet; a DNS label. */
  readonly name: string;
  readonly runtime: DataPlaneRuntime;
  /** AWS region (kubernetes: the region its certificate lives in). */
  readonly region: string;
  /** AWS account; absent = the control plane's account (or the CLI's). */
  readonly account?: string;
  /** Kong version; defaults to `kong.version`. */
  readonly version: string;
  /** Replicas (eks, kubernetes), tasks (ecs) or instances (ec2). */
  readonly replicas: { readonly min: number; readonly max: number };
  /** eks: name of a cluster shared by the DPs of one region that give the same name. */
  readonly cluster?: string;
  /** eks/ecs/ec2: `shared` (the region's VPC, default) or `own` (a VPC for this DP alone). */
  readonly network: 'shared' | 'own';
  /** ec2 only. */
  readonly instanceType?: string;
  /** ec2/ecs. */
  readonly architecture?: CpuArchitecture;
  /** eks/ecs/ec2: the proxy load balancer. */
  readonly proxy: { readonly internetFacing: boolean; readonly allowedCidrs?: readonly string[] };
  /** Extra `cluster_dp_labels`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra kong.conf settings (lower-case names, non-secret). */
  readonly kongSettings?: Readonly<Record<string, string>>;
  /** kubernetes only: namespace (default `kong-<name>`). */
  readonly namespace?: string;
  /**
   * eks/ecs/ec2: `false` = this data plane does not import the fleet's fallback configuration (it
   * may then run another version than the exporter). Absent: it imports when the fleet has one.
   */
  readonly fallbackConfig?: boolean;
}

/** Shared services per region; an absent service is off. */
export interface SharedServicesModel {
  /** ElastiCache (Valkey) for rate-limiting-advanced / proxy-cache-advanced. */
  readonly redis?: SharedServiceModel;
  /** Cognito user pool for openid-connect (machine-to-machine). */
  readonly cognito?: SharedServiceModel;
  /** OpenSearch domain for the data planes' access logs. */
  readonly opensearch?: SharedServiceModel;
  /** Amazon Managed Prometheus for Kong's metrics, optionally Amazon Managed Grafana. */
  readonly prometheus?: SharedServiceModel & { readonly grafana: boolean };
}

export interface SharedServiceModel {
  /**
   * Regions the service runs in (sorted): those listed, or (`true`) every region with an eks, ecs
   * or ec2 data plane. One instance per region (and per data-plane account there).
   */
  readonly regions: readonly string[];
}

/** One problem in a fleet file: where (YAML path, and line:column when known) and why. */
export interface FleetIssue {
  /** YAML path, e.g. `dataPlanes[1].version` (`` for the document). */
  readonly path: string;
  readonly message: string;
  /** 1-based, when the path exists in the file. */
  readonly line?: number;
  readonly column?: number;
  /**
   * What kind of problem, where a command treats it specially: `plan` reports a data plane
   * newer than its control plane as an unsafe change (exit 2), not as an invalid file.
   */
  readonly code?: 'version-incompatible';
}
