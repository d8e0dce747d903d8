/**
 * Kong nodes as CloudFormation describes them, on each runtime kong-fleet (or anyone) deploys Kong
 * to: an ECS container's KONG_* environment, the `env` of the `kong` Helm chart, and the kong.conf
 * lines and KONG_* assignments of an EC2 boot script. Kong reads a setting from kong.conf and lets a
 * KONG_<NAME> environment variable override it (Kong/kong kong/conf_loader).
 */
import { CfnResource } from 'aws-cdk-lib';
import { cfnGet, cfnJson, cfnList, cfnProperties, CfnValue, isCfnObject, userDataText } from './cfn';

export const KONG_ROLE_DATA_PLANE = 'data_plane';
export const KONG_ROLE_CONTROL_PLANE = 'control_plane';

/** The resource type aws-eks(-v2) HelmChart writes, and the name of Kong's chart in it. */
export const HELM_CHART_RESOURCE = 'Custom::AWSCDK-EKS-HelmChart';
export const KONG_HELM_CHART = 'kong';

/** Kong's defaults for the settings the rules read (kong.conf.default, Kong Gateway 3.x). */
export const KONG_DEFAULTS: Readonly<Record<string, string>> = {
  role: 'traditional',
  database: 'postgres',
  pg_ssl: 'off',
  pg_ssl_required: 'off',
  pg_iam_auth: 'off',
};

/** Kong's boolean parsing: `on` and `true` are true, anything else false (kong/conf_loader/parse.lua). */
export function kongBoolean(value: unknown): boolean {
  return value === true || (typeof value === 'string' && ['on', 'true'].includes(kongConfValue(value)));
}

/** A kong.conf value as Kong reads it: the trailing `# comment` removed, whitespace trimmed. */
export function kongConfValue(value: string): string {
  return value.replace(/(^|[^\\])#.*$/, '$1').trim();
}

/** The environment variable Kong reads a setting from (`pg_ssl` → `KONG_PG_SSL`). */
export function kongEnvName(setting: string): string {
  return `KONG_${setting.toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------
// ECS
// ---------------------------------------------------------------------------------------------

/** One container of an ECS task definition, as far as Kong settings go. */
export interface EcsContainer {
  readonly name: string;
  /** `Environment` entries in order (a later duplicate wins). */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: CfnValue }>;
  /** Names of `Secrets` entries (values ECS fetches from Secrets Manager or SSM). */
  readonly secrets: ReadonlySet<string>;
}

/** The containers of an AWS::ECS::TaskDefinition. */
export function ecsContainers(taskDefinition: CfnResource): EcsContainer[] {
  return (cfnList(cfnProperties(taskDefinition).ContainerDefinitions) ?? []).filter(isCfnObject).map((c) => ({
    name: String(c.Name ?? ''),
    environment: (cfnList(c.Environment) ?? [])
      .filter(isCfnObject)
      .filter((e) => typeof e.Name === 'string')
      .map((e) => ({ name: e.Name as string, value: e.Value })),
    secrets: new Set(
      (cfnList(c.Secrets) ?? []).map((s) => cfnGet(s, 'Name')).filter((n): n is string => typeof n === 'string'),
    ),
  }));
}

/** A Kong setting of an ECS container: its KONG_<NAME> environment value, else undefined. */
export function ecsKongSetting(container: EcsContainer, setting: string): CfnValue {
  const env = kongEnvName(setting);
  return [...container.environment].reverse().find((e) => e.name === env)?.value;
}

/** The Kong role of an ECS container (KONG_ROLE), or undefined for a container without one. */
export function ecsKongRole(container: EcsContainer): string | undefined {
  const role = ecsKongSetting(container, 'role');
  return typeof role === 'string' ? role.trim() : undefined;
}

// ---------------------------------------------------------------------------------------------
// Helm (EKS)
// ---------------------------------------------------------------------------------------------

/**
 * The values of a release of Kong's `kong` chart (`Custom::AWSCDK-EKS-HelmChart` with Chart `kong`),
 * or undefined for any other resource. Tokens in the values read as `<cfn-token>`.
 */
export function kongChartValues(node: CfnResource): Record<string, unknown> | undefined {
  if (node.cfnResourceType !== HELM_CHART_RESOURCE) return undefined;
  const props = cfnProperties(node);
  if (props.Chart !== KONG_HELM_CHART) return undefined;
  if (props.Values === undefined) return {};
  const values = cfnJson(props.Values);
  return isCfnObject(values) ? values : {};
}

/** The chart's `env` map (settings without the KONG_ prefix, lower case). */
export function chartEnv(values: Record<string, unknown>): Record<string, unknown> {
  const env = values.env;
  return isCfnObject(env) ? env : {};
}

// ---------------------------------------------------------------------------------------------
// EC2 boot scripts
// ---------------------------------------------------------------------------------------------

/** Resource types with an EC2 `UserData`, and where it is. */
const USER_DATA_PATHS: Readonly<Record<string, readonly string[]>> = {
  'AWS::EC2::LaunchTemplate': ['LaunchTemplateData', 'UserData'],
  'AWS::AutoScaling::LaunchConfiguration': ['UserData'],
  'AWS::EC2::Instance': ['UserData'],
};

/** True for the resource types that carry an EC2 boot script. */
export function hasUserData(node: CfnResource): boolean {
  return node.cfnResourceType in USER_DATA_PATHS;
}

/** The boot script of a launch template, launch configuration or instance, when it can be read. */
export function bootScript(node: CfnResource): string | undefined {
  const path = USER_DATA_PATHS[node.cfnResourceType];
  if (!path) return undefined;
  const userData = cfnGet(cfnProperties(node), ...path);
  return userData === undefined ? undefined : userDataText(userData);
}

/** Every `<setting> = value` line of a kong.conf written by the script, in order. */
export function scriptConfValues(script: string, setting: string): string[] {
  const line = new RegExp(`^[ \\t]*${setting}[ \\t]*=(.*)$`, 'gm');
  return [...script.matchAll(line)].map((m) => kongConfValue(m[1]));
}

/** Every `KONG_<SETTING>=value` assignment in the script (shell, env file, systemd, docker -e), in order. */
export function scriptEnvValues(script: string, setting: string): string[] {
  const assignment = new RegExp(`(?:^|[^A-Za-z0-9_])${kongEnvName(setting)}=("[^"\\n]*"|'[^'\\n]*'|[^\\s;]*)`, 'g');
  return [...script.matchAll(assignment)].map((m) => m[1]);
}

/** Removes one pair of matching shell quotes. */
export function unquote(value: string): string {
  return /^(["']).*\1$/s.test(value) ? value.slice(1, -1) : value;
}

/**
 * A Kong setting of the node the script configures: the last KONG_<NAME> assignment, else the last
 * kong.conf line, else undefined.
 */
export function scriptKongSetting(script: string, setting: string): string | undefined {
  const env = scriptEnvValues(script, setting);
  if (env.length > 0) return unquote(env[env.length - 1]).trim();
  const conf = scriptConfValues(script, setting);
  return conf.length > 0 ? conf[conf.length - 1] : undefined;
}
