import { Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createEncryptionKey } from '../core/encryption';
import { IKongMetricsDestination } from '../core/shared-services';
import { KongFleetError } from '../kong/errors';

/** Properties of {@link KongMetricsWorkspace}. */
export interface KongMetricsWorkspaceProps {
  /**
   * The workspace's alias (a label; AMP does not require it to be unique). At most 100 characters.
   * @default - a unique name derived from the construct path
   */
  readonly alias?: string;

  /**
   * Customer-managed KMS key for the workspace's data and its log group. AMP creates its grants
   * on it as the principal that creates the workspace (CloudFormation's role), so the key policy
   * must let that principal use the key (kms:CreateGrant, kms:DescribeKey, kms:Decrypt,
   * kms:GenerateDataKey); the key policy of keys made by `createEncryptionKey` delegates that to
   * IAM and also admits CloudWatch Logs, which the log group needs. The key cannot be changed
   * later: AMP fixes it at creation (a new key replaces the workspace).
   * @default - a new key with rotation enabled, usable by CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Retention of the workspace's rules and alert manager logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Days AMP keeps the metrics (at least 1).
   * @default - AMP's default retention (150 days)
   */
  readonly retentionPeriodInDays?: number;

  /**
   * What happens to the workspace (and the metrics in it) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An Amazon Managed Service for Prometheus workspace for Kong's metrics: encrypted with a
 * customer-managed KMS key, its rules and alert manager logs in a KMS-encrypted log group with
 * retention, kept when it leaves the stack. Data planes remote-write to {@link remoteWriteUrl}
 * with `grantMetricsWrite`; Amazon Managed Grafana reads {@link queryUrl}.
 *
 * Principals of this account need no KMS permission to write or query (AMP uses its own grants);
 * principals of other accounts would, through KMS grants.
 */
export class KongMetricsWorkspace extends Construct implements IKongMetricsDestination {
  public readonly workspace: aps.CfnWorkspace;
  /** `ws-…`. */
  public readonly workspaceId: string;
  public readonly workspaceArn: string;
  public readonly region: string;
  /**
   * The workspace's Prometheus endpoint as AMP reports it,
   * `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/` (with the trailing `/`).
   */
  public readonly prometheusEndpoint: string;
  /** `<prometheusEndpoint>api/v1/remote_write`. */
  public readonly remoteWriteUrl: string;
  /** The Prometheus query root for Grafana's data source (Grafana appends `api/v1/query…`). */
  public readonly queryUrl: string;
  public readonly encryptionKey: kms.IKey;
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: KongMetricsWorkspaceProps = {}) {
    super(scope, id);
    const alias = props.alias ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    if (!Token.isUnresolved(alias) && (alias.trim() === '' || alias.length > 100)) {
      throw new KongFleetError(`${this.node.path}.alias`, 'not a usable workspace alias', {
        got: alias,
        expected: '1 to 100 characters, not only spaces',
      });
    }
    const retention = props.retentionPeriodInDays;
    if (retention !== undefined && !Token.isUnresolved(retention) && (!Number.isInteger(retention) || retention < 1)) {
      throw new KongFleetError(`${this.node.path}.retentionPeriodInDays`, 'not a whole number of days', {
        got: retention,
        expected: 'an integer of at least 1',
      });
    }

    this.encryptionKey =
      props.encryptionKey ??
      createEncryptionKey(this, 'Key', 'Encrypts the Kong metrics workspace (Amazon Managed Service for Prometheus)');
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
    });

    this.workspace = new aps.CfnWorkspace(this, 'Resource', {
      alias,
      kmsKeyArn: this.encryptionKey.keyArn,
      // Rules and alert manager logs (the vended-log destination AMP supports in CloudFormation);
      // AMP wants the log group ARN with its `:*` suffix, which is what LogGroup's ARN is.
      loggingConfiguration: { logGroupArn: this.logGroup.logGroupArn },
      ...(retention !== undefined ? { workspaceConfiguration: { retentionPeriodInDays: retention } } : {}),
    });
    this.workspace.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);

    this.workspaceId = this.workspace.attrWorkspaceId;
    this.workspaceArn = this.workspace.attrArn;
    this.region = Stack.of(this).region;
    // AMP's API reference shows an example ending in `/api/v1/`, but DescribeWorkspace (which
    // CloudFormation's PrometheusEndpoint copies) returns `…/workspaces/<id>/`, and that is what
    // AWS's own blueprints (cdk-eks-blueprints' AmpAddOn) append `api/v1/remote_write` to.
    this.prometheusEndpoint = this.workspace.attrPrometheusEndpoint;
    this.remoteWriteUrl = `${this.prometheusEndpoint}api/v1/remote_write`;
    this.queryUrl = this.prometheusEndpoint;
  }
}
