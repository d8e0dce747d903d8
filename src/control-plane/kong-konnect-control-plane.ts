import { Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Endpoint } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { konnectEndpoints } from '../kong/konnect';
import { DEFAULT_KONG_VERSION, parseKongVersion } from '../kong/version';
import { IKongControlPlaneConnection } from '../core/control-plane-connection';
import { KongKonnectTrust } from '../core/kong-konnect-trust';

/** Properties of {@link KongKonnectControlPlane}. */
export interface KongKonnectControlPlaneProps {
  /** Id of the Konnect control plane (a UUID; Konnect: Gateway Manager → the control plane → its id). */
  readonly controlPlaneId: string;
  /**
   * Host of the control plane's cluster endpoint as Konnect shows it (`cluster_control_plane`
   * without `:443`), `<prefix>.<region>.cp0.konghq.com`.
   */
  readonly clusterEndpoint: string;
  /**
   * Host of its telemetry endpoint (`cluster_telemetry_endpoint` without `:443`),
   * `<prefix>.<region>.tp0.konghq.com`.
   */
  readonly telemetryEndpoint: string;
  /**
   * Konnect region (geo) of the control plane: `us`, `eu`, `au`, `me`, `in` or `sg`.
   * @default - the region in `clusterEndpoint`
   */
  readonly apiRegion?: string;
  /**
   * Konnect API of that region.
   * @default `https://<apiRegion>.api.konghq.com`
   */
  readonly apiBaseUrl?: string;
  /**
   * Secrets Manager NAME of a Konnect access token that may manage the control plane's data-plane
   * certificates; read in each data plane's own region at deploy and rotation time (see
   * {@link KongKonnectTrust}).
   */
  readonly tokenSecretName: string;
  /**
   * Kong Gateway version the data planes run unless they say otherwise. Konnect's control plane
   * runs the newest version, so no version rule is checked against it.
   * @default DEFAULT_KONG_VERSION
   */
  readonly kongVersion?: string;
  /**
   * Validity of the data planes' certificates, in days.
   * @default 365
   */
  readonly validityDays?: number;
  /**
   * Days before expiry at which a data plane's certificate is renewed and re-registered.
   * @default 30
   */
  readonly rotateBeforeDays?: number;
}

/**
 * A control plane hosted by Kong Konnect, as data planes see it: its cluster and telemetry
 * endpoints on 443, the Konnect trust (one registered client certificate per data plane), and the
 * data planes' default version. Creates no AWS resource: each data plane makes and registers its
 * own certificate in its own stack. No license secret: Konnect supplies the license to its data
 * planes.
 */
export class KongKonnectControlPlane extends Construct implements IKongControlPlaneConnection {
  public readonly clusterEndpoint: Endpoint;
  public readonly telemetryEndpoint: Endpoint;
  public readonly trust: KongKonnectTrust;
  public readonly kongVersion: string;
  public readonly konnect = true;
  /** The Konnect region of the control plane. */
  public readonly apiRegion: string;

  constructor(scope: Construct, id: string, props: KongKonnectControlPlaneProps) {
    super(scope, id);
    const where = this.node.path;
    const endpoints = konnectEndpoints(props.clusterEndpoint, props.telemetryEndpoint, where);
    if (props.apiRegion !== undefined && !Token.isUnresolved(props.apiRegion) && props.apiRegion !== endpoints.region) {
      throw new KongFleetError(`${where}.apiRegion`, 'differs from the region of the cluster endpoint', {
        got: props.apiRegion,
        expected: `${endpoints.region} (from ${props.clusterEndpoint})`,
      });
    }
    this.kongVersion = props.kongVersion ?? DEFAULT_KONG_VERSION;
    parseKongVersion(this.kongVersion, `${where}.kongVersion`);
    this.clusterEndpoint = endpoints.clusterEndpoint;
    this.telemetryEndpoint = endpoints.telemetryEndpoint;
    this.trust = new KongKonnectTrust(this, 'Trust', {
      controlPlaneId: props.controlPlaneId,
      apiRegion: props.apiBaseUrl === undefined ? (props.apiRegion ?? endpoints.region) : props.apiRegion,
      apiBaseUrl: props.apiBaseUrl,
      tokenSecretName: props.tokenSecretName,
      validityDays: props.validityDays,
      rotateBeforeDays: props.rotateBeforeDays,
    });
    this.apiRegion = this.trust.apiRegion;
    if (this.apiRegion !== endpoints.region) {
      throw new KongFleetError(`${where}.apiBaseUrl`, 'is the API of another region than the cluster endpoint', {
        got: this.trust.apiBaseUrl,
        expected: `https://${endpoints.region}.api.konghq.com`,
      });
    }
  }
}
