import * as fs from 'fs';
import type { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';

/**
 * CloudFormation refuses a stack of more than 500 resources or a template of more than 1 MB. The
 * guard fails synthesis well before either, so a growing fleet is split before deploys break.
 */
export const STACK_LIMITS = { maxResources: 450, maxTemplateBytes: 900 * 1024 } as const;

/**
 * A CDK validation plugin (`Validations.of(app).addPlugins(new StackLimitsGuard())`): synthesis
 * fails, naming each stack and its numbers, when a template passes {@link STACK_LIMITS}.
 * `FleetApp` adds it to every fleet.
 */
export class StackLimitsGuard implements IPolicyValidationPlugin {
  public readonly name = 'kong-fleet-stack-limits';
  public readonly ruleIds = ['StackResources', 'StackTemplateSize'];

  constructor(private readonly limits: { maxResources: number; maxTemplateBytes: number } = STACK_LIMITS) {}

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = [];
    for (const stack of context.stackTemplates) {
      const bytes = fs.statSync(stack.templatePath).size;
      const template = JSON.parse(fs.readFileSync(stack.templatePath, 'utf8')) as { Resources?: object };
      const resources = Object.keys(template.Resources ?? {}).length;
      const name = stack.stackConstructPath;
      if (resources > this.limits.maxResources) {
        violations.push({
          ruleName: 'StackResources',
          description: `stack ${name} has ${resources} resources, over kong-fleet's limit of ${this.limits.maxResources} (CloudFormation stops at 500)`,
          fix: 'split the stack: give data planes their own stacks or clusters',
          violatingResources: [{ constructPath: name, templatePath: stack.templatePath, locations: ['Resources'] }],
        });
      }
      if (bytes > this.limits.maxTemplateBytes) {
        violations.push({
          ruleName: 'StackTemplateSize',
          description: `stack ${name} has a template of ${(bytes / 1024).toFixed(0)} KB, over kong-fleet's limit of ${(this.limits.maxTemplateBytes / 1024).toFixed(0)} KB (CloudFormation stops at 1 MB)`,
          fix: 'split the stack',
          violatingResources: [{ constructPath: name, templatePath: stack.templatePath, locations: [''] }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}
