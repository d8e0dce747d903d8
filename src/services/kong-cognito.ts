import { createHash } from 'crypto';
import { Duration, Names, RemovalPolicy, SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeNag } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption';
import { IKongOidcProvider, KongVaultSecret } from '../core/shared-services';
import { KongFleetError } from '../kong/errors';
import { awsVaultReference } from '../kong/vault';

/** One scope of the resource server. */
export interface KongOidcScope {
  /** Scope name (the part after `<identifier>/`). */
  readonly name: string;
  /** What the scope allows. */
  readonly description: string;
}

/** Properties of {@link KongCognito}. */
export interface KongCognitoProps {
  /**
   * Identifier of the resource server: scopes read `<identifier>/<scope>` in the access token.
   * @default 'kong'
   */
  readonly resourceServerIdentifier?: string;

  /**
   * Scopes of the resource server; the app client may request all of them.
   * @default - `read` and `write`
   */
  readonly scopes?: KongOidcScope[];

  /**
   * Prefix of the Cognito domain (`<prefix>.auth.<region>.amazoncognito.com`) that serves the
   * token endpoint. Unique per region across all AWS accounts; lowercase letters, digits and
   * hyphens, 1-63 characters, not starting or ending with a hyphen, and without the reserved words
   * `aws`, `amazon` or `cognito`.
   * @default - `kong-fleet-<account id>-<8 hex digits from the construct path>`
   */
  readonly domainPrefix?: string;

  /**
   * Name of the secret with `client_id` and `client_secret`. Kong's AWS vault finds it by name.
   * @default - `kong-fleet/<unique name from the construct path>/cognito-client`
   */
  readonly clientSecretName?: string;

  /**
   * KMS key of the client secret.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Lifetime of the access tokens the client gets (5 minutes to 1 day).
   * @default Duration.hours(1)
   */
  readonly accessTokenValidity?: Duration;

  /**
   * What happens to the user pool when it leaves the stack. Anything but DESTROY also turns on
   * Cognito's deletion protection.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Cognito domain prefix rule (CreateUserPoolDomain `Domain` pattern). */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Words Cognito refuses in a domain prefix. */
const RESERVED_IN_PREFIX = ['aws', 'amazon', 'cognito'];
/** Cognito resource server identifier and scope name rules. */
const RESOURCE_SERVER_ID = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;

/**
 * A Cognito user pool that Kong's openid-connect plugin trusts, for machine-to-machine clients
 * only: no sign-up and no user sign-in flow, a resource server with scopes, one app client with a
 * generated secret and only the OAuth `client_credentials` grant, and a Cognito domain for the
 * token endpoint. The client id and secret land in a KMS-encrypted secret through
 * `Fn::GetAtt ClientSecret`, so the secret value never appears in the template or in a log.
 */
export class KongCognito extends Construct implements IKongOidcProvider {
  public readonly issuer: string;
  public readonly tokenEndpoint: string;
  public readonly clientId: string;
  public readonly clientSecret: KongVaultSecret;
  public readonly scopes: string[];
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly domain: cognito.UserPoolDomain;
  public readonly encryptionKey: kms.IKey;
  /** Name of the client secret (JSON `client_id`, `client_secret`). */
  public readonly clientSecretName: string;
  /** Kong vault reference to the client secret value (`{vault://aws/<name>/client_secret}`). */
  public readonly clientSecretVaultReference: string;

