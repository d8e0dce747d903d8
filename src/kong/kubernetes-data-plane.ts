import { stringify } from 'yaml';
import { CLUSTER_SECRET_KEYS, ClusterMtlsMode, KONNECT_UNPIN_AFTER_HOURS } from './certificate-profile';
import { KONG_HELM_CHART, chartSecretVolumePath } from './chart';
import { KongHybridConfig, SecretRef } from './config';
import { DataPlaneSpec, PlaneSecretBindings, dataPlaneSettings, usesClusterCa } from './data-plane';
import { KongFleetError } from './errors';
import { deepMerge, isPlainObject } from './merge';
import { formatHostPort, isUnresolvedToken } from './net';
import { renderHelmValues } from './render';

// ---------------------------------------------------------------------------------------------
// The Kubernetes contract of every Kong plane run by Kong's chart (EKS or any other cluster)
// ---------------------------------------------------------------------------------------------

/**
 * Names of the Kubernetes Secrets a Kong plane reads in its namespace. The same on EKS (where
 * kong-fleet syncs them with the External Secrets Operator) and on any other Kubernetes (where the
 * user creates them), so both render the same Kong settings.
 */
export const KONG_KUBERNETES_SECRETS = {
  /** `kubernetes.io/tls`: `tls.crt`, `tls.key` and, in pki mode, `ca.crt`; mounted with `secretVolumes`. */
  clusterCertificate: 'kong-cluster-cert',
  /** `Opaque`: key {@link KONG_LICENSE_SECRET_KEY}, read through `env.license_data.valueFrom.secretKeyRef`. */
  license: 'kong-license',
  /** `Opaque`: `username`, `password` of the control plane's database. */
  postgres: 'kong-postgres',
} as const;

/** Key of the license Secret that holds the Enterprise license JSON. */
export const KONG_LICENSE_SECRET_KEY = 'license';

/** One key of the cluster-certificate Secret and the JSON property of the credentials secret it comes from. */
export interface KubernetesClusterSecretKey {
  /** Key in the `kubernetes.io/tls` Secret. */
  readonly secretKey: 'tls.crt' | 'tls.key' | 'ca.crt';
  /** Property of the Secrets Manager secret `{"cert","key","ca"}` (DESIGN.md §4). */
  readonly property: (typeof CLUSTER_SECRET_KEYS)[keyof typeof CLUSTER_SECRET_KEYS];
}

/**
 * Keys of the cluster credentials (`cert`, `key`, and `ca` when `clusterCa`: pki mode with a
 * self-hosted control plane, not Konnect) mapped onto a `kubernetes.io/tls` Secret.
 */
export function kubernetesClusterSecretKeys(
  mode: ClusterMtlsMode,
  clusterCa: boolean = mode === 'pki',
): KubernetesClusterSecretKey[] {
  const keys: KubernetesClusterSecretKey[] = [
    { secretKey: 'tls.crt', property: CLUSTER_SECRET_KEYS.cert },
    { secretKey: 'tls.key', property: CLUSTER_SECRET_KEYS.key },
  ];
  if (clusterCa) keys.push({ secretKey: 'ca.crt', property: CLUSTER_SECRET_KEYS.ca });
  return keys;
}

/**
 * How a plane run by Kong's chart hands Kong its secrets: the cluster certificate as files of the
 * mounted Secret {@link KONG_KUBERNETES_SECRETS}.clusterCertificate, the license (when the fleet
 * has one) from the license Secret. `clusterCa`: the Secret holds `ca.crt` (not with Konnect).
 */
export function kubernetesSecretBindings(
  mode: ClusterMtlsMode,
  license: boolean,
  clusterCa: boolean = mode === 'pki',
): PlaneSecretBindings {
  const secret = KONG_KUBERNETES_SECRETS.clusterCertificate;
  return {
    clusterCert: chartSecretVolumePath(secret, 'tls.crt'),
    clusterCertKey: chartSecretVolumePath(secret, 'tls.key'),
    ...(clusterCa ? { clusterCaCert: chartSecretVolumePath(secret, 'ca.crt') } : {}),
    ...(license ? { license: kubernetesLicenseRef() } : {}),
  };
}

