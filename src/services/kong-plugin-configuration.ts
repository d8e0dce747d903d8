import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { IKongOidcProvider, IKongRedis } from '../core/shared-services';
import { KongFleetError } from '../kong/errors';
import {
  KongPlugin,
  openidConnectPlugin,
  prometheusPlugin,
  proxyCacheAdvancedPlugin,
  rateLimitingAdvancedPlugin,
  renderDeckFile,
} from '../kong/plugins';

/** Properties of {@link KongPluginConfiguration}. */
export interface KongPluginConfigurationProps {
  /** SSM parameter name of the generated decK file (`/`-separated path). */
  readonly parameterName: string;

  /**
   * Redis for rate-limiting-advanced and proxy-cache-advanced.
   * @default - no Redis plugins
   */
  readonly redis?: IKongRedis;

  /**
   * Cognito user pool for openid-connect (bearer tokens of its machine-to-machine clients).
   * @default - no openid-connect plugin
   */
  readonly oidcProvider?: IKongOidcProvider;

  /**
   * Add the prometheus plugin (metrics on the Status API's `/metrics` for the collectors).
   * @default false
   */
  readonly prometheus?: boolean;

  /**
   * Requests per minute the rate-limiting-advanced plugin allows per consumer.
   * @default 600
   */
  readonly requestsPerMinute?: number;

  /**
   * decK select tags: decK then manages only the entities carrying them, so the file can be
   * synced next to a team's own configuration.
   * @default ['kong-fleet']
   */
  readonly selectTags?: string[];
}

/**
 * The Kong plugin configuration that uses a region's shared services, as a decK file
 * (`_format_version: "3.0"`, global plugins, select tags) stored in an SSM parameter and printed as
 * an output: rate-limiting-advanced and proxy-cache-advanced on Redis over TLS, openid-connect
 * verifying the Cognito pool's bearer tokens (with the pool's app client as Kong's client, its
 * secret a vault reference), prometheus. Endpoint names are filled in at
 * deployment; secrets appear only as `{vault://aws/...}` references that data planes resolve with
 * their own IAM role, so the parameter holds no secret. Sync it with
 * `aws ssm get-parameter --name <name> --query Parameter.Value --output text > kong.yaml && deck gateway sync kong.yaml`
 * against the control plane's Admin API.
 */
export class KongPluginConfiguration extends Construct {
  /** The decK file (CloudFormation tokens for the endpoint names). */
  public readonly deckFile: string;
  public readonly plugins: KongPlugin[];
  public readonly parameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: KongPluginConfigurationProps) {
    super(scope, id);
    const where = this.node.path;
    const requestsPerMinute = props.requestsPerMinute ?? 600;
    if (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 1) {
      throw new KongFleetError(`${where}.requestsPerMinute`, 'is not a positive whole number', {
        got: requestsPerMinute,
      });
    }
    if (!/^\/[a-zA-Z0-9_.\-/]+$/.test(props.parameterName)) {
      throw new KongFleetError(`${where}.parameterName`, 'is not an SSM parameter path', {
        got: props.parameterName,
        expected: 'a name starting with / of letters, digits and _.-/',
      });
    }
    const plugins: KongPlugin[] = [];
    if (props.redis) {
      const redis = {
        host: props.redis.host,
        port: props.redis.port,
        passwordReference: props.redis.authTokenVaultReference,
      };
      plugins.push(
        rateLimitingAdvancedPlugin(
          { redis, limits: [requestsPerMinute], windowSizes: [60] },
          `${where}.rateLimitingAdvanced`,
        ),
        proxyCacheAdvancedPlugin({ redis }, `${where}.proxyCacheAdvanced`),
      );
    }
    if (props.oidcProvider) {
      plugins.push(
        openidConnectPlugin(
          {
            issuer: props.oidcProvider.issuer,
            scopesRequired: props.oidcProvider.scopes,
            // Kong's own client (token introspection, discovery-authenticated calls); verifying
            // bearer tokens needs neither, and the secret is a vault reference.
            clientId: props.oidcProvider.clientId,
            clientSecretReference: props.oidcProvider.clientSecretVaultReference,
          },
          `${where}.openidConnect`,
        ),
      );
    }
    if (props.prometheus) plugins.push(prometheusPlugin({}, `${where}.prometheus`));
    if (plugins.length === 0) {
      throw new KongFleetError(where, 'has no plugin to configure', {
        got: 'no redis, oidcProvider or prometheus',
        expected: 'at least one of them',
      });
    }
    this.plugins = plugins;
    const region = Stack.of(this).region;
    this.deckFile = renderDeckFile(plugins, {
      comment: [
        'Kong plugin configuration for the shared services of this region (kong-fleet).',
        'Secrets are vault references the data planes resolve with their own IAM role.',
        'Apply to the control plane: deck gateway sync kong.yaml (decK 1.28+).',
      ],
      selectTags: props.selectTags ?? ['kong-fleet'],
    });
    this.parameter = new ssm.StringParameter(this, 'Parameter', {
      parameterName: props.parameterName,
      stringValue: this.deckFile,
      description: 'decK file with the Kong plugins that use the shared services (no secret: vault references)',
    });
    new CfnOutput(this, 'DeckFileCommand', {
      value: `aws ssm get-parameter --region ${region} --name ${props.parameterName} --query Parameter.Value --output text > kong.yaml`,
      description: 'Fetches the Kong plugin configuration (decK) for this region',
    });
  }
}
