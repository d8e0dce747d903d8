/**
 * KongLogDomain as a library user meets it: one app with cdk-nag AwsSolutions on (the synth itself
 * proves there is no unacknowledged finding) holding the domain with an admin role and index
 * retention, the domain with every default in an environment-specific stack, a small domain
 * without dedicated managers, and a data plane that is let in with allowServiceAccess. Template
 * assertions, cfn-lint and a secret scan on the written output, and the props it refuses.
 */
import * as fs from 'fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KongVpc } from '../../src/core/kong-vpc';
import { allowServiceAccess, grantLogWrite, IKongLogDestination } from '../../src/core/shared-services';
import { KongLogDomain, KongLogDomainProps } from '../../src/services/kong-log-domain';
import { expectKongError } from '../support/errors';
import { cfnLintErrors, secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';

interface Fixture {
  readonly app: App;
  readonly outdir: string;
  readonly logs: KongLogDomain;
  readonly stack: Stack;
  readonly template: Template;
  readonly templateFile: string;
  readonly defaults: Template;
  readonly defaultsStack: Stack;
  readonly small: Template;
  readonly dataPlane: Template;
}

let fixture: Fixture | undefined;

/** Everything synthesized once for the file, with cdk-nag on: synth throws on any finding. */
function synth(): Fixture {
  if (fixture) return fixture;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const stack = new Stack(app, 'Logs');
  const vpc = new KongVpc(stack, 'Vpc').vpc;
  const admin = new iam.Role(stack, 'Admins', { assumedBy: new iam.AccountRootPrincipal() });
  const logs = new KongLogDomain(stack, 'AccessLogs', { vpc, adminRole: admin, indexRetentionDays: 30 });

  const defaultsStack = new Stack(app, 'LogsDefaults', { env: { account: '123456789012', region: 'eu-west-1' } });
  new KongLogDomain(defaultsStack, 'AccessLogs', {
    vpc: new KongVpc(defaultsStack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }).vpc,
  });

  const smallStack = new Stack(app, 'LogsSmall');
  new KongLogDomain(smallStack, 'AccessLogs', {
    vpc: new KongVpc(smallStack, 'Vpc').vpc,
    dedicatedMasterNodes: 0,
    dataNodes: 4,
    dataNodeInstanceType: 'r6g.large.search',
    volumeSizeGiB: 20,
  });

  // A data plane in its own stack, as src/data-plane does it.
  const dpStack = new Stack(app, 'DataPlane');
  const dpSecurityGroup = new ec2.SecurityGroup(dpStack, 'Tasks', { vpc, allowAllOutbound: false });
  const taskRole = new iam.Role(dpStack, 'TaskRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
  });
  const destination: IKongLogDestination = logs;
  allowServiceAccess(destination, dpSecurityGroup);
  grantLogWrite(dpStack, 'LogWrite', taskRole, destination);

  const assembly = app.synth();
  fixture = {
    app,
    outdir: assembly.directory,
    logs,
    stack,
    template: Template.fromStack(stack),
    templateFile: assembly.getStackByName(stack.stackName).templateFullPath,
    defaults: Template.fromStack(defaultsStack),
    defaultsStack,
    small: Template.fromStack(smallStack),
    dataPlane: Template.fromStack(dpStack),
  };
  return fixture;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown) =>
  stack.getLogicalId((construct as any).node.defaultChild ?? construct);

function domainOf(template: Template): any {
  const domains = Object.values(template.findResources('AWS::OpenSearchService::Domain'));
  expect(domains).toHaveLength(1);
  return domains[0];
}

