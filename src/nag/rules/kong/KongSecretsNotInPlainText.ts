import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isVaultReference } from '../../../kong/vault';
import { CFN_TOKEN_TEXT, cfnText, isCfnObject } from '../../utils/cfn';
import {
  bootScript,
  chartEnv,
  ecsContainers,
  hasUserData,
  kongChartValues,
  kongEnvName,
  scriptConfValues,
  scriptEnvValues,
  unquote,
} from '../../utils/kong';

/** Kong settings whose value is a secret: the license, the cluster private key, database passwords. */
export const KONG_SECRET_SETTINGS: readonly string[] = [
  'license_data',
  'cluster_cert_key',
  'pg_password',
  'pg_ro_password',
];

/** A PEM private key (PKCS#1, PKCS#8, SEC1, encrypted or OpenSSH). */
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * True when `text`, the value of `setting`, is the secret itself rather than a way to get it: not
 * empty, not a Kong vault reference (`{vault://…}`), not a file path for `cluster_cert_key` (Kong
 * accepts a path, PEM or base64 PEM there), and — in scripts — not a shell expansion (`$VAR`, `$(…)`).
 */
function isLiteralSecret(setting: string, text: string, inScript: boolean): boolean {
  const value: string = unquote(text.trim()).trim();
  if (value === '' || isVaultReference(value as unknown)) return false;
  if (setting === 'cluster_cert_key' && value.startsWith('/')) return false;
  if (inScript && value.startsWith('$')) return false;
  return true;
}

/** ECS: Kong secret settings in `Environment` (readable by anyone who can describe the task definition). */
function taskDefinition(node: CfnResource): NagRuleCompliance {
  for (const container of ecsContainers(node)) {
    for (const { name, value } of container.environment) {
      const text = cfnText(value);
      if (text !== undefined && PEM_PRIVATE_KEY.test(text)) return NagRuleCompliance.NON_COMPLIANT;
      const setting = KONG_SECRET_SETTINGS.find((s) => kongEnvName(s) === name);
      // A token (a parameter, a dynamic reference) also ends up as plain text in the task definition.
      if (setting && isLiteralSecret(setting, text ?? CFN_TOKEN_TEXT, false)) return NagRuleCompliance.NON_COMPLIANT;
    }
  }
  return NagRuleCompliance.COMPLIANT;
}

/** Helm: Kong secret settings in the chart's `env` as strings (allowed: `valueFrom` references). */
function kongChart(values: Record<string, unknown>): NagRuleCompliance {
  for (const [key, value] of Object.entries(chartEnv(values))) {
    if (typeof value === 'string' && PEM_PRIVATE_KEY.test(value)) return NagRuleCompliance.NON_COMPLIANT;
    const setting = KONG_SECRET_SETTINGS.find((s) => s === key.toLowerCase());
    if (!setting || value === undefined || value === null) continue;
    if (isCfnObject(value) && 'valueFrom' in value) continue;
    if (typeof value !== 'string' || isLiteralSecret(setting, value, false)) return NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.COMPLIANT;
}

/** EC2: a boot script that writes a Kong secret (or any private key) into itself. */
function bootScriptOf(node: CfnResource): NagRuleCompliance {
  const script = bootScript(node);
  if (script === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  if (PEM_PRIVATE_KEY.test(script)) return NagRuleCompliance.NON_COMPLIANT;
  for (const setting of KONG_SECRET_SETTINGS) {
    const values = [...scriptEnvValues(script, setting), ...scriptConfValues(script, setting)];
    if (values.some((v) => isLiteralSecret(setting, v, true))) return NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.COMPLIANT;
}

/**
 * A Kong license, cluster private key or database password is never written into the template as
 * plain text: not into ECS container `Environment` (use `Secrets`), not into the `kong` chart's
 * `env` (use `valueFrom.secretKeyRef`), not into EC2 user data (read it at boot), and no PEM private
 * key anywhere in them. Kong vault references (`{vault://aws/…}`) are fine everywhere.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (node.cfnResourceType === 'AWS::ECS::TaskDefinition') return taskDefinition(node);
    if (hasUserData(node)) return bootScriptOf(node);
    const values = kongChartValues(node);
    return values ? kongChart(values) : NagRuleCompliance.NOT_APPLICABLE;
  },
  'name',
  { value: parse(__filename).name },
);