/** The license setting of a plane that reads the license Secret. */
export function kubernetesLicenseRef(): SecretRef {
  return { secretName: KONG_KUBERNETES_SECRETS.license, key: KONG_LICENSE_SECRET_KEY };
}

/**
 * Chart values that roll Kong's pods when the certificate or license Secret changes (Kong reads
 * both only at start): Stakater Reloader watches the annotated Deployment and triggers a rolling
 * update that starts a new pod before stopping an old one, so capacity never drops. Without
 * Reloader in the cluster the annotation does nothing.
 */
export function kongRolloutOnSecretChangeValues(): Record<string, unknown> {
  return {
    deploymentAnnotations: {
      'secret.reloader.stakater.com/reload': [
        KONG_KUBERNETES_SECRETS.clusterCertificate,
        KONG_KUBERNETES_SECRETS.license,
      ].join(','),
    },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  };
}

/** Scaling of a Kong Deployment run by Kong's chart. */
export interface KongKubernetesReplicaOptions {
  /** Helm release name (the chart's fullname) — selects the pods for spreading. */
  readonly release: string;
  /** Fixed replica count, when not autoscaling. */
  readonly replicas?: number;
  /** Autoscaling bounds, when autoscaling. */
  readonly autoscaling?: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCpuPercent: number;
  };
  /**
   * Spreading across `topology.kubernetes.io/zone`: `required` (DoNotSchedule) or `preferred`
   * (ScheduleAnyway). `required` leaves every pod Pending on nodes without a zone label.
   * @default 'required'
   */
  readonly zoneSpread?: KubernetesZoneSpread;
}

/** How strictly Kong's pods are spread across zones. */
export type KubernetesZoneSpread = 'required' | 'preferred';

/**
 * Chart values for running Kong highly available: replicas or an HPA, a PodDisruptionBudget
 * (the chart refuses one with a single replica), pods spread across zones and nodes, resource
 * requests (the HPA needs them), a drain long enough for `kong quit`, and rolling restarts when
 * the certificate or license Secret changes.
 */
export function kongKubernetesReplicaValues(options: KongKubernetesReplicaOptions): Record<string, unknown> {
  const selector = { matchLabels: { 'app.kubernetes.io/instance': options.release } };
  return {
    ...(options.autoscaling
      ? {
          autoscaling: {
            enabled: true,
            minReplicas: options.autoscaling.minReplicas,
            maxReplicas: options.autoscaling.maxReplicas,
            metrics: [
              {
                type: 'Resource',
                resource: {
                  name: 'cpu',
                  target: { type: 'Utilization', averageUtilization: options.autoscaling.targetCpuPercent },
                },
              },
            ],
          },
        }
      : { replicaCount: options.replicas }),
    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: options.zoneSpread === 'preferred' ? 'ScheduleAnyway' : 'DoNotSchedule',
        labelSelector: selector,
      },
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: selector,
      },
    ],
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    terminationGracePeriodSeconds: 60,
    ...kongRolloutOnSecretChangeValues(),
  };
}

// ---------------------------------------------------------------------------------------------
// A data plane on any Kubernetes
// ---------------------------------------------------------------------------------------------

/** Kubernetes Service types the proxy can be exposed with. */
export type KubernetesProxyServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP';

const PROXY_SERVICE_TYPES: readonly KubernetesProxyServiceType[] = ['LoadBalancer', 'NodePort', 'ClusterIP'];

