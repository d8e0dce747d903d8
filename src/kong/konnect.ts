import type { Endpoint } from './config';
import { KongFleetError } from './errors';
import { isUnresolvedToken } from './net';

/**
 * Kong Konnect's rules for data planes of a control plane Kong hosts (DESIGN.md §3). Pure: no CDK.
 *
 * Sources: developer.konghq.com/konnect-platform/network (port 443 for cluster and telemetry,
 * hostnames `<id>.<geo>.cp0.konghq.com` / `<id>.<geo>.tp0.konghq.com`, `<geo>.api.konghq.com`),
 * developer.konghq.com/konnect-platform/geos (the geos), developer.konghq.com/gateway/install/kubernetes
 * (`konnect_mode`, `cluster_mtls: pki`, `lua_ssl_trusted_certificate: system`).
 */

/** Konnect's control plane listens for cluster and telemetry connections on 443 only (not configurable). */
export const KONNECT_CLUSTER_PORT = 443;

/**
 * Konnect geos that host control planes, as they appear in `<geo>.api.konghq.com` and in the
 * cluster/telemetry host names (developer.konghq.com/konnect-platform/geos, read 2026-11: AU, EU,
 * ME, US, IN, SG — SG needs an opt-in by an org admin).
 */
export const KONNECT_API_REGIONS = ['us', 'eu', 'au', 'me', 'in', 'sg'] as const;
export type KonnectApiRegion = (typeof KONNECT_API_REGIONS)[number];

/** kong.conf `lua_ssl_trusted_certificate` value of the system trust store, which verifies Konnect's certificate. */
export const KONNECT_TRUSTED_CERTIFICATE = 'system';

export function isKonnectApiRegion(value: unknown): value is KonnectApiRegion {
  return typeof value === 'string' && (KONNECT_API_REGIONS as readonly string[]).includes(value);
}

/** `https://<region>.api.konghq.com`: the Konnect API of a geo. */
export function konnectApiBaseUrl(region: string, where = 'konnect.apiRegion'): string {
  if (!isKonnectApiRegion(region)) {
    throw new KongFleetError(where, 'is not a Konnect region', {
      got: region,
      expected: KONNECT_API_REGIONS.join(', '),
    });
  }
  return `https://${region}.api.konghq.com`;
}

const API_BASE_URL = /^https:\/\/([a-z]{2})\.api\.konghq\.com\/?$/;

/**
 * Checks a Konnect API base URL (`https://<region>.api.konghq.com`, no path) and returns it without a
 * trailing slash, with its region.
 */
export function parseKonnectApiBaseUrl(
  url: string,
  where = 'konnect.apiBaseUrl',
): { readonly apiBaseUrl: string; readonly region: KonnectApiRegion } {
  const match = typeof url === 'string' ? API_BASE_URL.exec(url) : null;
  if (!match || !isKonnectApiRegion(match[1])) {
    throw new KongFleetError(where, 'is not a Konnect API base URL', {
      got: url,
      expected: `https://<region>.api.konghq.com with region one of ${KONNECT_API_REGIONS.join(', ')}`,
    });
  }
  return { apiBaseUrl: `https://${match[1]}.api.konghq.com`, region: match[1] };
}

/** Which Konnect endpoint a host name is for. */
export type KonnectEndpointKind = 'cluster' | 'telemetry';

const HOST_SUFFIX: Record<KonnectEndpointKind, string> = { cluster: 'cp', telemetry: 'tp' };

/** A Konnect cluster or telemetry host name, taken apart. */
export interface KonnectHost {
  /** The control plane's DNS prefix (its id's first characters, unique per organisation). */
  readonly prefix: string;
  /** The geo, e.g. `us`. */
  readonly region: KonnectApiRegion;
}

/**
 * Checks that `host` is a Konnect cluster (`<prefix>.<region>.cp0.konghq.com`) or telemetry
 * (`<prefix>.<region>.tp0.konghq.com`) host name. Konnect hands out `cp0`/`tp0` today; the
 * unnumbered `cp`/`tp` form is accepted too.
 */
