import * as fs from 'fs';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KongFleetChecks } from '../nag';

/** What `synth` and `check` run on every synthesized fleet, by validation-plugin name. */
export const SECURITY_CHECKS = ['AwsSolutions (cdk-nag)', 'KongFleet (kong-fleet rules, docs/nag-rules.md)'] as const;

/** cdk-nag's AwsSolutions pack and kong-fleet's own pack, as CDK validation plugins of `app`. */
export function attachSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new KongFleetChecks(app));
}

/** One unacknowledged finding of a validation plugin, as the CLI prints it. */
export interface ValidationFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly constructPath: string;
  readonly description: string;
}

interface ValidationReport {
  readonly pluginReports?: {
    readonly pluginName: string;
    readonly violations?: {
      readonly ruleName: string;
      readonly description: string;
      readonly violatingConstructs?: { readonly constructPath?: string }[];
    }[];
  }[];
}

/** The findings in the validation report CDK writes into the assembly directory. */
export function readValidationReport(outdir: string): ValidationFinding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ValidationReport;
  return (report.pluginReports ?? []).flatMap((plugin) =>
    (plugin.violations ?? []).flatMap((violation) =>
      (violation.violatingConstructs ?? [{}]).map((construct) => ({
        plugin: plugin.pluginName,
        rule: violation.ruleName,
        constructPath: construct.constructPath ?? '',
        description: violation.description.replace(/\s+/g, ' ').trim(),
      })),
    ),
  );
}

/** `path: rule: what` — one line per finding. */
export function formatFinding(finding: ValidationFinding): string {
  return `${finding.constructPath}: ${finding.rule}: ${finding.description}`;
}

/**
 * Runs `fn` with `console.error` held back: CDK prints its whole validation report there before
 * it throws; the CLI prints the findings itself, one line each.
 */
export function withoutConsoleReport<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return fn();
  } finally {
    console.error = original;
  }
}
