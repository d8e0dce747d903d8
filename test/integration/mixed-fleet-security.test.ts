/**
 * The "secure by default" bar on a large mixed fleet (examples/fleets/mixed.fleet.yaml: all four
 * data-plane runtimes, three regions, every shared service, fallback configuration, RDS IAM auth),
 * in both trust modes: zero unacknowledged cdk-nag AwsSolutions or KongFleet findings, nothing the
 * leak scanner flags, and the resilience settings in place.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parse, stringify } from 'yaml';
import { FleetApp } from '../../src/fleet/fleet-app';
import { parseFleet } from '../../src/fleet/load';
import { KongFleetChecks } from '../../src/nag';
import { secretFindings } from '../support/output-checks';
import { UNIT_TEST_CONTEXT } from '../support/synth';

const FILE = path.join(__dirname, '..', '..', 'examples', 'fleets', 'mixed.fleet.yaml');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-mixed-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(['pki', 'shared'] as const)('the mixed fleet in %s trust', (mode) => {
  const doc = parse(fs.readFileSync(FILE, 'utf8'));
  doc.certificates = { mode };
  const { model, issues } = parseFleet(stringify(doc));
  if (!model) throw new Error(JSON.stringify(issues));
  const outdir = path.join(tmp, mode);
  const app = new FleetApp(model, { outdir, context: UNIT_TEST_CONTEXT });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new KongFleetChecks(app));
  // Throws on any unacknowledged finding of either pack.
  const assembly = app.synth();
  const template = (name: string) => JSON.stringify(assembly.getStackByName(name).template);

  test('synthesizes every stack with both packs attached and no finding', () => {
    const kinds = new Set(app.fleetStacks.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['cluster', 'control-plane', 'data-plane', 'fallback', 'network', 'services']);
    expect(assembly.stacks.length).toBe(app.fleetStacks.length);
  });

  test('the leak scanner finds nothing in the output', () => {
    expect(secretFindings(outdir)).toEqual([]);
  });

  test('the control plane signs in with IAM: pg_iam_auth on, no database password anywhere in its settings', () => {
    const cp = template('mixed-cp');
    expect(cp).toContain('\\"pg_iam_auth\\":\\"on\\"');
    expect(cp).not.toMatch(/pg_password/);
    expect(cp).toContain('rds-db:connect');
  });

  test('every AWS data plane imports the fallback configuration; the exporter exports it', () => {
    for (const dp of model.dataPlanes.filter((d) => d.runtime !== 'kubernetes')) {
      expect({
        dp: dp.name,
        imports: /CLUSTER_FALLBACK_CONFIG_IMPORT|cluster_fallback_config_import/.test(template(`mixed-dp-${dp.name}`)),
      }).toEqual({
        dp: dp.name,
        imports: true,
      });
    }
    expect(template('mixed-fallback')).toContain('KONG_CLUSTER_FALLBACK_CONFIG_EXPORT');
  });
});
