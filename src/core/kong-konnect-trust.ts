import { Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  DEFAULT_EXPIRY_ALARM_DAYS,
  KONNECT_DP_CERT_PROFILE,
  validateRotateBeforeDays,
  validateValidityDays,
} from '../kong/certificate-profile';
import { KongFleetError } from '../kong/errors';
import { checkKonnectControlPlaneId, konnectApiBaseUrl, parseKonnectApiBaseUrl } from '../kong/konnect';
import { ClusterCertificate } from './cluster-certificate';
import { ClusterCredentials, IKongClusterTrust } from './cluster-credentials';

/** Properties of {@link KongKonnectTrust}. */
export interface KongKonnectTrustProps {
  /** Id of the Konnect control plane (a UUID) the data planes' certificates are registered with. */
  readonly controlPlaneId: string;
  /**
   * Konnect region (geo) of the control plane: `us`, `eu`, `au`, `me`, `in` or `sg`. Give this or
   * `apiBaseUrl`.
   * @default - the region of `apiBaseUrl`
   */
  readonly apiRegion?: string;
  /**
   * Konnect API of the control plane's region, `https://<region>.api.konghq.com`.
   * @default `https://<apiRegion>.api.konghq.com`
   */
  readonly apiBaseUrl?: string;
  /**
   * Secrets Manager NAME of a Konnect access token (personal or system account token) allowed to
   * manage the control plane's data-plane certificates, the whole secret string. Each data plane's
   * certificate handler reads the secret of this name in the data plane's own region (create or
   * replicate it there), at run time only: the token never appears in a template.
   */
  readonly tokenSecretName: string;
  /**
   * Validity of the data planes' certificates, in days.
   * @default 365
   */
  readonly validityDays?: number;
  /**
   * Days before expiry at which the quarter-hourly check makes and registers a new certificate.
   * @default 30
   */
  readonly rotateBeforeDays?: number;
  /**
   * Days before expiry at which a certificate's CloudWatch alarm fires. At most `rotateBeforeDays`.
   * @default 14
   */
  readonly expiryAlarmDays?: number;
  /**
   * Names the certificates' metrics and logs (`<name>/<data plane>`).
   * @default 'konnect-<first 8 characters of controlPlaneId>'
   */
  readonly name?: string;
}

/**
 * Cluster trust for data planes of a Kong Konnect control plane (`cluster_mtls = pki`): each data
 * plane gets its own client certificate, made in its own stack by the certificate handler, kept in
 * a KMS-encrypted secret `{cert, key}` (no `ca`: Kong verifies Konnect through the system trust
 * store) and registered with the control plane through the Konnect API; renewed and re-registered
 * before it expires, deregistered when the data plane is deleted. Konnect hosts the control plane,
 * so there are no control-plane credentials.
 */
export class KongKonnectTrust extends Construct implements IKongClusterTrust {
  public readonly mode = 'pki' as const;
  public readonly controlPlaneId: string;
  /** `https://<region>.api.konghq.com`. */
  public readonly apiBaseUrl: string;
  /** The Konnect region of the API. */
  public readonly apiRegion: string;
  public readonly tokenSecretName: string;
  public readonly name: string;
  private readonly validityDays: number;
  private readonly rotateBeforeDays: number;
  private readonly expiryAlarmDays: number;