export function parseKonnectHost(host: string, kind: KonnectEndpointKind, where: string): KonnectHost {
  const suffix = HOST_SUFFIX[kind];
  const expected = `<prefix>.<region>.${suffix}0.konghq.com (or .${suffix}.konghq.com), region one of ${KONNECT_API_REGIONS.join(', ')}, no scheme or port`;
  const pattern = new RegExp(`^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\\.([a-z]{2})\\.${suffix}[0-9]*\\.konghq\\.com$`);
  const match = typeof host === 'string' ? pattern.exec(host) : null;
  if (!match) {
    throw new KongFleetError(where, `is not a Konnect ${kind} host name`, { got: host, expected });
  }
  if (!isKonnectApiRegion(match[2])) {
    throw new KongFleetError(where, 'names a region Konnect does not have', { got: host, expected });
  }
  return { prefix: match[1], region: match[2] };
}

/** The cluster and telemetry endpoints of a Konnect control plane (both on 443). */
export interface KonnectEndpoints {
  /** `cluster_control_plane`. */
  readonly clusterEndpoint: Endpoint;
  /** `cluster_telemetry_endpoint`. */
  readonly telemetryEndpoint: Endpoint;
  /** The geo both host names are in. */
  readonly region: KonnectApiRegion;
}

/**
 * The endpoints of a Konnect control plane from its two host names (as Konnect shows them, without
 * `https://` and port): both must be Konnect host names of the same region.
 */
export function konnectEndpoints(clusterHost: string, telemetryHost: string, where = 'konnect'): KonnectEndpoints {
  const cluster = parseKonnectHost(clusterHost, 'cluster', `${where}.clusterEndpoint`);
  const telemetry = parseKonnectHost(telemetryHost, 'telemetry', `${where}.telemetryEndpoint`);
  if (cluster.region !== telemetry.region) {
    throw new KongFleetError(`${where}.telemetryEndpoint`, 'is in another Konnect region than the cluster endpoint', {
      got: telemetryHost,
      expected: `a telemetry host in ${cluster.region}, like ${clusterHost}`,
    });
  }
  return {
    clusterEndpoint: { host: clusterHost, port: KONNECT_CLUSTER_PORT },
    telemetryEndpoint: { host: telemetryHost, port: KONNECT_CLUSTER_PORT },
    region: cluster.region,
  };
}

/**
 * Checks a data plane's endpoints for Konnect: Konnect host names of one region, on port 443
 * (tokens are accepted as they are).
 */
export function checkKonnectEndpoints(cluster: Endpoint, telemetry: Endpoint, where: string): void {
  const hosts: Array<[Endpoint, KonnectEndpointKind, string]> = [
    [cluster, 'cluster', `${where}.clusterControlPlane`],
    [telemetry, 'telemetry', `${where}.clusterTelemetryEndpoint`],
  ];
  const regions: string[] = [];
  for (const [ep, kind, at] of hosts) {
    if (ep.port !== KONNECT_CLUSTER_PORT) {
      throw new KongFleetError(`${at}.port`, `Konnect takes ${kind} connections on ${KONNECT_CLUSTER_PORT} only`, {
        got: ep.port,
        expected: String(KONNECT_CLUSTER_PORT),
      });
    }
    if (!isUnresolvedToken(ep.host)) regions.push(parseKonnectHost(ep.host, kind, `${at}.host`).region);
  }
  if (regions.length === 2 && regions[0] !== regions[1]) {
    throw new KongFleetError(
      `${where}.clusterTelemetryEndpoint.host`,
      'is in another Konnect region than cluster_control_plane',
      {
        got: telemetry.host,
        expected: `a telemetry host in ${regions[0]}`,
      },
    );
  }
}

/** Konnect control plane ids are UUIDs (the `{id}` of `/v2/control-planes/{id}`). */
export function checkKonnectControlPlaneId(id: string, where: string): void {
  if (isUnresolvedToken(id)) return;
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new KongFleetError(where, 'is not a Konnect control plane id', { got: id, expected: 'a UUID' });
  }
}
