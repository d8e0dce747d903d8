import { CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-KONG5';

function kongTask(stack: Stack, environment: Record<string, string>): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('kong', {
    image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6'),
    environment,
  });
  return taskDefinition;
}

function kongChart(stack: Stack, env: Record<string, unknown>): CfnResource {
  return new CfnResource(stack, 'KongChart', {
    type: 'Custom::AWSCDK-EKS-HelmChart',
    properties: { Chart: 'kong', Release: 'kong-cp', Values: stack.toJsonString({ env }) },
  });
}

function bootTemplate(stack: Stack, lines: string[]): ec2.LaunchTemplate {
  return new ec2.LaunchTemplate(stack, 'Template', {
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    userData: ec2.UserData.custom(['#!/bin/bash', ...lines].join('\n')),
  });
}

const CONF = (...settings: string[]) => [
  "cat > /etc/kong/kong.conf <<'EOF'",
  'role = control_plane',
  'database = postgres',
  ...settings,
  'EOF',
];

describe(`${RULE}: KongControlPlaneDatabaseTls`, () => {
  test('Noncompliance 1: an ECS control plane with pg_ssl but not pg_ssl_required', () => {
    const stack = testStack();
    const task = kongTask(stack, { KONG_ROLE: 'control_plane', KONG_DATABASE: 'postgres', KONG_PG_SSL: 'on' });
    expect(findings(stack, RULE)).toEqual([pathOf(task)]);
  });

  test("Noncompliance 2: an ECS control plane on Kong's defaults (database postgres, pg_ssl off)", () => {
    const stack = testStack();
    const task = kongTask(stack, { KONG_ROLE: 'control_plane', KONG_PG_HOST: 'db.internal' });
    expect(findings(stack, RULE)).toEqual([pathOf(task)]);
  });

  test('Noncompliance 3: a kong chart control plane with pg_ssl_required off', () => {
    const stack = testStack();
    const chart = kongChart(stack, {
      role: 'control_plane',
      database: 'postgres',
      pg_ssl: 'on',
      pg_ssl_required: 'off',
    });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test('Noncompliance 4: an EC2 control plane with pg_ssl = off in kong.conf', () => {
    const stack = testStack();
    const template = bootTemplate(stack, CONF('pg_ssl = off'));
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Noncompliance 5: an environment variable overrides kong.conf (KONG_PG_SSL_REQUIRED=off)', () => {
    const stack = testStack();
    const template = bootTemplate(stack, [
      ...CONF('pg_ssl = on', 'pg_ssl_required = on'),
      'echo KONG_PG_SSL_REQUIRED=off >> /etc/kong/kong.env',
    ]);
    expect(findings(stack, RULE)).toEqual([pathOf(template)]);
  });

  test('Compliance 1: an ECS control plane with pg_ssl and pg_ssl_required on', () => {
    const stack = testStack();
    kongTask(stack, { KONG_ROLE: 'control_plane', KONG_PG_SSL: 'on', KONG_PG_SSL_REQUIRED: 'true' });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: an ECS control plane with pg_iam_auth (TLS forced by Kong)', () => {
    const stack = testStack();
    kongTask(stack, { KONG_ROLE: 'control_plane', KONG_PG_IAM_AUTH: 'on' });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: data planes and DB-less nodes have no database connection', () => {
    const stack = testStack();
    kongTask(stack, { KONG_ROLE: 'data_plane', KONG_DATABASE: 'off' });
    kongChart(stack, { role: 'control_plane', database: 'off' });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 4: a kong chart control plane with pg_ssl and pg_ssl_required as JSON booleans', () => {
    const stack = testStack();
    kongChart(stack, { role: 'control_plane', pg_host: stack.stackName, pg_ssl: true, pg_ssl_required: true });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 5: an EC2 control plane with both settings on in kong.conf (trailing comment)', () => {
    const stack = testStack();
    bootTemplate(stack, CONF('pg_ssl = on   # TLS', 'pg_ssl_required = on'));
    expect(findings(stack, RULE)).toEqual([]);
  });
});