  constructor(scope: Construct, id: string, props: KongCognitoProps = {}) {
    super(scope, id);
    const where = (prop: string) => `${this.node.path}.${prop}`;
    const identifier = props.resourceServerIdentifier ?? 'kong';
    const scopes = props.scopes ?? [
      { name: 'read', description: 'Read through the Kong gateway' },
      { name: 'write', description: 'Write through the Kong gateway' },
    ];
    if (!RESOURCE_SERVER_ID.test(identifier)) {
      throw new KongFleetError(where('resourceServerIdentifier'), 'is not a Cognito resource server identifier', {
        got: identifier,
        expected: '1-256 printable characters without space, " or \\',
      });
    }
    if (scopes.length === 0 || new Set(scopes.map((s) => s.name)).size !== scopes.length) {
      throw new KongFleetError(where('scopes'), 'the client needs at least one scope, each named once', {
        got: scopes.map((s) => s.name),
      });
    }
    for (const s of scopes) {
      if (!SCOPE_NAME.test(s.name)) {
        throw new KongFleetError(where('scopes'), 'is not a Cognito scope name', {
          got: s.name,
          expected: '1-256 printable characters without space, ", / or \\',
        });
      }
    }
    const domainPrefix = props.domainPrefix ?? this.defaultDomainPrefix();
    validateDomainPrefix(where('domainPrefix'), domainPrefix);
    this.clientSecretName =
      props.clientSecretName ?? `kong-fleet/${Names.uniqueResourceName(this, { maxLength: 64 })}/cognito-client`;
    this.clientSecretVaultReference = awsVaultReference(
      this.clientSecretName,
      'client_secret',
      where('clientSecretName'),
    );
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.userPool = new cognito.UserPool(this, 'Resource', {
      // Machine-to-machine only: nobody signs up, nobody signs in with a password.
      selfSignUpEnabled: false,
      accountRecovery: cognito.AccountRecovery.NONE,
      // Essentials (the default plan of new pools) allows access-token customization for the
      // client_credentials grant; user-facing Plus features would never run here.
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      // Should a user ever be created by an administrator, it still needs a strong password and TOTP.
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });

    const serverScopes = scopes.map(
      (s) => new cognito.ResourceServerScope({ scopeName: s.name, scopeDescription: s.description }),
    );
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier,
      userPoolResourceServerName: identifier,
      scopes: serverScopes,
    });
    const oauthScopes = serverScopes.map((s) => cognito.OAuthScope.resourceServer(resourceServer, s));
    this.scopes = scopes.map((s) => `${identifier}/${s.name}`);

    this.userPoolClient = this.userPool.addClient('Client', {
      generateSecret: true,
      oAuth: { flows: { clientCredentials: true }, scopes: oauthScopes },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: props.accessTokenValidity ?? Duration.hours(1),
    });
    const cfnClient = this.userPoolClient.node.defaultChild as cognito.CfnUserPoolClient;
    // No user sign-in flow at all (Cognito's default would allow SRP and custom auth); refresh is
    // the one value Cognito requires and client_credentials never issues refresh tokens.
    cfnClient.explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
    this.clientId = this.userPoolClient.userPoolClientId;

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    this.tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;
    const stack = Stack.of(this);
    this.issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    this.encryptionKey =
      props.encryptionKey ?? createEncryptionKey(this, 'Key', 'Encrypts the Kong OIDC client secret');
    const secret = new secretsmanager.Secret(this, 'ClientSecret', {
      secretName: this.clientSecretName,
      description: `OAuth client_credentials client of the Kong user pool ${this.node.path}`,
      encryptionKey: this.encryptionKey,
      // Fn::GetAtt ClientSecret: CloudFormation fills the value in at deploy time. No
      // AwsCustomResource (UserPoolClient.userPoolClientSecret), whose Lambda would see the value.
      secretObjectValue: {
        client_id: SecretValue.unsafePlainText(this.clientId),
        client_secret: SecretValue.resourceAttribute(cfnClient.attrClientSecret),
      },
    });
    this.clientSecret = { secret, encryptionKey: this.encryptionKey };

    acknowledgeNag(
      this.userPool,
      'COG8',
      'No human user signs in to this pool: only the client_credentials grant is enabled, and the Plus plan adds threat protection for user sign-ins, which never happen here',
    );
    acknowledgeNag(
      secret,
      'SMG4',
      'The secret mirrors the app client secret (Fn::GetAtt ClientSecret); Cognito generates it with the client, so rotating means replacing the app client, after which CloudFormation rewrites this secret',
    );
  }

  /** Deterministic and unique per account and construct path; hex digits cannot spell a reserved word. */
  private defaultDomainPrefix(): string {
    const hash = createHash('sha256').update(this.node.path).digest('hex').slice(0, 8);
    return `kong-fleet-${Stack.of(this).account}-${hash}`;
  }
}

function validateDomainPrefix(where: string, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  const reserved = RESERVED_IN_PREFIX.filter((w) => prefix.includes(w));
  if (!DOMAIN_PREFIX.test(prefix) || reserved.length > 0) {
    throw new KongFleetError(where, 'is not a valid Cognito domain prefix', {
      got: prefix,
      expected:
        '1-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen, without aws, amazon or cognito',
    });
  }
}