  constructor(scope: Construct, id: string, props: KongKonnectTrustProps) {
    super(scope, id);
    const where = this.node.path;
    checkKonnectControlPlaneId(props.controlPlaneId, `${where}.controlPlaneId`);
    this.controlPlaneId = props.controlPlaneId;
    if (props.apiBaseUrl !== undefined) {
      const parsed = parseKonnectApiBaseUrl(props.apiBaseUrl, `${where}.apiBaseUrl`);
      if (props.apiRegion !== undefined && props.apiRegion !== parsed.region) {
        throw new KongFleetError(`${where}.apiRegion`, 'differs from the region of apiBaseUrl', {
          got: props.apiRegion,
          expected: parsed.region,
        });
      }
      this.apiBaseUrl = parsed.apiBaseUrl;
      this.apiRegion = parsed.region;
    } else if (props.apiRegion !== undefined) {
      this.apiBaseUrl = konnectApiBaseUrl(props.apiRegion, `${where}.apiRegion`);
      this.apiRegion = props.apiRegion;
    } else {
      throw new KongFleetError(`${where}.apiRegion`, 'the Konnect region is required', {
        got: undefined,
        expected: 'apiRegion (us, eu, au, me, in, sg) or apiBaseUrl',
      });
    }
    const tokenSecretName = props.tokenSecretName;
    if (
      typeof tokenSecretName !== 'string' ||
      (!Token.isUnresolved(tokenSecretName) && !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(tokenSecretName))
    ) {
      throw new KongFleetError(`${where}.tokenSecretName`, 'is not a Secrets Manager secret name', {
        got: tokenSecretName,
        expected: "1 to 512 of A-Z a-z 0-9 / _ + = . @ - (a name, not an ARN: it is read in each data plane's region)",
      });
    }
    this.tokenSecretName = tokenSecretName;
    this.name =
      props.name ??
      (Token.isUnresolved(props.controlPlaneId)
        ? 'konnect'
        : `konnect-${props.controlPlaneId.slice(0, 8).toLowerCase()}`);
    if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(this.name)) {
      throw new KongFleetError(`${where}.name`, 'is not a trust name', {
        got: this.name,
        expected: '1 to 48 of a-z 0-9 -, starting with a letter or digit',
      });
    }
    this.validityDays = props.validityDays ?? KONNECT_DP_CERT_PROFILE.validityDays;
    validateValidityDays(this.validityDays, `${where}.validityDays`);
    this.rotateBeforeDays = validateRotateBeforeDays(
      props.rotateBeforeDays ?? Math.min(KONNECT_DP_CERT_PROFILE.rotateBeforeDays, this.validityDays - 1),
      this.validityDays,
      `${where}.rotateBeforeDays`,
    );
    this.expiryAlarmDays = props.expiryAlarmDays ?? Math.min(DEFAULT_EXPIRY_ALARM_DAYS, this.rotateBeforeDays);
    if (
      !Number.isInteger(this.expiryAlarmDays) ||
      this.expiryAlarmDays < 1 ||
      this.expiryAlarmDays > this.rotateBeforeDays
    ) {
      throw new KongFleetError(`${where}.expiryAlarmDays`, 'must be a whole number of days up to rotateBeforeDays', {
        got: this.expiryAlarmDays,
        expected: `1 to ${this.rotateBeforeDays}`,
      });
    }
  }

  /** Konnect hosts the control plane: there is nothing to issue to it. */
  public controlPlaneCredentials(scope: Construct): ClusterCredentials {
    throw new KongFleetError(`${scope.node.path}.trust`, 'a Konnect trust has no control-plane credentials', {
      got: 'KongKonnectTrust',
      expected: 'Kong Konnect hosts the control plane; use this trust for data planes only',
    });
  }

  public dataPlaneCredentials(scope: Construct, dataPlaneName: string): ClusterCredentials {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(dataPlaneName)) {
      throw new KongFleetError(`${scope.node.path}.dataPlaneName`, 'is not a data-plane name', {
        got: dataPlaneName,
        expected: 'a DNS label: 1 to 63 of a-z 0-9 -, not starting or ending with -',
      });
    }
    // One certificate per plane scope; a second call for the same plane returns the first.
    const existing = scope.node.tryFindChild('ClusterCertificate');
    if (existing instanceof ClusterCertificate) return existing.credentials();
    // The token is read by name in the data plane's own region and account.
    const tokenSecret = secretsmanager.Secret.fromSecretNameV2(scope, 'KonnectToken', this.tokenSecretName);
    return new ClusterCertificate(scope, 'ClusterCertificate', {
      mode: 'konnect',
      label: `${this.name}/${dataPlaneName}`,
      validityDays: this.validityDays,
      rotateBeforeDays: this.rotateBeforeDays,
      expiryAlarmDays: this.expiryAlarmDays,
      commonName: dataPlaneName,
      konnect: { controlPlaneId: this.controlPlaneId, apiBaseUrl: this.apiBaseUrl, tokenSecret },
    }).credentials();
  }
}
