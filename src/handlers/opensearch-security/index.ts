/**
 * OpenSearch security handler: the `onEvent` handler of an AWS CDK Provider framework custom
 * resource (`Custom::KongOpenSearchSecurity`), run in the domain's VPC by the role that is the
 * domain's fine-grained-access-control master user.
 *
 * Create / Update: over HTTPS with SigV4 (service `es`), declares the write-only role
 * `kong_logs_writer` mapped to the log shippers' IAM role, maps `all_access` to the handler's role
 * (and an admin role), and puts the `kong-access-logs` index template (plus an ISM retention policy
 * when asked). Every step is an idempotent PUT of the whole document.
 * Delete: removes the writer mapping, best effort; a stack delete never fails here.
 *
 * Failures carry the request, the HTTP status and OpenSearch's message, which the Provider framework
 * reports as the CloudFormation failure reason. Logs hold request types, paths and role ARNs only.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { KongFleetError } from '../../kong/errors';
import { ACCESS_LOG_TEMPLATE, KONG_LOGS_WRITER_ROLE, SECURITY_PROPERTY } from './contract';
import { applySecuritySettings, removeWriterMapping, type SecuritySettings } from './security';
import { SignedOpenSearchClient, type SignedClientOptions } from './signed-client';
import type { ProviderEvent, ProviderResponse } from '../provider-event';

export { OPENSEARCH_SECURITY_RESOURCE_TYPE, SECURITY_PROPERTY } from './contract';
export { SECURITY_PATHS, type SecuritySettings } from './security';

export type OnEventRequest = ProviderEvent;
export type OnEventResponse = ProviderResponse<Readonly<Record<string, string>>>;

/** How to reach the domain: `baseUrl` defaults to `https://<DomainEndpoint>`. */
export type ConnectionOptions = Omit<SignedClientOptions, 'baseUrl'> & { readonly baseUrl?: string };

const WHERE = 'OpenSearchSecurity';

/** Lambda entry: the region and the role's credentials come from the Lambda environment. */
export async function onEvent(event: OnEventRequest): Promise<OnEventResponse> {
  const region = process.env.AWS_REGION;
  if (!region) throw new KongFleetError(`${WHERE}.region`, 'AWS_REGION is not set in the environment');
  return handleSecurityEvent(event, { region, credentials: defaultProvider() });
}

/** The handler with its connection given: tests point `baseUrl` at a local server. */
export async function handleSecurityEvent(
  event: OnEventRequest,
  connection: ConnectionOptions,
): Promise<OnEventResponse> {
  const requestType: unknown = event?.RequestType;
  if (requestType === 'Delete') return onDelete(event, connection);
  if (requestType !== 'Create' && requestType !== 'Update') {
    throw new KongFleetError(`${WHERE}.RequestType`, 'unknown request type', {
      got: requestType,
      expected: 'Create, Update or Delete',
    });
  }
  const { domainEndpoint, settings } = parseProperties(event.ResourceProperties);
  const previous = requestType === 'Update' ? tryParseProperties(event.OldResourceProperties) : undefined;
  const client = new SignedOpenSearchClient({
    ...connection,
    baseUrl: connection.baseUrl ?? `https://${domainEndpoint}`,
  });
  let done: string[];
  try {
    done = await applySecuritySettings(client, settings, previous?.settings);
  } catch (error) {
    throw new Error(`configuring OpenSearch security on ${domainEndpoint} failed: ${(error as Error).message}`);
  }
  log({ requestType, domainEndpoint, writerRoleArn: settings.writerRoleArn, done: done.join(', ') });
  return {
    PhysicalResourceId: physicalIdFor(domainEndpoint),
    Data: { WriterRole: KONG_LOGS_WRITER_ROLE, IndexTemplate: ACCESS_LOG_TEMPLATE },
  };
}

