/** Kong's Helm chart, pinned: the one release line whose values.yaml is in shared/reference. */
export const KONG_HELM_CHART = {
  repository: 'https://charts.konghq.com',
  chart: 'kong',
  version: '3.4.1',
} as const;

/** Where the chart mounts `secretVolumes` entries: `/etc/secrets/<secret name>/<key>`. */
export function chartSecretVolumePath(secretName: string, key: string): string {
  return `/etc/secrets/${secretName}/${key}`;
}

/** Names the chart gives Services: `<fullname>-<service>`. */
export function chartServiceName(
  fullname: string,
  service: 'cluster' | 'clustertelemetry' | 'proxy' | 'admin' | 'manager',
): string {
  return `${fullname}-${service}`;
}
