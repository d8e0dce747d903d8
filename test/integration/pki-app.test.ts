/**
 * The pki example as a user runs it: `npx cdk synth --app "npx tsx examples/pki-app.ts" -o <dir>`,
 * offline, then real-tool checks (cfn-lint, secret scan, Kong reference files) and what pki mode
 * must put in the templates: an activated P-384 ACM Private CA, one certificate per plane made in
 * the plane's own stack and region, Kong's pki settings, rotation checks and expiry alarms.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PKI_CLUSTER_DNS, PKI_TELEMETRY_DNS } from '../../examples/pki-app';
import { cdkSynthExample, cfnLintErrors, secretFindings, unknownKongNames } from '../support/output-checks';
import { helmValues } from '../support/synth';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-pki-'));
const STACKS = ['KongPkiCp', 'KongPkiDpHome', 'KongPkiDpAway'];
let templates: Record<string, Template>;

beforeAll(() => {
  templates = cdkSynthExample('examples/pki-app.ts', outdir, STACKS);
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

test("every Kong setting rendered exists in Kong's reference files", () => {
  expect(unknownKongNames(STACKS.map(templateFile))).toEqual([]);
});

test('the CP stack creates a root EC P-384 ACM Private CA, activates it, and names it in an SSM parameter', () => {
  const cp = templates.KongPkiCp;
  cp.hasResourceProperties('AWS::ACMPCA::CertificateAuthority', {
    Type: 'ROOT',
    KeyAlgorithm: 'EC_secp384r1',
    SigningAlgorithm: 'SHA384WITHECDSA',
  });
  cp.hasResourceProperties('AWS::ACMPCA::Certificate', {
    TemplateArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('RootCACertificate/V1')])] },
  });
  cp.hasResourceProperties('AWS::ACMPCA::CertificateAuthorityActivation', { Status: 'ACTIVE' });
  cp.hasResourceProperties('AWS::SSM::Parameter', {
    Name: '/kong-fleet/kong-pki/certificate-authority-arn',
    Value: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
  });
});

test('the CP certificate is a server certificate for the cluster and telemetry names', () => {
  templates.KongPkiCp.hasResourceProperties('Custom::KongClusterCertificate', {
    Mode: 'pki',
    Role: 'control-plane',
    DnsNames: `${PKI_CLUSTER_DNS},${PKI_TELEMETRY_DNS}`,
  });
  const env = helmValues(templates.KongPkiCp, 'kong').env;
  expect(env.cluster_mtls).toBe('pki');
  expect(env.cluster_ca_cert).toBe('/etc/secrets/kong-cluster-cert/ca.crt');
});

test.each([
  ['KongPkiDpHome', 'dp-home', undefined],
  ['KongPkiDpAway', 'dp-away', 'us-east-1'],
])(
  '%s makes its own client certificate from the CA found by name, importing nothing from the CP stack',
  (stack, name, trustRegion) => {
    const template = templates[stack];
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'pki',
      Role: 'data-plane',
      CommonName: name,
      TrustParameter: '/kong-fleet/kong-pki/certificate-authority-arn',
      TrustRegion: trustRegion ?? Match.absent(),
    });
    expect(fs.readFileSync(templateFile(stack), 'utf8')).not.toContain('Fn::ImportValue');
    const env = helmValues(template, 'kong').env;
    expect(env).toMatchObject({
      role: 'data_plane',
      cluster_mtls: 'pki',
      cluster_ca_cert: '/etc/secrets/kong-cluster-cert/ca.crt',
      cluster_server_name: PKI_CLUSTER_DNS,
      cluster_telemetry_server_name: PKI_TELEMETRY_DNS,
      cluster_control_plane: `${PKI_CLUSTER_DNS}:8005`,
    });
    // The handler may issue only end-entity certificates, from CAs of the trust's region.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'acm-pca:IssueCertificate',
            Condition: {
              StringEquals: {
                'acm-pca:TemplateArn': {
                  'Fn::Join': [
                    '',
                    Match.arrayWith([Match.stringLikeRegexp('BlankEndEntityCertificate_APICSRPassthrough')]),
                  ],
                },
              },
            },
            Resource: {
              'Fn::Join': ['', Match.arrayWith([':acm-pca:us-east-1:111111111111:certificate-authority/*'])],
            },
          }),
        ]),
      },
    });
  },
);

test('every plane checks its certificate every 15 minutes and alarms 14 days before expiry', () => {
  for (const [stack, label] of [
    ['KongPkiCp', 'kong-pki/control-plane'],
    ['KongPkiDpHome', 'kong-pki/dp-home'],
    ['KongPkiDpAway', 'kong-pki/dp-away'],
  ]) {
    const template = templates[stack];
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as any[];
    const check = rules.find((r) => r.Properties.ScheduleExpression === 'cron(0/15 * * * ? *)');
    expect(check).toBeDefined();
    // The input is the custom resource's properties (with token ARNs) plus the Rotate request type.
    expect(JSON.stringify(check.Properties.Targets[0].Input)).toContain('\\"RequestType\\":\\"Rotate\\"');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ClusterCertificateDaysToExpiry',
      Namespace: 'KongFleet',
      Dimensions: [{ Name: 'Certificate', Value: label }],
      Threshold: 14,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  }
});

test('the EKS planes reload a rotated certificate: ESO re-reads it every 5 minutes, Reloader rolls the pods', () => {
  const template = templates.KongPkiDpAway;
  const sync = Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
    .map((r: any) => JSON.stringify(r.Properties.Manifest))
    .find((m) => m.includes('ExternalSecret') && m.includes('kong-cluster-cert'));
  expect(sync).toContain('\\"refreshInterval\\":\\"5m\\"');
  expect(sync).toContain('ca.crt');
  const values = helmValues(template, 'kong');
  expect(values.deploymentAnnotations).toEqual({
    'secret.reloader.stakater.com/reload': 'kong-cluster-cert,kong-license',
  });
  expect(values.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  const charts = Object.values(template.findResources('Custom::AWSCDK-EKS-HelmChart')).map(
    (r: any) => r.Properties.Chart,
  );
  expect(charts).toContain('reloader');
});
