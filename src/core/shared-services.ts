import { Names, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * What data planes need from the shared services of their region (src/services implements these;
 * data-plane constructs consume them). Every grant and every security-group rule a data plane
 * needs is created in the data plane's own scope, so adding or removing a data plane never
 * changes a service's stack.
 */

/** A secret Kong reads through its AWS vault (a `{vault://aws/...}` reference: src/kong/vault.ts). */
export interface KongVaultSecret {
  readonly secret: secretsmanager.ISecret;
  /** Customer-managed key of the secret (data planes need kms:Decrypt through Secrets Manager). */
  readonly encryptionKey?: kms.IKey;
}

/** A service reachable inside the VPC on one TCP port, guarded by one security group. */
export interface KongVpcService {
  /** The service's security group: nothing may reach it but the data planes allowed in. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The one TCP port data planes connect to. */
  readonly port: number;
  /** Short name used in rule descriptions (`Redis`, `OpenSearch`). */
  readonly serviceName: string;
}

/** ElastiCache (Valkey / Redis OSS) for Kong's rate-limiting and proxy-cache plugins. */
export interface IKongRedis extends KongVpcService {
  /** Primary endpoint address (TLS). */
  readonly host: string;
  /** Reader endpoint address (TLS). */
  readonly readerHost: string;
  /** The AUTH token, a plain-string secret Kong reads through its AWS vault. */
  readonly authToken: KongVaultSecret;
  /** The AUTH token as Kong's vault reference (`{vault://aws/...}`, see awsVaultReference). */
  readonly authTokenVaultReference: string;
}

/** A Cognito user pool Kong's openid-connect plugin trusts (machine-to-machine client). */
export interface IKongOidcProvider {
  /** OIDC issuer (`https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  readonly issuer: string;
  /** Token endpoint of the user pool's domain. */
  readonly tokenEndpoint: string;
  /** The machine-to-machine app client's id. */
  readonly clientId: string;
  /** JSON secret with `client_id` and `client_secret`, read through Kong's AWS vault. */
  readonly clientSecret: KongVaultSecret;
  /** The client secret as Kong's vault reference (`{vault://aws/<name>/client_secret}`). */
  readonly clientSecretVaultReference: string;
  /** Scopes of the resource server, in `<identifier>/<scope>` form. */
  readonly scopes: string[];
}

/** An OpenSearch domain that takes Kong's access logs, one index pattern per data plane. */
export interface IKongLogDestination extends KongVpcService {
  /** Domain endpoint host (VPC), no scheme. */
  readonly endpoint: string;
  /**
   * The role log shippers assume to write (mapped to a write-only role inside OpenSearch's
   * fine-grained access control). Its trust delegates to IAM in the account, so a shipper needs
   * only `sts:AssumeRole` on it in its own policy.
   */
  readonly writerRole: iam.IRole;
}

/** An Amazon Managed Service for Prometheus workspace that takes Kong's metrics. */
export interface IKongMetricsDestination {
  /** `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/api/v1/remote_write`. */
  readonly remoteWriteUrl: string;
  /** Workspace ARN (for `aps:RemoteWrite`). */
  readonly workspaceArn: string;
  /** Region of the workspace (SigV4 signing region). */
  readonly region: string;
}

/**
 * Lets `peer` (a data plane's tasks, instances or cluster nodes) reach `service` on its one port.
 * The ingress rule is created once per (service, peer) pair, in the peer's stack: data planes
 * sharing an EKS cluster share the rule, and the service's stack never changes when a data plane
 * comes or goes.
 */
export function allowServiceAccess(service: KongVpcService, peer: ec2.ISecurityGroup): void {
  const stack = Stack.of(peer);
  const id = `KongServiceAccess${Names.nodeUniqueId(service.securityGroup.node)}${Names.nodeUniqueId(peer.node)}`;
  if (stack.node.tryFindChild(id)) return;
  new ec2.CfnSecurityGroupIngress(stack, id, {
    groupId: service.securityGroup.securityGroupId,
    sourceSecurityGroupId: peer.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: service.port,
    toPort: service.port,
    description: `Kong data planes to ${service.serviceName} (tcp/${service.port})`,
  });
}

/**
 * Read access to the secrets Kong resolves through its AWS vault, as a policy in `scope` on the
 * data plane's role: exactly these secrets, and their keys only through Secrets Manager.
 */
export function grantVaultRead(scope: Construct, id: string, role: iam.IRole, secrets: KongVaultSecret[]): void {
  if (secrets.length === 0) return;
  const region = Stack.of(scope).region;
  const statements = [
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: secrets.map((s) => s.secret.secretFullArn ?? `${s.secret.secretArn}-??????`),
    }),
  ];
  const keys = secrets.flatMap((s) => (s.encryptionKey ? [s.encryptionKey.keyArn] : []));
  if (keys.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: keys,
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
    );
  }
  new iam.Policy(scope, id, { roles: [role], statements });
}

/** Lets `role` assume the log destination's writer role (policy in `scope`). */
export function grantLogWrite(scope: Construct, id: string, role: iam.IRole, logs: IKongLogDestination): void {
  new iam.Policy(scope, id, {
    roles: [role],
    statements: [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [logs.writerRole.roleArn] })],
  });
}

/** Lets `role` remote-write to the metrics workspace (policy in `scope`). */
export function grantMetricsWrite(
  scope: Construct,
  id: string,
  role: iam.IRole,
  metrics: IKongMetricsDestination,
): void {
  new iam.Policy(scope, id, {
    roles: [role],
    statements: [new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [metrics.workspaceArn] })],
  });
}