/** A Kong data plane on any Kubernetes (EKS Anywhere, on premises, other clouds) that joins a kong-fleet control plane. */
export interface KubernetesDataPlaneOptions {
  /** The data plane, exactly as every other runtime is given it. */
  readonly spec: DataPlaneSpec;
  /**
   * Namespace of the release and its Secrets (a DNS-1123 label).
   * @default `kong-<spec.name>` (as on EKS)
   */
  readonly namespace?: string;
  /**
   * Helm release name, also the chart's fullname (Services become `<release>-proxy`, …).
   * @default 'kong-dp' (as on EKS)
   */
  readonly release?: string;
  /**
   * The fleet has an Enterprise license: Kong reads it from the Secret `kong-license`.
   * @default false
   */
  readonly license?: boolean;
  /**
   * HorizontalPodAutoscaler bounds and target; at least 2 replicas, spread across zones.
   * @default { min: 2, max: 10, targetCpuPercent: 70 }
   */
  readonly replicas?: { readonly min: number; readonly max: number; readonly targetCpuPercent?: number };
  /**
   * Type of the proxy Service (80 → 8000, 443 → 8443).
   * @default 'LoadBalancer'
   */
  readonly proxyServiceType?: KubernetesProxyServiceType;
  /**
   * Spreading of the pods across zones (`topology.kubernetes.io/zone`). `required` is what the EKS
   * data plane does; it needs every node to carry a zone label — on a node without one the
   * scheduler places no pod at all ("missing required label") — which clusters on premises often
   * lack. `preferred` spreads where zones exist and schedules anyway where they do not.
   * @default 'preferred'
   */
  readonly zoneSpread?: KubernetesZoneSpread;
}

/** The shape of one Kubernetes Secret the data plane needs — never its values. */
export interface KubernetesSecretShape {
  readonly name: string;
  readonly type: 'kubernetes.io/tls' | 'Opaque';
  readonly keys: { readonly key: string; readonly description: string }[];
  /** Where the values come from. */
  readonly source: string;
}

/** Everything needed to install the data plane with Helm; no secret value anywhere. */
export interface KubernetesDataPlane {
  /** The Kong settings (equal to the EKS data plane's for the same spec). */
  readonly config: KongHybridConfig;
  readonly namespace: string;
  readonly release: string;
  /** Helm values for Kong's chart ({@link KONG_HELM_CHART}). */
  readonly values: Record<string, unknown>;
  /** The same values as YAML (quoted so Helm's YAML 1.1 parser reads them back unchanged), with a header comment. */
  readonly valuesYaml: string;
  /** The Secrets to create in the namespace before installing. */
  readonly secrets: KubernetesSecretShape[];
  /** `helm upgrade --install …` with the pinned chart, reading `values.yaml`. */
  readonly helmCommand: string;
  /** What a CLI writes to disk: `values.yaml` and `secrets.md`. */
  readonly files: Record<string, string>;
}

/** File name of the values in {@link KubernetesDataPlane.files} and in the Helm command. */
export const KUBERNETES_VALUES_FILE = 'values.yaml';
/** File name of the Secrets guide in {@link KubernetesDataPlane.files}. */
export const KUBERNETES_SECRETS_FILE = 'secrets.md';

const DEFAULT_RELEASE = 'kong-dp';
const DEFAULT_REPLICAS = { min: 2, max: 10, targetCpuPercent: 70 } as const;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// The release is the chart's fullname: Services `<release>-clustertelemetry` must stay DNS-1035 labels.
const MAX_RELEASE = 63 - '-clustertelemetry'.length;
// How often kong-fleet's EKS planes re-read the cluster certificate (src/core CLUSTER_CERTIFICATE_REFRESH_INTERVAL).
const CERTIFICATE_REFRESH = '5m';

/**
 * Renders a Kong data plane for any Kubernetes from the runtime-independent {@link DataPlaneSpec}:
 * the same Kong settings, Secret names and mount paths as the EKS data plane, Helm values with the
 * same high-availability settings, the Helm command, and a guide to the Secrets it reads.
 */
