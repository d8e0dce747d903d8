import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { KongDatabase } from '../../src/core/kong-database';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-RDS1';

function instance(stack: Stack, props: Partial<rds.CfnDBInstanceProps>, id = 'Db'): rds.CfnDBInstance {
  return new rds.CfnDBInstance(stack, id, {
    engine: 'postgres',
    dbInstanceClass: 'db.t4g.medium',
    allocatedStorage: '20',
    ...props,
  });
}

function parameterGroup(stack: Stack, family: string, parameters: Record<string, string>): rds.CfnDBParameterGroup {
  return new rds.CfnDBParameterGroup(stack, 'Parameters', { family, description: 'test', parameters });
}

describe(`${RULE}: RDSPostgresForceSsl`, () => {
  test('Noncompliance 1: a parameter group that turns rds.force_ssl off', () => {
    const stack = testStack();
    const group = parameterGroup(stack, 'postgres16', { 'rds.force_ssl': '0' });
    const db = instance(stack, { engineVersion: '16.8', dbParameterGroupName: group.ref });
    expect(findings(stack, RULE)).toEqual([pathOf(db)]);
  });

  test('Noncompliance 2: a PostgreSQL 14 parameter group without rds.force_ssl (default 0 before 15)', () => {
    const stack = testStack();
    const group = parameterGroup(stack, 'postgres14', { log_min_duration_statement: '1000' });
    const db = instance(stack, { engineVersion: '14.12', dbParameterGroupName: group.ref });
    expect(findings(stack, RULE)).toEqual([pathOf(db)]);
  });

  test('Noncompliance 3: PostgreSQL 14 on its default parameter group', () => {
    const stack = testStack();
    const db = instance(stack, { engineVersion: '14.12' });
    const named = instance(stack, { engineVersion: '14.12', dbParameterGroupName: 'default.postgres14' }, 'Named');
    expect(findings(stack, RULE).sort()).toEqual([pathOf(db), pathOf(named)].sort());
  });

  test('Noncompliance 4: an L2 DatabaseInstance with a parameter group that turns it off', () => {
    const stack = testStack();
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16_8 });
    const db = new rds.DatabaseInstance(stack, 'Instance', {
      engine,
      vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }),
      parameterGroup: new rds.ParameterGroup(stack, 'Group', { engine, parameters: { 'rds.force_ssl': '0' } }),
    });
    expect(findings(stack, RULE)).toEqual([pathOf(db)]);
  });

  test('Compliance 1: KongDatabase (rds.force_ssl = 1)', () => {
    const stack = testStack();
    new KongDatabase(stack, 'Database', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: PostgreSQL 16 on its defaults, and a PostgreSQL 14 group that forces TLS', () => {
    const stack = testStack();
    instance(stack, { engineVersion: '16.8' });
    const group = parameterGroup(stack, 'postgres14', { 'rds.force_ssl': '1' });
    instance(stack, { engineVersion: '14.12', dbParameterGroupName: group.ref }, 'Old');
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: not judged: other engines, Aurora instances, parameter groups of other stacks', () => {
    const stack = testStack();
    instance(stack, { engine: 'mysql', engineVersion: '8.0.40' });
    instance(stack, { engine: 'aurora-postgresql', dbClusterIdentifier: 'kong' }, 'Aurora');
    instance(stack, { engineVersion: '14.12', dbParameterGroupName: 'platform-postgres14' }, 'Shared');
    expect(findings(stack, RULE)).toEqual([]);
  });
});
