/**
 * ClusterCertificate in konnect mode: the custom resource's Konnect properties, the handler's
 * read of exactly the token secret, pki credentials for the plane, no token in the template, and
 * the props it refuses.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterCertificate, ClusterCertificateProps } from '../../src/core/cluster-certificate';
import { KONNECT_DP_CERT_PROFILE } from '../../src/kong/certificate-profile';
import { expectKongError } from '../support/errors';
import { flattenJoin, unitTestApp } from '../support/synth';

const CONTROL_PLANE = '9524ec7d-36d9-465d-a8c5-83a3c9390458';
const API = 'https://eu.api.konghq.com';

function baseProps(stack: Stack, extra: Partial<ClusterCertificateProps> = {}): ClusterCertificateProps {
  return {
    mode: 'konnect',
    label: 'fleet/dp-ecs-euw1',
    commonName: 'dp-ecs-euw1',
    validityDays: KONNECT_DP_CERT_PROFILE.validityDays,
    rotateBeforeDays: KONNECT_DP_CERT_PROFILE.rotateBeforeDays,
    expiryAlarmDays: 14,
    konnect:
      'konnect' in extra
        ? extra.konnect
        : {
            controlPlaneId: CONTROL_PLANE,
            apiBaseUrl: API,
            tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'KonnectToken', 'konnect/token'),
          },
    ...extra,
  };
}

describe('konnect mode', () => {
  // One app for the happy path: a token imported by name, and one with a full ARN and a KMS key.
  const app = unitTestApp();
  const stack = new Stack(app, 'Dp', { env: { account: '111111111111', region: 'eu-west-1' } });
  const certificate = new ClusterCertificate(stack, 'Certificate', baseProps(stack));
  const tokenKey = kms.Key.fromKeyArn(
    stack,
    'TokenKey',
    `arn:${'aws'}:kms:eu-west-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`,
  );
  const fullArn = `arn:${'aws'}:secretsmanager:eu-west-1:111111111111:secret:konnect/other-token-AbCdEf`;
  const second = new ClusterCertificate(
    stack,
    'Second',
    baseProps(stack, {
      label: 'fleet/dp-ec2-euw1',
      commonName: 'dp-ec2-euw1',
      konnect: {
        controlPlaneId: CONTROL_PLANE,
        apiBaseUrl: `${API}/`,
        tokenSecret: secretsmanager.Secret.fromSecretAttributes(stack, 'OtherToken', {
          secretCompleteArn: fullArn,
          encryptionKey: tokenKey,
        }),
      },
    }),
  );
  const template = Template.fromStack(stack);
  const json = JSON.stringify(template.toJSON());

  test('the custom resource carries the Konnect properties (token secret by name, never a value)', () => {
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'konnect',
      CommonName: 'dp-ecs-euw1',
      ValidityDays: '365',
      RotateBeforeDays: '30',
      Label: 'fleet/dp-ecs-euw1',
      KonnectControlPlaneId: CONTROL_PLANE,
      KonnectApiUrl: API,
      KonnectTokenSecret: 'konnect/token',
    });
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      KonnectApiUrl: API, // trailing slash removed
      KonnectTokenSecret: 'konnect/other-token',
    });
    const properties = Object.values(template.findResources('Custom::KongClusterCertificate')).map(
      (r) => r.Properties as Record<string, unknown>,
    );
    for (const p of properties) {
      expect(Object.keys(p).sort()).toEqual(
        [
          'ServiceToken',
          'SecretArn',
          'Mode',
          'Label',
          'ValidityDays',
          'RotateBeforeDays',
          'Generation',
          'CommonName',
          'KonnectControlPlaneId',
          'KonnectApiUrl',
          'KonnectTokenSecret',
        ].sort(),
      );
    }
    expect(json).not.toMatch(/kpat_|spat_|Bearer/);
    expect(json).not.toMatch(/resolve:secretsmanager:konnect/);
  });

  test('the handler may read exactly each token secret, from a policy the certificate waits for', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'secretsmanager:GetSecretValue',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([':secretsmanager:eu-west-1:111111111111:secret:konnect/token-??????'])],
            },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: fullArn },
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: tokenKey.keyArn,
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          },
        ],
      },
    });
    // No other statement anywhere grants the token secrets.
    const grants = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((r) =>
      (r.Properties.PolicyDocument.Statement as Array<{ Resource: unknown }>).filter((s) =>
        JSON.stringify(s.Resource).includes('konnect/'),
      ),
    );
    expect(grants).toHaveLength(2);
    const certificateResource = stack.getLogicalId(certificate.resource.node.defaultChild as any);
    const policy = stack.getLogicalId(certificate.node.findChild('KonnectTokenPolicy').node.defaultChild as any);
    expect(template.toJSON().Resources[certificateResource].DependsOn).toContain(policy);
  });

  test('planes get pki credentials (cluster_mtls = pki) from the certificate secret', () => {
    const credentials = certificate.credentials();
    expect(credentials.mode).toBe('pki');
    expect(credentials.secret).toBe(certificate.secret);
    expect(credentials.ready).toBe(certificate.resource);
    expect(second.credentials().mode).toBe('pki');
  });

  test('rotation check, expiry alarm and a destroyable secret as in the other modes', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['cron(0/15 * * * ? *)', 'cron(0/15 * * * ? *)']);
    const input = flattenJoin(rules[0].Properties.Targets[0].Input);
    expect(input).toContain('"RequestType":"Rotate"');
    expect(input).toContain('"Mode":"konnect"');
    expect(input).toContain(`"KonnectControlPlaneId":"${CONTROL_PLANE}"`);
    expect(input).toContain('"KonnectTokenSecret":"konnect/token"');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'Certificate', Value: 'fleet/dp-ecs-euw1' }],
      Threshold: 14,
    });
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('cert, key and the Konnect pin') }),
    });
  });

  test('no unacknowledged cdk-nag finding', () => {
    const nagged = unitTestApp();
    Validations.of(nagged).addPlugins(new AwsSolutionsChecks(nagged));
    const other = new Stack(nagged, 'Dp', { env: { account: '111111111111', region: 'eu-west-1' } });
    new ClusterCertificate(other, 'Certificate', baseProps(other));
    expect(() => nagged.synth()).not.toThrow();
  });
});

describe('konnect props it refuses', () => {
  function attempt(extra: (stack: Stack) => Partial<ClusterCertificateProps>): () => unknown {
    return () => {
      const stack = new Stack(new App(), 'S');
      return new ClusterCertificate(stack, 'Certificate', baseProps(stack, extra(stack)));
    };
  }

  test('konnect mode without konnect props', () => {
    expectKongError(
      attempt(() => ({ konnect: undefined })),
      /^S\/Certificate\.konnect: is required in konnect mode/,
    );
  });

  test.each(['shared', 'pki', 'shared-copy'] as const)('konnect props in %s mode', (mode) => {
    expectKongError(
      attempt(() => ({ mode })),
      new RegExp(`^S/Certificate\\.konnect: is only for konnect mode \\(got "${mode}"`),
    );
  });

  test.each([
    ['controlPlaneId', { controlPlaneId: 'production' }, /konnect\.controlPlaneId: is not a Konnect control plane id/],
    ['apiBaseUrl (http)', { apiBaseUrl: 'http://eu.api.konghq.com' }, /konnect\.apiBaseUrl: is not a Konnect regional/],
    [
      'apiBaseUrl (loopback)',
      { apiBaseUrl: 'http://127.0.0.1:8080' },
      /konnect\.apiBaseUrl: is not a Konnect regional/,
    ],
    ['apiBaseUrl (with path)', { apiBaseUrl: `${API}/v2` }, /konnect\.apiBaseUrl: is not a Konnect regional/],
    ['apiBaseUrl (global)', { apiBaseUrl: 'https://global.api.konghq.com' }, /konnect\.apiBaseUrl/],
  ])('an invalid %s', (_name, change, pattern) => {
    expectKongError(
      attempt((stack) => ({
        konnect: {
          controlPlaneId: CONTROL_PLANE,
          apiBaseUrl: API,
          tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'T', 'konnect/token'),
          ...change,
        },
      })),
      pattern,
    );
  });
});

describe('other modes are unchanged', () => {
  test('a pki certificate has no Konnect property and no token policy', () => {
    const stack = new Stack(unitTestApp(), 'Pki');
    new ClusterCertificate(stack, 'Certificate', {
      mode: 'pki',
      role: 'data-plane',
      trustParameterName: '/kong/fleet/ca',
      label: 'fleet/dp',
      validityDays: 365,
      rotateBeforeDays: 30,
      expiryAlarmDays: 14,
    });
    const template = Template.fromStack(stack);
    const [resource] = Object.values(template.findResources('Custom::KongClusterCertificate'));
    expect(Object.keys(resource.Properties).filter((k) => k.startsWith('Konnect'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('KonnectTokenPolicy');
  });
});