export function renderKubernetesDataPlane(
  options: KubernetesDataPlaneOptions,
  where = 'kubernetesDataPlane',
): KubernetesDataPlane {
  if (!isPlainObject(options)) {
    throw new KongFleetError(where, 'must be an options object', { got: options, expected: '{ spec, … }' });
  }
  const spec = options.spec;
  if (!isPlainObject(spec)) {
    throw new KongFleetError(`${where}.spec`, 'must be a data plane spec', {
      got: spec,
      expected: '{ name, version, controlPlaneVersion, clusterEndpoint, telemetryEndpoint, clusterMtls }',
    });
  }
  const license = options.license ?? false;
  if (typeof license !== 'boolean') {
    throw new KongFleetError(`${where}.license`, 'must be true or false', { got: license });
  }
  const config = dataPlaneSettings(
    spec,
    kubernetesSecretBindings(spec.clusterMtls, license, usesClusterCa(spec)),
    where,
  );
  const namespace = checkNamespace(options.namespace, spec.name, `${where}.namespace`);
  const release = checkRelease(options.release, `${where}.release`);
  const replicas = checkReplicas(options.replicas, `${where}.replicas`);
  const proxyServiceType = options.proxyServiceType ?? 'LoadBalancer';
  if (!PROXY_SERVICE_TYPES.includes(proxyServiceType)) {
    throw new KongFleetError(`${where}.proxyServiceType`, 'not a proxy Service type', {
      got: proxyServiceType,
      expected: PROXY_SERVICE_TYPES.join(', '),
    });
  }

  const zoneSpread = options.zoneSpread ?? 'preferred';
  if (zoneSpread !== 'required' && zoneSpread !== 'preferred') {
    throw new KongFleetError(`${where}.zoneSpread`, 'not a zone spreading policy', {
      got: zoneSpread,
      expected: 'required or preferred',
    });
  }

  const values = deepMerge(
    deepMerge(
      renderHelmValues(config, {
        fullnameOverride: release,
        secretVolumes: [KONG_KUBERNETES_SECRETS.clusterCertificate],
      }),
      kongKubernetesReplicaValues({
        release,
        autoscaling: {
          minReplicas: replicas.min,
          maxReplicas: replicas.max,
          targetCpuPercent: replicas.targetCpuPercent,
        },
        zoneSpread,
      }),
    ),
    { proxy: { type: proxyServiceType } },
  );
  const env = values.env as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string' && isUnresolvedToken(value)) {
      throw new KongFleetError(`${where}.spec`, `${name} is only known at deploy time (a CDK token)`, {
        got: value,
        expected: 'real host names and values: these files are read by helm, not CloudFormation',
      });
    }
  }

  const helmCommand = [
    'helm upgrade --install',
    release,
    KONG_HELM_CHART.chart,
    `--repo ${KONG_HELM_CHART.repository}`,
    `--version ${KONG_HELM_CHART.version}`,
    `--namespace ${namespace}`,
    '--create-namespace',
    `--values ${KUBERNETES_VALUES_FILE}`,
  ].join(' ');
  const secrets = secretShapes(spec, license);
  const valuesYaml = renderValuesYaml(spec, namespace, license, values);
  const guide = renderSecretsGuide({ spec, namespace, release, license, secrets, helmCommand });
  return {
    config,
    namespace,
    release,
    values,
    valuesYaml,
    secrets,
    helmCommand,
    files: { [KUBERNETES_VALUES_FILE]: valuesYaml, [KUBERNETES_SECRETS_FILE]: guide },
  };
}

function checkNamespace(namespace: string | undefined, name: string, where: string): string {
  const value = namespace ?? `kong-${name}`;
  if (typeof value !== 'string' || !DNS_1123_LABEL.test(value) || value.length > 63) {
    throw new KongFleetError(
      where,
      namespace === undefined ? `the default kong-<name> is not a namespace name; give one` : 'not a namespace name',
      { got: value, expected: "a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters" },
    );
  }
  return value;
}

