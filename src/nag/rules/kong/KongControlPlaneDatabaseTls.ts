import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import {
  bootScript,
  chartEnv,
  ecsContainers,
  ecsKongRole,
  ecsKongSetting,
  hasUserData,
  KONG_ROLE_CONTROL_PLANE,
  kongBoolean,
  kongChartValues,
  kongConfValue,
  scriptKongSetting,
} from '../../utils/kong';

type SettingReader = (setting: string) => unknown;

/** Kong's `database` (default postgres; `off` is DB-less). */
function usesPostgres(setting: SettingReader): boolean {
  const database = setting('database');
  return !(typeof database === 'string' && kongConfValue(database) === 'off');
}

/**
 * TLS to PostgreSQL is required: `pg_ssl` and `pg_ssl_required` on (pg_ssl alone falls back to
 * plain text when the server does not offer TLS), or `pg_iam_auth` on, which forces TLS
 * (kong.conf reference, DATASTORE section).
 */
function requiresTls(setting: SettingReader): boolean {
  if (kongBoolean(setting('pg_iam_auth'))) return true;
  return kongBoolean(setting('pg_ssl')) && kongBoolean(setting('pg_ssl_required'));
}

function verdict(setting: SettingReader): NagRuleCompliance {
  if (!usesPostgres(setting)) return NagRuleCompliance.NOT_APPLICABLE;
  return requiresTls(setting) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/**
 * A Kong control plane connects to its PostgreSQL database over TLS only: ECS containers with
 * KONG_ROLE=control_plane, `kong` Helm releases with env.role control_plane, and EC2 boot scripts
 * configuring `role = control_plane` set pg_ssl and pg_ssl_required on (or pg_iam_auth on).
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (node.cfnResourceType === 'AWS::ECS::TaskDefinition') {
      const planes = ecsContainers(node).filter((c) => ecsKongRole(c) === KONG_ROLE_CONTROL_PLANE);
      if (planes.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
      return planes.some((c) => verdict((s) => ecsKongSetting(c, s)) === NagRuleCompliance.NON_COMPLIANT)
        ? NagRuleCompliance.NON_COMPLIANT
        : NagRuleCompliance.COMPLIANT;
    }
    if (hasUserData(node)) {
      const script = bootScript(node);
      if (!script || scriptKongSetting(script, 'role') !== KONG_ROLE_CONTROL_PLANE) {
        return NagRuleCompliance.NOT_APPLICABLE;
      }
      return verdict((s) => scriptKongSetting(script, s));
    }
    const values = kongChartValues(node);
    if (!values || chartEnv(values).role !== KONG_ROLE_CONTROL_PLANE) return NagRuleCompliance.NOT_APPLICABLE;
    const env = chartEnv(values);
    return verdict((s) => env[s]);
  },
  'name',
  { value: parse(__filename).name },
);
