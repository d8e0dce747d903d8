/** Hand-built fleet models for tests that must not depend on the YAML loader. */
import type { DataPlaneModel, FleetModel } from '../../src/fleet/model';

export function dataPlane(
  name: string,
  runtime: DataPlaneModel['runtime'],
  region: string,
  extra: Partial<DataPlaneModel> = {},
): DataPlaneModel {
  return {
    name,
    runtime,
    region,
    version: '3.10.0.6',
    replicas: { min: 2, max: 10 },
    network: 'shared',
    proxy: { internetFacing: false },
    ...extra,
  };
}

export function fleet(dataPlanes: DataPlaneModel[], extra: Partial<FleetModel> = {}): FleetModel {
  return {
    name: 'acme',
    kong: { version: '3.10.0.6', licenseSecret: 'kong-license' },
    controlPlane: {
      runtime: 'eks',
      region: 'us-east-1',
      endpoints: {
        hostedZone: 'kong.example.com',
        hostedZoneId: 'Z0000000000000000000',
        cluster: 'cluster.kong.example.com',
        telemetry: 'telemetry.kong.example.com',
        internetFacing: true,
      },
      database: { instanceType: 't4g.medium', multiAz: true, deletionProtection: true, iamAuthentication: false },
      replicas: 2,
    },
    certificates: { mode: 'pki' },
    dataPlanes,
    sharedServices: {},
    ...extra,
  };
}