function checkRelease(release: string | undefined, where: string): string {
  const value = release ?? DEFAULT_RELEASE;
  if (typeof value !== 'string' || !DNS_1123_LABEL.test(value) || !/^[a-z]/.test(value) || value.length > MAX_RELEASE) {
    throw new KongFleetError(where, 'not usable as the Helm release and chart fullname', {
      got: value,
      expected: `a DNS-1123 label starting with a letter, at most ${MAX_RELEASE} characters (Service names add a suffix)`,
    });
  }
  return value;
}

function checkReplicas(
  replicas: KubernetesDataPlaneOptions['replicas'],
  where: string,
): { min: number; max: number; targetCpuPercent: number } {
  if (replicas !== undefined && !isPlainObject(replicas)) {
    throw new KongFleetError(where, 'must be { min, max, targetCpuPercent? }', { got: replicas });
  }
  const min = replicas?.min ?? DEFAULT_REPLICAS.min;
  const max = replicas?.max ?? DEFAULT_REPLICAS.max;
  const targetCpuPercent = replicas?.targetCpuPercent ?? DEFAULT_REPLICAS.targetCpuPercent;
  if (!Number.isInteger(min) || min < 2) {
    throw new KongFleetError(`${where}.min`, 'a data plane needs at least 2 replicas across zones', {
      got: min,
      expected: 'an integer ≥ 2',
    });
  }
  if (!Number.isInteger(max) || max < min) {
    throw new KongFleetError(`${where}.max`, 'must be at least min', { got: max, expected: `an integer ≥ ${min}` });
  }
  if (!Number.isInteger(targetCpuPercent) || targetCpuPercent < 10 || targetCpuPercent > 95) {
    throw new KongFleetError(`${where}.targetCpuPercent`, 'is out of range', {
      got: targetCpuPercent,
      expected: 'an integer 10-95',
    });
  }
  return { min, max, targetCpuPercent };
}

// ---------------------------------------------------------------------------------------------
// Secrets: shapes and the guide
// ---------------------------------------------------------------------------------------------

const KEY_DESCRIPTIONS: Record<ClusterMtlsMode, Partial<Record<KubernetesClusterSecretKey['secretKey'], string>>> = {
  shared: {
    'tls.crt':
      "PEM certificate of the fleet's shared cluster pair (the control plane presents the same) → cluster_cert",
    'tls.key': "PEM private key of the fleet's shared cluster pair → cluster_cert_key",
  },
  pki: {
    'tls.crt': "PEM client certificate of this data plane (EKU clientAuth), issued by the fleet's CA → cluster_cert",
    'tls.key': 'PEM private key of that certificate → cluster_cert_key',
    'ca.crt': "PEM chain of the fleet's CA, which also issued the control plane's certificate → cluster_ca_cert",
  },
};

const KONNECT_KEY_DESCRIPTIONS: Partial<Record<KubernetesClusterSecretKey['secretKey'], string>> = {
  'tls.crt': 'PEM client certificate of this data plane, registered with the Konnect control plane → cluster_cert',
  'tls.key': 'PEM private key of that certificate → cluster_cert_key',
};

/** The keys of the cluster-certificate Secret this data plane reads. */
function specSecretKeys(spec: DataPlaneSpec): KubernetesClusterSecretKey[] {
  return kubernetesClusterSecretKeys(spec.clusterMtls, usesClusterCa(spec));
}

