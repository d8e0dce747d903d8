/**
 * Kong hybrid mode in pki mode across regions: a control plane on EKS (stack `KongPkiCp`, in
 * `kong-fleet:region`) whose ACM Private CA issues the CP a server certificate and each data
 * plane its own client certificate; one data plane in the CP's region (`KongPkiDpHome`) and one in
 * another region (`KongPkiDpAway`, in `kong-fleet:dpRegion`).
 *
 *   npx cdk synth --app "npx tsx examples/pki-app.ts" -o cdk.out.pki
 *
 * Each data-plane stack makes its own certificate: its handler reads the CA's ARN from the SSM
 * parameter `/kong-fleet/<trust>/certificate-authority-arn` in the CP's region and calls ACM
 * Private CA there; the key never leaves that handler and the DP region's Secrets Manager.
 * Adding or removing a data plane never updates the CP stack.
 *
 * Stacks have explicit environments (regions differ), so the zones are given and nothing is looked
 * up: it synthesizes offline. Context (optional, `-c key=value`):
 *   kong-fleet:account    account of all stacks          (default 111111111111)
 *   kong-fleet:region     region of the CP and DP home    (default us-east-1)
 *   kong-fleet:dpRegion   region of the other DP          (default eu-west-1)
 *   kong-fleet:hostedZoneId / kong-fleet:hostedZoneName  an existing zone (default: create kong.example.com)
 *   kong-fleet:licenseSecretName  the license secret, same name in every region (default kong-license)
 */
import { App, Environment, Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { KongClusterTrust, KongControlPlaneEks, KongDataPlaneEks, KongVpc } from '../src';

export const PKI_CLUSTER_DNS = 'cluster.kong.example.com';
export const PKI_TELEMETRY_DNS = 'telemetry.kong.example.com';

export interface PkiApp {
  readonly app: App;
  readonly cpStack: Stack;
  readonly homeStack: Stack;
  readonly awayStack: Stack;
  readonly trust: KongClusterTrust;
  readonly controlPlane: KongControlPlaneEks;
  readonly home: KongDataPlaneEks;
  readonly away: KongDataPlaneEks;
}

/** Two zones by name: explicit-environment stacks must not look zones up at synth time. */
function zonesOf(region: string): string[] {
  return [`${region}a`, `${region}b`];
}

function planeStack(app: App, id: string, env: Required<Environment>, description: string) {
  const stack = new Stack(app, id, { env, description });
  // CDK checks given zones against the region's zones, which it would look up: answer from context.
  const zonesKey = `availability-zones:account=${env.account}:region=${env.region}`;
  if (stack.node.tryGetContext(zonesKey) === undefined) stack.node.setContext(zonesKey, zonesOf(env.region));
  const vpc = new KongVpc(stack, 'Network', { availabilityZones: zonesOf(env.region) }).vpc;
  return { stack, vpc };
}

export function buildPkiApp(app: App = new App()): PkiApp {
  if (app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences') === undefined) {
    app.node.setContext('@aws-cdk/core:defaultCrossStackReferences', 'strong');
  }
  const account = String(app.node.tryGetContext('kong-fleet:account') ?? '111111111111');
  const region = String(app.node.tryGetContext('kong-fleet:region') ?? 'us-east-1');
  const dpRegion = String(app.node.tryGetContext('kong-fleet:dpRegion') ?? 'eu-west-1');
  const licenseName = String(app.node.tryGetContext('kong-fleet:licenseSecretName') ?? 'kong-license');

  const cp = planeStack(
    app,
    'KongPkiCp',
    { account, region },
    'Kong control plane on EKS, pki cluster mTLS with ACM Private CA (kong-fleet)',
  );
  const zoneId = app.node.tryGetContext('kong-fleet:hostedZoneId');
  const zoneName = app.node.tryGetContext('kong-fleet:hostedZoneName') ?? 'kong.example.com';
  const hostedZone = zoneId
    ? route53.HostedZone.fromHostedZoneAttributes(cp.stack, 'Zone', { hostedZoneId: zoneId, zoneName })
    : new route53.PublicHostedZone(cp.stack, 'Zone', { zoneName });
  const trust = new KongClusterTrust(cp.stack, 'ClusterTrust', { mode: 'pki', name: 'kong-pki' });
  const controlPlane = new KongControlPlaneEks(cp.stack, 'ControlPlane', {
    trust,
    vpc: cp.vpc,
    hostedZone,
    clusterHostname: PKI_CLUSTER_DNS,
    telemetryHostname: PKI_TELEMETRY_DNS,
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(cp.stack, 'License', licenseName),
  });

  const home = planeStack(
    app,
    'KongPkiDpHome',
    { account, region },
    `Kong data plane on EKS in ${region} (kong-fleet)`,
  );
  const homeDp = new KongDataPlaneEks(home.stack, 'DataPlane', {
    controlPlane,
    dataPlaneName: 'dp-home',
    vpc: home.vpc,
  });
  const away = planeStack(
    app,
    'KongPkiDpAway',
    { account, region: dpRegion },
    `Kong data plane on EKS in ${dpRegion} (kong-fleet)`,
  );
  const awayDp = new KongDataPlaneEks(away.stack, 'DataPlane', {
    controlPlane,
    dataPlaneName: 'dp-away',
    vpc: away.vpc,
  });
  return {
    app,
    cpStack: cp.stack,
    homeStack: home.stack,
    awayStack: away.stack,
    trust,
    controlPlane,
    home: homeDp,
    away: awayDp,
  };
}

if (require.main === module) {
  buildPkiApp().app.synth();
}
