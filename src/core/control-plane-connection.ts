import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Endpoint } from '../kong/config';
import type { IKongClusterTrust } from './cluster-credentials';

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
  /** Kong Gateway version of the CP; DPs must be the same major and not a newer minor. */
  readonly kongVersion: string;
  /** The Enterprise license secret, if the CP has one; DPs use the same license. */
  readonly licenseSecret?: secretsmanager.ISecret;
}