function clusterSecretSource(spec: DataPlaneSpec): string {
  const mapping = specSecretKeys(spec)
    .map((k) => `${k.property} → ${k.secretKey}`)
    .join(', ');
  const json = `{${specSecretKeys(spec)
    .map((k) => `"${k.property}"`)
    .join(',')}}`;
  if (spec.konnect === true) {
    return (
      `Secrets Manager secret holding ${json} JSON: ${mapping}. It is this data plane's own client certificate, ` +
      'registered with the Konnect control plane — e.g. the secret of ' +
      `KongKonnectTrust.dataPlaneCredentials(scope, '${spec.name}') in a CDK stack, which renews and re-registers it before it expires.`
    );
  }
  if (spec.clusterMtls === 'pki') {
    return (
      `Secrets Manager secret holding ${json} JSON: ${mapping}. It is this data plane's own client certificate, ` +
      `issued by the fleet's ACM Private CA — e.g. the secret of KongClusterTrust.dataPlaneCredentials(scope, '${spec.name}') ` +
      'in a CDK stack, which re-issues it before it expires.'
    );
  }
  return (
    `Secrets Manager secret holding ${json} JSON: ${mapping}. It is the fleet's shared cluster pair, the same for ` +
    'the control plane and every data plane — the secret kong-fleet/<trust name>/cluster-shared, or the copy ' +
    `KongClusterTrust.dataPlaneCredentials(scope, '${spec.name}') keeps in another stack.`
  );
}

function secretShapes(spec: DataPlaneSpec, license: boolean): KubernetesSecretShape[] {
  const descriptions = spec.konnect === true ? KONNECT_KEY_DESCRIPTIONS : KEY_DESCRIPTIONS[spec.clusterMtls];
  const shapes: KubernetesSecretShape[] = [
    {
      name: KONG_KUBERNETES_SECRETS.clusterCertificate,
      type: 'kubernetes.io/tls',
      keys: specSecretKeys(spec).map((k) => ({
        key: k.secretKey,
        description: descriptions[k.secretKey] ?? k.secretKey,
      })),
      source: clusterSecretSource(spec),
    },
  ];
  if (license) {
    shapes.push({
      name: KONG_KUBERNETES_SECRETS.license,
      type: 'Opaque',
      keys: [{ key: KONG_LICENSE_SECRET_KEY, description: 'Kong Gateway Enterprise license JSON → KONG_LICENSE_DATA' }],
      source:
        "Secrets Manager secret holding the fleet's Enterprise license JSON as its whole value — the control plane's " +
        'licenseSecret (a data plane in another region reads a secret of the same name in its own region).',
    });
  }
  return shapes;
}

/** YAML Helm reads back unchanged: strings such as `off`, `on`, `y` are quoted (Helm parses YAML 1.1). */
function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0 });
}

function renderValuesYaml(
  spec: DataPlaneSpec,
  namespace: string,
  license: boolean,
  values: Record<string, unknown>,
): string {
  const secretNames = [
    KONG_KUBERNETES_SECRETS.clusterCertificate,
    ...(license ? [KONG_KUBERNETES_SECRETS.license] : []),
  ];
  const header = [
    `Helm values for Kong's chart ${KONG_HELM_CHART.chart} ${KONG_HELM_CHART.version} (${KONG_HELM_CHART.repository}),`,
    'generated by kong-fleet (renderKubernetesDataPlane); do not edit: regenerate.',
    `Kong Gateway ${spec.version} data plane "${spec.name}" (cluster_mtls ${spec.clusterMtls}) joining the control plane at`,
    `  cluster_control_plane      ${formatHostPort(spec.clusterEndpoint.host, spec.clusterEndpoint.port)}`,
    `  cluster_telemetry_endpoint ${formatHostPort(spec.telemetryEndpoint.host, spec.telemetryEndpoint.port)}`,
    `Needs the Secret(s) ${secretNames.join(', ')} in namespace ${namespace}: see ${KUBERNETES_SECRETS_FILE}.`,
  ];
  return `${header.map((line) => `# ${line}`).join('\n')}\n${toYaml(values)}`;
}

const CLUSTER_SECRET_PLACEHOLDER = '<name or ARN of the cluster credentials secret>';
const LICENSE_SECRET_PLACEHOLDER = '<name or ARN of the license secret>';

interface GuideInput {
  readonly spec: DataPlaneSpec;
  readonly namespace: string;
  readonly release: string;
  readonly license: boolean;
  readonly secrets: KubernetesSecretShape[];
  readonly helmCommand: string;
}

