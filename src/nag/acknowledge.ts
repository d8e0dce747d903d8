import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Name of the KongFleetChecks pack: the validation plugin name and the prefix of its rule ids. */
export const KONG_FLEET_NAG_PACK = 'KongFleet';

/**
 * Acknowledges a KongFleetChecks finding (`rule` = `KONG3`, `EKS1`…) on `scope` and what it
 * contains, with the reason next to the code that causes it — the KongFleet counterpart of
 * `acknowledgeNag` (src/core/acknowledge.ts). Imports no cdk-nag, so constructs can call it without
 * depending on cdk-nag. CDK matches the id `<plugin>::<rule id>` against the pack's findings.
 */
export function acknowledgeKongFleetNag(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `${KONG_FLEET_NAG_PACK}::${KONG_FLEET_NAG_PACK}-${rule}`,
    reason,
  });
}
