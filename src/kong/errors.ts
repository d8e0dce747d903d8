/**
 * The one error type of kong-fleet. Every validation failure — in the Kong model, in a
 * construct's props, in the fleet file — is thrown as a `KongFleetError` whose message reads
 * `<where>: <what is wrong> (got <value>; expected <rule>)`.
 *
 * `where` is a construct path (`KongCpEks/ControlPlane`), a model path
 * (`controlPlane.clusterListen`) or a file location (`fleet.yaml:12:3 dataPlanes[0].name`).
 */
export class KongFleetError extends Error {
  public readonly where: string;
  public readonly problem: string;

  constructor(where: string, problem: string, details?: { got?: unknown; expected?: string }) {
    super(KongFleetError.format(where, problem, details));
    this.name = 'KongFleetError';
    this.where = where;
    this.problem = problem;
  }

  private static format(where: string, problem: string, details?: { got?: unknown; expected?: string }): string {
    const parts: string[] = [];
    if (details && 'got' in details) parts.push(`got ${describe(details.got)}`);
    if (details?.expected) parts.push(`expected ${details.expected}`);
    return parts.length > 0 ? `${where}: ${problem} (${parts.join('; ')})` : `${where}: ${problem}`;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
