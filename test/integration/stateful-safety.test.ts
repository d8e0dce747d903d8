/**
 * Stateful safety: what survives a stack deletion. Every resource that holds data or trust is
 * retained (or snapshotted) by default, in both trust modes, with every shared service on; what
 * belongs to one data plane alone (its certificate) goes with it. docs/operations.md describes the
 * tear-down path that follows from this.
 */
import { stringify, parse } from 'yaml';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeTemplates } from '../../src/cli/main';
import { parseFleet } from '../../src/fleet/load';
import type { StackTemplates } from '../../src/fleet/plan';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'shared-services.fleet.yaml');

function fleet(mode: 'pki' | 'shared'): StackTemplates {
  const doc = parse(fs.readFileSync(EXAMPLE, 'utf8'));
  doc.certificates = { mode };
  const { model, issues } = parseFleet(stringify(doc));
  if (!model) throw new Error(JSON.stringify(issues));
  return synthesizeTemplates(model);
}

/** [stack, logicalId, type, DeletionPolicy, UpdateReplacePolicy] of every resource of `types`. */
function policies(stacks: StackTemplates, types: readonly string[]) {
  return Object.entries(stacks).flatMap(([stack, { template }]) =>
    Object.entries<any>((template as any).Resources)
      .filter(([, r]) => types.includes(r.Type))
      .map(([id, r]) => ({ stack, id, type: r.Type, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy })),
  );
}

const KEEP = ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::ACMPCA::CertificateAuthority', 'AWS::ACMPCA::Certificate'];
const KEEP_TOO = [
  'AWS::ACMPCA::CertificateAuthorityActivation',
  'AWS::OpenSearchService::Domain',
  'AWS::Cognito::UserPool',
  'AWS::APS::Workspace',
  'AWS::Grafana::Workspace',
];
const SNAPSHOT = ['AWS::RDS::DBInstance', 'AWS::ElastiCache::ReplicationGroup'];

describe.each(['pki', 'shared'] as const)('%s trust, every shared service on', (mode) => {
  const stacks = fleet(mode);

  test('keys, buckets, the CA, search, user pools and workspaces are retained', () => {
    const found = policies(stacks, [...KEEP, ...KEEP_TOO]);
    expect(found.length).toBeGreaterThan(10);
    expect(found.filter((r) => r.deletion !== 'Retain' || r.replace !== 'Retain')).toEqual([]);
    if (mode === 'pki') expect(found.some((r) => r.type === 'AWS::ACMPCA::CertificateAuthority')).toBe(true);
  });

  test('the database and Redis end in a snapshot', () => {
    const found = policies(stacks, SNAPSHOT);
    expect(found.map((r) => r.type).sort()).toEqual([
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::RDS::DBInstance',
    ]);
    expect(found.filter((r) => r.deletion !== 'Snapshot' || r.replace !== 'Snapshot')).toEqual([]);
    const db = Object.values<any>((stacks['kong-services-cp'].template as any).Resources).find(
      (r) => r.Type === 'AWS::RDS::DBInstance',
    );
    expect(db.Properties.DeletionProtection).toBe(true);
  });

  test('the control plane keeps its secrets (trust, database); a data plane’s certificate goes with it', () => {
    const secrets = policies(stacks, ['AWS::SecretsManager::Secret']);
    const cp = secrets.filter((s) => s.stack === 'kong-services-cp');
    expect(cp.length).toBeGreaterThanOrEqual(2);
    expect(cp.filter((s) => s.deletion !== 'Retain')).toEqual([]);
    const dp = secrets.filter((s) => s.stack.startsWith('kong-services-dp-'));
    expect(dp.length).toBeGreaterThanOrEqual(4);
    expect(dp.filter((s) => s.deletion !== 'Delete')).toEqual([]);
  });
});
