/**
 * The seed's AWS diagram as a user synthesizes it — CP on EC2 Auto Scaling with RDS, DP 1 on ECS
 * Fargate, DP 2 on EKS — with `npx cdk synth --app "npx tsx examples/aws-diagram-app.ts"`, offline:
 * cfn-lint, the secret scan, Kong's reference names, and every data plane's endpoints against the
 * control plane's NLB listeners and DNS records.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { DIAGRAM_CLUSTER_DNS, DIAGRAM_TELEMETRY_DNS } from '../../examples/aws-diagram-app';
import { kongEnvName } from '../../src/kong/render';
import { cdkSynthExample, cfnLintErrors, secretFindings, unknownKongNames } from '../support/output-checks';
import { helmValues } from '../support/synth';

const STACKS = ['KongDiagramCp', 'KongDiagramDpEcs', 'KongDiagramDpEks'];
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-diagram-'));
let templates: Record<string, Template>;

beforeAll(() => {
  templates = cdkSynthExample('examples/aws-diagram-app.ts', outdir, STACKS);
}, 300_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function templateFile(stack: string): string {
  return path.join(outdir, `${stack}.template.json`);
}

test('cfn-lint reports no errors on the three stacks', () => {
  for (const stack of STACKS) {
    expect({ stack, ...cfnLintErrors(templateFile(stack)) }).toEqual({ stack, errors: [], status: 0 });
  }
});

test('no key material, access key, license or password anywhere in the output', () => {
  expect(secretFindings(outdir)).toEqual([]);
});

test("every KONG_* name and Helm env key exists in Kong's reference files", () => {
  expect(unknownKongNames(STACKS.map(templateFile))).toEqual([]);
});

test('the data planes import nothing from the control-plane stack', () => {
  for (const stack of ['KongDiagramDpEcs', 'KongDiagramDpEks']) {
    expect(fs.readFileSync(templateFile(stack), 'utf8')).not.toContain('Fn::ImportValue');
  }
});

/** Listener port → target group port, and the Route 53 names, of the CP's NLB. */
function controlPlaneEndpoints() {
  const cp = templates.KongDiagramCp;
  const targetGroups = cp.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
  const forwards = new Map<number, number>();
  for (const listener of Object.values(cp.findResources('AWS::ElasticLoadBalancingV2::Listener')) as any[]) {
    expect(listener.Properties.Protocol).toBe('TCP');
    const tg = targetGroups[listener.Properties.DefaultActions[0].TargetGroupArn.Ref];
    forwards.set(listener.Properties.Port, tg.Properties.Port);
  }
  const records = Object.values(cp.findResources('AWS::Route53::RecordSet')).map((r: any) => r.Properties.Name);
  return { forwards, records };
}

function hostPort(value: string): [string, number] {
  const [host, port] = value.split(':');
  return [host, Number(port)];
}

test('every DP reaches the CP at its DNS names on listeners that forward to cluster_listen / cluster_telemetry_listen', () => {
  const { forwards, records } = controlPlaneEndpoints();
  expect(records).toEqual(expect.arrayContaining([`${DIAGRAM_CLUSTER_DNS}.`, `${DIAGRAM_TELEMETRY_DNS}.`]));

  const ecsEnv = Object.fromEntries(
    (
      Object.values(templates.KongDiagramDpEcs.findResources('AWS::ECS::TaskDefinition'))[0] as any
    ).Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]),
  );
  const eksEnv = helmValues(templates.KongDiagramDpEks, 'kong').env;
  const settings = [
    {
      dp: 'ecs',
      cluster: ecsEnv[kongEnvName('cluster_control_plane')],
      telemetry: ecsEnv[kongEnvName('cluster_telemetry_endpoint')],
    },
    { dp: 'eks', cluster: eksEnv.cluster_control_plane, telemetry: eksEnv.cluster_telemetry_endpoint },
  ];
  for (const { dp, cluster, telemetry } of settings) {
    const [clusterHost, clusterPort] = hostPort(cluster);
    const [telemetryHost, telemetryPort] = hostPort(telemetry);
    expect({ dp, clusterHost, telemetryHost }).toEqual({
      dp,
      clusterHost: DIAGRAM_CLUSTER_DNS,
      telemetryHost: DIAGRAM_TELEMETRY_DNS,
    });
    expect({ dp, cluster: forwards.get(clusterPort), telemetry: forwards.get(telemetryPort) }).toEqual({
      dp,
      cluster: 8005,
      telemetry: 8006,
    });
  }
});