function externalSecret(
  shape: KubernetesSecretShape,
  namespace: string,
  remoteKey: string,
  properties: (string | undefined)[],
): string {
  return toYaml({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: shape.name, namespace },
    spec: {
      refreshInterval: shape.type === 'kubernetes.io/tls' ? CERTIFICATE_REFRESH : '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: '<your AWS Secrets Manager store>' },
      target: { name: shape.name, creationPolicy: 'Owner', template: { type: shape.type } },
      data: shape.keys.map((k, i) => ({
        secretKey: k.key,
        remoteRef: {
          key: remoteKey,
          ...(properties[i] !== undefined ? { property: properties[i] } : {}),
        },
      })),
    },
  });
}

function renderSecretsGuide(input: GuideInput): string {
  const { spec, namespace, release, license, secrets, helmCommand } = input;
  const pki = usesClusterCa(spec);
  const cert = secrets[0];
  const certName = cert.name;
  const keys = specSecretKeys(spec);
  const out: string[] = [];
  const table = (shape: KubernetesSecretShape) => {
    out.push('| Key | Holds |', '| --- | --- |');
    for (const k of shape.keys) out.push(`| \`${k.key}\` | ${k.description} |`);
    out.push('');
  };

  out.push(
    `# Secrets of Kong data plane \`${spec.name}\``,
    '',
    `Generated by kong-fleet (renderKubernetesDataPlane) for Kong Gateway ${spec.version}, chart ` +
      `${KONG_HELM_CHART.chart} ${KONG_HELM_CHART.version}. Create these Secrets in namespace \`${namespace}\` ` +
      '**before** installing the chart: Kong reads them only when it starts. This file says where each value ' +
      'comes from; it never contains one. Keep the files you fetch out of version control and delete them after use.',
    '',
    `## \`${certName}\` (${cert.type})`,
    '',
  );
  table(cert);
  out.push(
    `Source: ${cert.source}`,
    '',
    `The chart mounts it (\`secretVolumes\`) at \`${chartSecretVolumePath(certName, '')}\`: Kong reads ` +
      `${pki ? '`cluster_cert`, `cluster_cert_key` and `cluster_ca_cert`' : '`cluster_cert` and `cluster_cert_key`'} from there, exactly as on EKS.`,
    '',
  );
  if (spec.konnect === true) {
    out.push(
      'Konnect: the control plane accepts the certificates registered with it, and this data plane checks ' +
        "Konnect's certificate against the system trust store (`lua_ssl_trusted_certificate = system`) and its names " +
        `(\`cluster_server_name\` ${spec.clusterEndpoint.host}, \`cluster_telemetry_server_name\` ${spec.telemetryEndpoint.host}).`,
      '',
    );
  } else if (pki) {
    out.push(
      'pki mode: the control plane accepts any certificate its CA issued, and this data plane checks the ' +
        `control plane's certificate against \`ca.crt\` and its names (\`cluster_server_name\` ` +
        `${spec.clusterEndpoint.host}, \`cluster_telemetry_server_name\` ${spec.telemetryEndpoint.host}).`,
      '',
    );
  } else {
    out.push(
      'shared mode: the control plane accepts only a data plane presenting the very same certificate, and the ' +
        'fleet rotates that pair for every plane at one coordinated time; a data plane still holding the old pair ' +
        'is refused until it restarts with the new one.',
      '',
    );
  }
  out.push(
    '### Option 1: kubectl, from files',
    '',
    'Needs `secretsmanager:GetSecretValue` on the secret and `kms:Decrypt` on its KMS key.',
    '',
    '```sh',
    'umask 077',
    `aws secretsmanager get-secret-value --secret-id '${CLUSTER_SECRET_PLACEHOLDER}' \\`,
    '  --query SecretString --output text > cluster-credentials.json',
    ...keys.map((k) => `jq -r .${k.property} cluster-credentials.json > ${k.secretKey}`),
    `kubectl create namespace ${namespace}`,
  );
  if (pki) {
    out.push(
      `kubectl create secret generic ${certName} --namespace ${namespace} --type=kubernetes.io/tls \\`,
      `  ${keys.map((k) => `--from-file=${k.secretKey}=${k.secretKey}`).join(' ')}`,
    );
  } else {
    out.push(`kubectl create secret tls ${certName} --namespace ${namespace} --cert=tls.crt --key=tls.key`);
  }
  out.push(
    `rm -f cluster-credentials.json ${keys.map((k) => k.secretKey).join(' ')}`,
    '```',
    '',
    `${pki ? '`kubectl create secret tls` cannot add `ca.crt`, hence `generic --type=kubernetes.io/tls`. ' : ''}` +
      'A Secret made this way does not follow rotation: ' +
      (spec.konnect === true
        ? `the certificate is renewed before it expires (30 days by default) and the old one is removed from Konnect ${KONNECT_UNPIN_AFTER_HOURS} hours after the new one is registered: replace the Secret within that time.`
        : spec.clusterMtls === 'pki'
          ? 'the certificate is re-issued before it expires (30 days by default), and you must replace the Secret before the old one expires.'
          : 'when the fleet switches the shared pair you must replace the Secret within minutes.') +
      ' Prefer option 2.',
    '',
    '### Option 2: External Secrets Operator',
    '',
    "With the External Secrets Operator and a `ClusterSecretStore` for AWS Secrets Manager in the secret's region " +
      '(its credentials need the same two permissions), this keeps the Secret in sync — every ' +
      `${CERTIFICATE_REFRESH}, as kong-fleet's EKS data planes do:`,
    '',
    '```yaml',
    externalSecret(
      cert,
      namespace,
      CLUSTER_SECRET_PLACEHOLDER,
      keys.map((k) => k.property),
    ).trimEnd(),
    '```',
    '',
  );
  if (license) {
    const shape = secrets.find((s) => s.name === KONG_KUBERNETES_SECRETS.license)!;
    out.push(`## \`${shape.name}\` (${shape.type})`, '');
    table(shape);
    out.push(
      `Source: ${shape.source}`,
      '',
      `Kong reads it through \`env.license_data\` (\`valueFrom.secretKeyRef\` ${shape.name} / ${KONG_LICENSE_SECRET_KEY}).`,
      '',
      '```sh',
      'umask 077',
      `aws secretsmanager get-secret-value --secret-id '${LICENSE_SECRET_PLACEHOLDER}' \\`,
      '  --query SecretString --output text > license.json',
      `kubectl create secret generic ${shape.name} --namespace ${namespace} --from-file=${KONG_LICENSE_SECRET_KEY}=license.json`,
      'rm -f license.json',
      '```',
      '',
      'Or with the External Secrets Operator:',
      '',
      '```yaml',
      externalSecret(shape, namespace, LICENSE_SECRET_PLACEHOLDER, [undefined]).trimEnd(),
      '```',
      '',
    );
  }
  out.push(
    '## Rolling the pods when a Secret changes',
    '',
    `${KUBERNETES_VALUES_FILE} annotates the Deployment with \`secret.reloader.stakater.com/reload\`. The ` +
      'annotation only has an effect when [Stakater Reloader](https://github.com/stakater/Reloader) runs in the ' +
      'cluster: it then rolls the pods when a Secret changes, one new pod before an old one stops ' +
      '(`maxUnavailable: 0`). Without Reloader, restart them yourself after replacing a Secret:',
    '',
    '```sh',
    `kubectl rollout restart deployment --namespace ${namespace} --selector app.kubernetes.io/instance=${release}`,
    '```',
    '',
    '## Install',
    '',
    '```sh',
    helmCommand,
    '```',
    '',
  );
  return out.join('\n');
}