describe('the domain', () => {
  test('sits in the two private subnets of the VPC behind its own security group, zone-aware', () => {
    const { template, logs, stack } = synth();
    const privateSubnets = Object.keys(
      template.findResources('AWS::EC2::Subnet', {
        Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-name', Value: 'private' }]) },
      }),
    );
    expect(privateSubnets).toHaveLength(2);

    const domain = domainOf(template).Properties;
    expect(domain.VPCOptions).toEqual({
      SubnetIds: privateSubnets.map((id) => ({ Ref: id })),
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(stack, logs.securityGroup), 'GroupId'] }],
    });
    expect(domain.ClusterConfig).toEqual({
      InstanceCount: 2,
      InstanceType: 'm6g.large.search',
      DedicatedMasterEnabled: true,
      DedicatedMasterCount: 3,
      DedicatedMasterType: 'm6g.large.search',
      ZoneAwarenessEnabled: true,
      ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
      MultiAZWithStandbyEnabled: false,
    });
    expect(domain.EngineVersion).toBe('OpenSearch_2.19');
    expect(domain.EBSOptions).toEqual({ EBSEnabled: true, VolumeType: 'gp3', VolumeSize: 100 });
  });

  test('encrypts at rest with its customer-managed key and between nodes; HTTPS only with TLS 1.2+', () => {
    const { template, logs, stack } = synth();
    const domain = domainOf(template).Properties;
    expect(domain.EncryptionAtRestOptions).toEqual({
      Enabled: true,
      KmsKeyId: { Ref: logicalId(stack, logs.encryptionKey) },
    });
    expect(domain.NodeToNodeEncryptionOptions).toEqual({ Enabled: true });
    expect(domain.DomainEndpointOptions).toEqual({
      EnforceHTTPS: true,
      TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('fine-grained access control: the IAM master user is the security handler role, no internal users', () => {
    const { template, logs, stack } = synth();
    const domain = domainOf(template).Properties;
    expect(domain.AdvancedSecurityOptions).toEqual({
      Enabled: true,
      InternalUserDatabaseEnabled: false,
      MasterUserOptions: { MasterUserARN: { 'Fn::GetAtt': [logicalId(stack, logs.securityHandler.role), 'Arn'] } },
    });
  });

  test('the access policy delegates to IAM in the account: no anonymous principal', () => {
    const { template } = synth();
    const policy = domainOf(template).Properties.AccessPolicies;
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    expect(statement.Principal).toEqual({
      AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
    });
    expect(JSON.stringify(statement.Resource)).toMatch(/:domain\/logs-accesslogs-[a-z0-9]+\/\*"/);
  });

  test('publishes slow, error and audit logs to KMS-encrypted log groups kept for a year', () => {
    const { template, logs, stack } = synth();
    const resource = domainOf(template);
    const publishing = resource.Properties.LogPublishingOptions;
    expect(Object.keys(publishing).sort()).toEqual([
      'AUDIT_LOGS',
      'ES_APPLICATION_LOGS',
      'INDEX_SLOW_LOGS',
      'SEARCH_SLOW_LOGS',
    ]);
    const keyId = logicalId(stack, logs.encryptionKey);
    for (const option of Object.values<any>(publishing)) {
      expect(option.Enabled).toBe(true);
      const groupId = option.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0];
      const group = template.toJSON().Resources[groupId];
      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(group.DeletionPolicy).toBe('Retain');
    }
    // OpenSearch may write only to those groups, for this domain and account; the domain waits for it.
    const policies = template.findResources('AWS::Logs::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId, policy] = Object.entries<any>(policies)[0];
    const document = JSON.stringify(policy.Properties.PolicyDocument);
    for (const part of ['es.amazonaws.com', 'aws:SourceAccount', 'aws:SourceArn', ':domain/logs-accesslogs-']) {
      expect(document).toContain(part);
    }
    expect(resource.DependsOn).toContain(policyId);
  });

  test('is retained with the stack, upgraded in place, and patched automatically', () => {
    const { template } = synth();
    const resource = domainOf(template);
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    expect(resource.UpdatePolicy).toEqual({ EnableVersionUpgrade: true });
    expect(resource.Properties.SoftwareUpdateOptions).toEqual({ AutoSoftwareUpdateEnabled: true });
  });

  test('a small fleet may run without dedicated managers (OS4 acknowledged), with other data nodes', () => {
    const { small } = synth();
    const config = domainOf(small).Properties.ClusterConfig;
    expect(config).toMatchObject({ InstanceCount: 4, InstanceType: 'r6g.large.search', ZoneAwarenessEnabled: true });
    expect(config.DedicatedMasterEnabled).toBe(false);
    expect(config.DedicatedMasterCount).toBeUndefined();
  });

  test('an environment-specific stack gets a literal domain name and exposes the endpoint', () => {
    const { defaults, defaultsStack } = synth();
    const domain = domainOf(defaults).Properties;
    expect(domain.DomainName).toMatch(/^logsdefaults-access-[0-9a-f]{8}$/);
    expect(domain.DomainName.length).toBeLessThanOrEqual(28);
    expect(defaultsStack.resolve(domain.AccessPolicies.Statement[0].Resource)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:es:eu-west-1:123456789012:domain/${domain.DomainName}/*`]],
    });
    const resolved = (synth().stack.resolve(synth().logs.endpoint) as any)['Fn::GetAtt'];
    expect(resolved[1]).toBe('DomainEndpoint');
  });
});

describe('network', () => {
  test('the domain security group has no CIDR ingress and no egress; only the handler on 443 is let in', () => {
    const { template, logs, stack } = synth();
    const sgId = logicalId(stack, logs.securityGroup);
    const sg = template.toJSON().Resources[sgId].Properties;
    expect(sg.SecurityGroupIngress ?? []).toEqual([]);
    // aws-cdk-lib's "disallow all traffic" placeholder is the only egress entry.
    expect(sg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 }),
    ]);
    const ingress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'));
    const toDomain = ingress.filter((r) => JSON.stringify(r.Properties.GroupId).includes(sgId));
    expect(toDomain).toHaveLength(1);
    expect(toDomain[0].Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(toDomain[0].Properties.SourceSecurityGroupId).toEqual({
      'Fn::GetAtt': [logicalId(stack, logs.securityHandler.connections.securityGroups[0]), 'GroupId'],
    });
    for (const rule of ingress) {
      expect(rule.Properties.CidrIp).toBeUndefined();
      expect(rule.Properties.CidrIpv6).toBeUndefined();
    }
  });

  test('the security handler runs in the same private subnets and may only reach the domain on 443', () => {
    const { template, logs, stack } = synth();
    const handlerSg = logicalId(stack, logs.securityHandler.connections.securityGroups[0]);
    const fn = template.toJSON().Resources[logicalId(stack, logs.securityHandler)].Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.onEvent', Architectures: ['arm64'] });
    expect(fn.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [handlerSg, 'GroupId'] }]);
    expect(fn.VpcConfig.SubnetIds).toEqual(domainOf(template).Properties.VPCOptions.SubnetIds);
    const egress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupEgress'));
    expect(egress).toHaveLength(1);
    expect(egress[0].Properties).toMatchObject({
      GroupId: { 'Fn::GetAtt': [handlerSg, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack, logs.securityGroup), 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
  });

  test('allowServiceAccess lets a data plane in on 443 from its own stack; the domain stack holds no such rule', () => {
    const { dataPlane, template, logs } = synth();
    expect(logs.port).toBe(443);
    expect(logs.serviceName).toBe('OpenSearch');
    dataPlane.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      Description: 'Kong data planes to OpenSearch (tcp/443)',
      SourceSecurityGroupId: Match.anyValue(),
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('Kong data planes to OpenSearch');
  });
});

describe('IAM', () => {
  test('the writer role trusts the account (delegated to IAM) and may only POST/PUT _bulk and kong-*', () => {
    const { template, logs, stack } = synth();
    const roleId = logicalId(stack, logs.writerRole);
    const role = template.toJSON().Resources[roleId].Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
        },
      },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const domainId = logicalId(stack, logs.domain);
    const policies = Object.values<any>(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['es:ESHttpPost', 'es:ESHttpPut'],
        Effect: 'Allow',
        Resource: [
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [domainId, 'Arn'] }, '/_bulk']] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [domainId, 'Arn'] }, '/kong-*']] },
        ],
      },
    ]);
  });

  test('grantLogWrite gives a data plane sts:AssumeRole on the writer role, in the data plane stack', () => {
    const { dataPlane } = synth();
    dataPlane.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: Match.anyValue() }] },
    });
  });

  test('the handler (master user) may call only the security, index-template and ISM APIs', () => {
    const { template, logs, stack } = synth();
    const domainArn = { 'Fn::GetAtt': [logicalId(stack, logs.domain), 'Arn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, logs.securityHandler.role) }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['es:ESHttpGet', 'es:ESHttpPut', 'es:ESHttpDelete'],
            Effect: 'Allow',
            Resource: [
              { 'Fn::Join': ['', [domainArn, '/_plugins/_security/api/*']] },
              { 'Fn::Join': ['', [domainArn, '/_index_template/*']] },
              { 'Fn::Join': ['', [domainArn, '/_plugins/_ism/policies/*']] },
            ],
          },
        ],
      },
    });
  });

  test('the admin role gets explicit es:ESHttp* actions on the domain', () => {
    const { template, stack } = synth();
    const admin = stack.node.findChild('Admins') as iam.Role;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack, admin) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: [
              'es:ESHttpGet',
              'es:ESHttpHead',
              'es:ESHttpPost',
              'es:ESHttpPut',
              'es:ESHttpPatch',
              'es:ESHttpDelete',
            ],
          }),
        ],
      },
    });
  });
});

describe('the security custom resource', () => {
  test('gets the endpoint, the writer role, the all_access roles, one replica and the retention', () => {
    const { template, logs, stack } = synth();
    const admin = stack.node.findChild('Admins') as iam.Role;
    template.hasResourceProperties('Custom::KongOpenSearchSecurity', {
      DomainEndpoint: { 'Fn::GetAtt': [logicalId(stack, logs.domain), 'DomainEndpoint'] },
      WriterRoleArn: { 'Fn::GetAtt': [logicalId(stack, logs.writerRole), 'Arn'] },
      AllAccessRoleArns: [
        { 'Fn::GetAtt': [logicalId(stack, logs.securityHandler.role), 'Arn'] },
        { 'Fn::GetAtt': [logicalId(stack, admin), 'Arn'] },
      ],
      NumberOfReplicas: '1',
      IndexRetentionDays: '30',
    });
  });

  test('with defaults: only the handler in all_access, no retention, no admin policy', () => {
    const { defaults } = synth();
    const [resource] = Object.values<any>(defaults.findResources('Custom::KongOpenSearchSecurity'));
    expect(resource.Properties.AllAccessRoleArns).toHaveLength(1);
    expect(resource.Properties.IndexRetentionDays).toBeUndefined();
    const policies = Object.values<any>(defaults.findResources('AWS::IAM::Policy'));
    expect(JSON.stringify(policies)).not.toContain('es:ESHttpHead');
  });

  test('runs after the domain and both security groups exist', () => {
    const { template } = synth();
    const [resource] = Object.values<any>(template.findResources('Custom::KongOpenSearchSecurity'));
    const dependsOn: string[] = resource.DependsOn;
    expect(dependsOn.some((d) => d.startsWith('AccessLogsSecurityGroupfrom'))).toBe(true);
    expect(dependsOn.some((d) => d.startsWith('AccessLogsSecurityHandlerSecurityGroupto'))).toBe(true);
    expect(dependsOn).toContain(Object.keys(template.findResources('AWS::OpenSearchService::Domain'))[0]);
  });
});

describe('synthesized output', () => {
  test('cdk-nag AwsSolutions: no unacknowledged finding in any stack (synth threw otherwise)', () => {
    expect(synth().outdir).toBeTruthy();
  });

  test('cfn-lint reports no error', () => {
    const { errors, status } = cfnLintErrors(synth().templateFile);
    expect(errors).toEqual([]);
    expect(status & 2).toBe(0);
  });

  test('no secret: no password, no master user name, no key material anywhere in cdk.out', () => {
    const { outdir, templateFile } = synth();
    expect(secretFindings(outdir)).toEqual([]);
    const text = fs.readFileSync(templateFile, 'utf8');
    expect(text).not.toMatch(/MasterUserPassword|MasterUserName|"Password"/);
  });
});

describe('validation', () => {
  const tryProps = (props: Partial<KongLogDomainProps> | ((vpc: ec2.Vpc) => Partial<KongLogDomainProps>)) => () => {
    const stack = new Stack(unitTestApp(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    new KongLogDomain(stack, 'Logs', { vpc, ...(typeof props === 'function' ? props(vpc) : props) });
  };

  test('an odd number of data nodes', () => {
    expectKongError(
      tryProps({ dataNodes: 3 }),
      /^S\/Logs\.dataNodes: a zone-aware domain .* \(got 3; expected an even integer, at least 2\)$/,
    );
  });

  test('dedicated managers other than 0, 3 or 5', () => {
    expectKongError(
      tryProps({ dedicatedMasterNodes: 2 }),
      /S\/Logs\.dedicatedMasterNodes: cluster managers need an odd quorum \(got 2/,
    );
  });

  test('a volume under 10 GiB, a bad instance type, a bad retention, a bad domain name', () => {
    expectKongError(tryProps({ volumeSizeGiB: 5 }), /\.volumeSizeGiB: /);
    expectKongError(
      tryProps({ dataNodeInstanceType: 'm6g.large' }),
      /\.dataNodeInstanceType: is not an OpenSearch Service instance type/,
    );
    expectKongError(tryProps({ indexRetentionDays: 0 }), /\.indexRetentionDays: /);
    expectKongError(tryProps({ domainName: 'Kong_Logs' }), /\.domainName: is not an OpenSearch Service domain name/);
  });

  test('an Elasticsearch engine', () => {
    expectKongError(
      tryProps({ engineVersion: opensearch.EngineVersion.ELASTICSEARCH_7_10 }),
      /\.engineVersion: Kong access logs need an OpenSearch engine \(got "Elasticsearch_7.10"/,
    );
  });

  test('subnets in a single Availability Zone', () => {
    expectKongError(
      tryProps((vpc) => ({ subnets: { subnets: [vpc.privateSubnets[0], vpc.publicSubnets[0]].slice(0, 1) } })),
      /\.subnets: a zone-aware domain needs subnets in two Availability Zones \(got "1 subnet\(s\) in 1 zone\(s\)"/,
    );
  });

  test('valid props construct (so the checks above fail for their own reason)', () => {
    expect(tryProps({})).not.toThrow();
  });
});
