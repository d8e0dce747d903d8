/**
 * Kong's well-known ports. `status` is the Helm chart's 8100 rather than Kong's own default
 * (127.0.0.1:8007): every runtime here binds it on 0.0.0.0 so load balancers can probe it.
 */
export const KONG_PORTS = {
  proxyHttp: 8000,
  proxyHttps: 8443,
  adminHttp: 8001,
  adminHttps: 8444,
  managerHttp: 8002,
  managerHttps: 8445,
  cluster: 8005,
  clusterTelemetry: 8006,
  status: 8100,
} as const;

/** Readiness: 200 once the node can serve (3.3+: a DP only with a non-empty config loaded). */
export const STATUS_READY_PATH = '/status/ready';

/** Liveness. */
export const STATUS_LIVE_PATH = '/status';
