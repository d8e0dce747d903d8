/**
 * The seed's program: a Kong control plane on EKS backed by RDS PostgreSQL (stack `KongCpEks`)
 * and a Kong data plane on another EKS cluster (stack `KongDpEks`), joined by mTLS and licensed
 * from Secrets Manager. Environment-agnostic: it synthesizes offline and deploys to whatever
 * account/region the CLI targets.
 *
 *   npx cdk synth --app "npx tsx examples/seed-app.ts" -o cdk.out
 *
 * Context (all optional, `-c key=value`):
 *   kong-fleet:hostedZoneId / kong-fleet:hostedZoneName  use an existing Route 53 zone
 *                                                       (default: create `kong.example.com`)
 *   kong-fleet:licenseSecretName                        Secrets Manager name of the license
 *                                                       (default: kong-license)
 */
import { App, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KongClusterTrust, KongControlPlaneEks, KongDataPlaneEks } from '../src';

// The two DNS names every data plane uses to reach the control plane.
export const cluster_dns = 'cluster.kong.example.com';
export const telemetry_dns = 'telemetry.kong.example.com';

export interface SeedApp {
  readonly app: App;
  readonly cpStack: Stack;
  readonly dpStack: Stack;
  readonly controlPlane: KongControlPlaneEks;
  readonly dataPlane: KongDataPlaneEks;
}

export function buildSeedApp(app: App = new App()): SeedApp {
  // The data-plane stack imports the control plane's endpoints and trust secret. Strong
  // references keep CloudFormation from deleting what a data plane still uses.
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }
  const cpStack = new Stack(app, 'KongCpEks', {
    description: 'Kong Gateway control plane on EKS with RDS PostgreSQL (kong-fleet)',
  });
  const zoneId = app.node.tryGetContext('kong-fleet:hostedZoneId');
  const zoneName = app.node.tryGetContext('kong-fleet:hostedZoneName') ?? 'kong.example.com';
  const hostedZone = zoneId
    ? route53.HostedZone.fromHostedZoneAttributes(cpStack, 'Zone', { hostedZoneId: zoneId, zoneName })
    : new route53.PublicHostedZone(cpStack, 'Zone', { zoneName });
  const licenseSecret = secretsmanager.Secret.fromSecretNameV2(
    cpStack,
    'License',
    app.node.tryGetContext('kong-fleet:licenseSecretName') ?? 'kong-license',
  );

  const trust = new KongClusterTrust(cpStack, 'ClusterTrust');
  const controlPlane = new KongControlPlaneEks(cpStack, 'ControlPlane', {
    trust,
    hostedZone,
    clusterHostname: cluster_dns,
    telemetryHostname: telemetry_dns,
    licenseSecret,
  });

  const dpStack = new Stack(app, 'KongDpEks', {
    description: 'Kong Gateway data plane on EKS (kong-fleet)',
  });
  const dataPlane = new KongDataPlaneEks(dpStack, 'DataPlane', {
    controlPlane,
    dataPlaneName: 'dp-eks',
  });
  return { app, cpStack, dpStack, controlPlane, dataPlane };
}

if (require.main === module) {
  buildSeedApp().app.synth();
}
