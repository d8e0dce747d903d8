/**
 * The seed's AWS diagram: a Kong control plane on an Amazon Linux 2023 EC2 Auto Scaling group
 * backed by RDS PostgreSQL (stack `KongDiagramCp`), data plane 1 on ECS Fargate
 * (`KongDiagramDpEcs`) and data plane 2 on EKS (`KongDiagramDpEks`), all joined by cluster mTLS.
 * Environment-agnostic: it synthesizes offline and deploys to whatever account/region the CLI
 * targets.
 *
 *   npx cdk synth --app "npx tsx examples/aws-diagram-app.ts" -o cdk.out.diagram
 *
 * Context (all optional, `-c key=value`):
 *   kong-fleet:trustMode          shared (default) or pki (an ACM Private CA issues per-plane certificates)
 *   kong-fleet:hostedZoneId / kong-fleet:hostedZoneName  an existing zone (default: create kong.example.com)
 *   kong-fleet:licenseSecretName  the license secret (default kong-license)
 */
import { App, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ClusterMtlsMode,
  KongClusterTrust,
  KongControlPlaneEc2,
  KongDataPlaneEcs,
  KongDataPlaneEks,
  KongFleetError,
} from '../src';

export const DIAGRAM_CLUSTER_DNS = 'cluster.kong.example.com';
export const DIAGRAM_TELEMETRY_DNS = 'telemetry.kong.example.com';

export interface AwsDiagramApp {
  readonly app: App;
  readonly cpStack: Stack;
  readonly ecsStack: Stack;
  readonly eksStack: Stack;
  readonly controlPlane: KongControlPlaneEc2;
  readonly ecs: KongDataPlaneEcs;
  readonly eks: KongDataPlaneEks;
}

export function buildAwsDiagramApp(app: App = new App()): AwsDiagramApp {
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }
  const mode = String(app.node.tryGetContext('kong-fleet:trustMode') ?? 'shared');
  if (mode !== 'shared' && mode !== 'pki') {
    throw new KongFleetError('context kong-fleet:trustMode', 'is not a Kong cluster_mtls mode', {
      got: mode,
      expected: 'shared or pki',
    });
  }

  const cpStack = new Stack(app, 'KongDiagramCp', {
    description: 'Kong Gateway control plane on EC2 Auto Scaling with RDS PostgreSQL (kong-fleet)',
  });
  const zoneId = app.node.tryGetContext('kong-fleet:hostedZoneId');
  const zoneName = app.node.tryGetContext('kong-fleet:hostedZoneName') ?? 'kong.example.com';
  const hostedZone = zoneId
    ? route53.HostedZone.fromHostedZoneAttributes(cpStack, 'Zone', { hostedZoneId: zoneId, zoneName })
    : new route53.PublicHostedZone(cpStack, 'Zone', { zoneName });
  const controlPlane = new KongControlPlaneEc2(cpStack, 'ControlPlane', {
    trust: new KongClusterTrust(cpStack, 'ClusterTrust', { mode: mode as ClusterMtlsMode, name: 'kong-diagram' }),
    hostedZone,
    clusterHostname: DIAGRAM_CLUSTER_DNS,
    telemetryHostname: DIAGRAM_TELEMETRY_DNS,
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(
      cpStack,
      'License',
      app.node.tryGetContext('kong-fleet:licenseSecretName') ?? 'kong-license',
    ),
  });

  const ecsStack = new Stack(app, 'KongDiagramDpEcs', {
    description: 'Kong Gateway data plane 1 on ECS Fargate (kong-fleet)',
  });
  const ecs = new KongDataPlaneEcs(ecsStack, 'DataPlane', { controlPlane, dataPlaneName: 'dp-ecs' });
  const eksStack = new Stack(app, 'KongDiagramDpEks', { description: 'Kong Gateway data plane 2 on EKS (kong-fleet)' });
  const eks = new KongDataPlaneEks(eksStack, 'DataPlane', { controlPlane, dataPlaneName: 'dp-eks' });
  return { app, cpStack, ecsStack, eksStack, controlPlane, ecs, eks };
}

if (require.main === module) {
  buildAwsDiagramApp().app.synth();
}
