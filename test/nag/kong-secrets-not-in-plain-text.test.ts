import { CfnResource, SecretValue, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-KONG4';
// Built at run time so that no file of the repository holds a private-key header.
const PEM_KEY = ['-----BEGIN', 'EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----'].join(' ');

function kongTask(stack: Stack, options: Partial<ecs.ContainerDefinitionOptions>): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('kong', {
    image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6'),
    ...options,
    environment: { KONG_ROLE: 'data_plane', KONG_DATABASE: 'off', ...options.environment },
  });
  return taskDefinition;
}

function kongChart(stack: Stack, env: Record<string, unknown>): CfnResource {
  return new CfnResource(stack, 'KongChart', {
    type: 'Custom::AWSCDK-EKS-HelmChart',
    properties: { Chart: 'kong', Release: 'kong', Values: stack.toJsonString({ env: { role: 'data_plane', ...env } }) },
  });
}

function bootTemplate(stack: Stack, script: string): ec2.LaunchTemplate {
  return new ec2.LaunchTemplate(stack, 'Template', {
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    userData: ec2.UserData.custom(script),
  });
}

describe(`${RULE}: KongSecretsNotInPlainText`, () => {
  test('Noncompliance 1: the license in an ECS container environment', () => {
    const stack = testStack();
    const task = kongTask(stack, { environment: { KONG_LICENSE_DATA: '{"license":{"payload":{}}}' } });
    expect(findings(stack, RULE)).toEqual([pathOf(task)]);
  });

  test('Noncompliance 2: the database password resolved into the environment by a dynamic reference', () => {
    const stack = testStack();
    const password = SecretValue.secretsManager('kong-db', { jsonField: 'password' }).unsafeUnwrap();
    const task = kongTask(stack, { environment: { KONG_PG_PASSWORD: password } });
    expect(findings(stack, RULE)).toEqual([pathOf(task)]);
  });

  test('Noncompliance 3: a private key in any environment variable', () => {
    const stack = testStack();
    const task = kongTask(stack, { environment: { KONG_SSL_CERT_KEY: PEM_KEY } });
    expect(findings(stack, RULE)).toEqual([pathOf(task)]);
  });

  test('Noncompliance 4: the license as a string in the kong chart env', () => {
    const stack = testStack();
    const chart = kongChart(stack, { license_data: '{"license":{"payload":{}}}' });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test('Noncompliance 5: the cluster key as PEM text in the kong chart env', () => {
    const stack = testStack();
    const chart = kongChart(stack, { cluster_cert_key: PEM_KEY });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test('Noncompliance 6: KONG_PG_PASSWORD=<literal> in user data', () => {
    const stack = testStack();
    const template = bootTemplate(stack, '#!/bin/bash\nexport KONG_PG_PASSWORD="hunter2"\nkong start');
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Noncompliance 7: pg_password = <literal> in a kong.conf written by user data', () => {
    const stack = testStack();
    const template = bootTemplate(stack, "#!/bin/bash\ncat > /etc/kong/kong.conf <<'EOF'\npg_password = hunter2\nEOF");
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Noncompliance 8: a private key in user data', () => {
    const stack = testStack();
    const template = bootTemplate(stack, `#!/bin/bash\ncat > /etc/kong/cluster.key <<'EOF'\n${PEM_KEY}\nEOF`);
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Noncompliance 9: KONG_LICENSE_DATA=<literal> in a launch template given as base64', () => {
    const stack = testStack();
    const script = Buffer.from('#!/bin/bash\necho \'KONG_LICENSE_DATA={"license":1}\' >> /etc/kong/env').toString(
      'base64',
    );
    const template = new ec2.CfnLaunchTemplate(stack, 'Raw', { launchTemplateData: { userData: script } });
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Compliance 1: ECS Secrets for the license, the cluster key and the password', () => {
    const stack = testStack();
    const secret = new secretsmanager.Secret(stack, 'Credentials');
    kongTask(stack, {
      secrets: {
        KONG_LICENSE_DATA: ecs.Secret.fromSecretsManager(secret, 'license'),
        KONG_CLUSTER_CERT_KEY: ecs.Secret.fromSecretsManager(secret, 'key'),
        KONG_PG_PASSWORD: ecs.Secret.fromSecretsManager(secret, 'password'),
      },
    });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: a Kong vault reference and a key file path in the ECS environment', () => {
    const stack = testStack();
    kongTask(stack, {
      environment: {
        KONG_PG_PASSWORD: '{vault://aws/kong-db/password}',
        KONG_CLUSTER_CERT_KEY: '/etc/kong/cluster/tls.key',
      },
    });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: secretKeyRef and key file paths in the kong chart env', () => {
    const stack = testStack();
    kongChart(stack, {
      license_data: { valueFrom: { secretKeyRef: { name: 'kong-license', key: 'license' } } },
      pg_password: { valueFrom: { secretKeyRef: { name: 'kong-postgres', key: 'password' } } },
      cluster_cert_key: '/etc/secrets/kong-cluster-cert/tls.key',
    });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 4: user data that reads the secrets at boot', () => {
    const stack = testStack();
    bootTemplate(
      stack,
      [
        '#!/bin/bash',
        'KONG_PG_PASSWORD=$(aws secretsmanager get-secret-value --secret-id kong-db --query SecretString --output text)',
        'export KONG_LICENSE_DATA="${LICENSE}"',
        "env_secret KONG_LICENSE_DATA 'license' '*'",
        "cat > /etc/kong/kong.conf <<'EOF'",
        'pg_password = {vault://aws/kong-db/password}',
        'cluster_cert_key = /etc/kong/cluster/tls.key',
        'EOF',
      ].join('\n'),
    );
    expect(findings(stack, RULE)).toEqual([]);
  });
});