async function onDelete(event: OnEventRequest, connection: ConnectionOptions): Promise<OnEventResponse> {
  const parsed = tryParseProperties(event.ResourceProperties);
  const physicalId =
    event.PhysicalResourceId ?? (parsed ? physicalIdFor(parsed.domainEndpoint) : 'opensearch-security');
  let writerMapping = 'kept: unreadable properties';
  if (parsed) {
    // A domain that is gone does not answer: two short tries, then let the stack delete go on.
    const client = new SignedOpenSearchClient({
      ...connection,
      baseUrl: connection.baseUrl ?? `https://${parsed.domainEndpoint}`,
      maxAttempts: Math.min(connection.maxAttempts ?? 2, 2),
      timeoutMs: connection.timeoutMs ?? 10000,
    });
    writerMapping = await removeWriterMapping(client);
  }
  log({ requestType: 'Delete', domainEndpoint: parsed?.domainEndpoint, writerMapping });
  return { PhysicalResourceId: physicalId };
}

/** Stable per domain, so an Update never replaces the resource unless the domain changed. */
function physicalIdFor(domainEndpoint: string): string {
  return `${domainEndpoint}/${KONG_LOGS_WRITER_ROLE}`;
}

interface ParsedProperties {
  readonly domainEndpoint: string;
  readonly settings: SecuritySettings;
}

function tryParseProperties(raw: Readonly<Record<string, unknown>> | undefined): ParsedProperties | undefined {
  try {
    return parseProperties(raw);
  } catch {
    return undefined;
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

export function parseProperties(raw: Readonly<Record<string, unknown>> | undefined): ParsedProperties {
  const props = raw ?? {};
  const domainEndpoint = props[SECURITY_PROPERTY.domainEndpoint];
  if (typeof domainEndpoint !== 'string' || !/^[a-z0-9][a-z0-9.-]{0,252}$/i.test(domainEndpoint)) {
    throw new KongFleetError(`${WHERE}.${SECURITY_PROPERTY.domainEndpoint}`, 'is not a host name', {
      got: domainEndpoint,
      expected: 'the domain endpoint without scheme, e.g. vpc-logs-abc.eu-west-1.es.amazonaws.com',
    });
  }
  const writerRoleArn = roleArn(props[SECURITY_PROPERTY.writerRoleArn], SECURITY_PROPERTY.writerRoleArn);
  const allAccess = props[SECURITY_PROPERTY.allAccessRoleArns];
  if (!Array.isArray(allAccess) || allAccess.length === 0) {
    throw new KongFleetError(`${WHERE}.${SECURITY_PROPERTY.allAccessRoleArns}`, 'is not a list of role ARNs', {
      got: allAccess,
      expected: "at least the handler role's ARN",
    });
  }
  return {
    domainEndpoint,
    settings: {
      writerRoleArn,
      allAccessRoleArns: allAccess.map((arn) => roleArn(arn, SECURITY_PROPERTY.allAccessRoleArns)),
      numberOfReplicas: integer(props[SECURITY_PROPERTY.numberOfReplicas], SECURITY_PROPERTY.numberOfReplicas, 0, 15),
      indexRetentionDays:
        props[SECURITY_PROPERTY.indexRetentionDays] === undefined || props[SECURITY_PROPERTY.indexRetentionDays] === ''
          ? undefined
          : integer(props[SECURITY_PROPERTY.indexRetentionDays], SECURITY_PROPERTY.indexRetentionDays, 1, 36500),
    },
  };
}

function roleArn(value: unknown, name: string): string {
  if (typeof value !== 'string' || !ROLE_ARN.test(value)) {
    throw new KongFleetError(`${WHERE}.${name}`, 'is not an IAM role ARN', {
      got: value,
      expected: 'arn:<partition>:iam::<account>:role/<name>',
    });
  }
  return value;
}

/** CloudFormation passes numbers as strings. */
function integer(value: unknown, name: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new KongFleetError(`${WHERE}.${name}`, 'is out of range', {
      got: value,
      expected: `an integer ${min}–${max}`,
    });
  }
  return n;
}

/** One JSON line; callers pass only non-secret fields. */
function log(fields: Record<string, string | undefined>): void {
  console.log(JSON.stringify({ handler: 'opensearch-security', ...fields }));
}
