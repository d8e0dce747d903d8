import { Construct } from 'constructs';
import {
  ClusterMtlsMode,
  DEFAULT_EXPIRY_ALARM_DAYS,
  DEFAULT_ROTATE_BEFORE_DAYS,
  KONG_PKI_PROFILE,
  KONG_SHARED_CERT_PROFILE,
} from '../kong/certificate-profile';
import { KongFleetError } from '../kong/errors';
import { ClusterCertificate } from '../core/cluster-certificate';
import { ClusterCredentials, IKongClusterTrust } from '../core/cluster-credentials';

/**
 * A {@link KongClusterTrust} deployed by another stack, found by its name the way a data plane in
 * another stack finds it (src/core/kong-cluster-trust.ts): shared mode copies the secret
 * `kong-fleet/<name>/cluster-shared`, pki mode reads the CA's ARN from the SSM parameter
 * `/kong-fleet/<name>/certificate-authority-arn` and has it issue this data plane's certificate.
 * Same region and account as the trust; certificates use the trust's default profile.
 */
export class TrustByName implements IKongClusterTrust {
  constructor(
    public readonly mode: ClusterMtlsMode,
    public readonly name: string,
  ) {}

  public controlPlaneCredentials(scope: Construct): ClusterCredentials {
    throw new KongFleetError(`${scope.node.path}.trust`, 'a trust found by name serves data planes only', {
      expected: 'the control plane that created the trust',
    });
  }

  public dataPlaneCredentials(scope: Construct, dataPlaneName: string): ClusterCredentials {
    const existing = scope.node.tryFindChild('ClusterCertificate');
    if (existing instanceof ClusterCertificate) return existing.credentials();
    const pki = this.mode === 'pki';
    const validityDays = pki ? KONG_PKI_PROFILE.validityDays : KONG_SHARED_CERT_PROFILE.validityDays;
    const common = {
      label: `${this.name}/${dataPlaneName}`,
      validityDays,
      rotateBeforeDays: DEFAULT_ROTATE_BEFORE_DAYS,
      expiryAlarmDays: DEFAULT_EXPIRY_ALARM_DAYS,
    };
    const certificate = pki
      ? new ClusterCertificate(scope, 'ClusterCertificate', {
          ...common,
          mode: 'pki',
          role: 'data-plane',
          commonName: dataPlaneName,
          trustParameterName: `/kong-fleet/${this.name}/certificate-authority-arn`,
        })
      : new ClusterCertificate(scope, 'ClusterCertificate', {
          ...common,
          mode: 'shared-copy',
          sourceSecretName: `kong-fleet/${this.name}/cluster-shared`,
        });
    return certificate.credentials();
  }
}
