/** `npx tsx examples/kubernetes-dp.ts <dir> <mode>` as a user runs it: files written, a clear error for a bad mode. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { secretFindings } from '../support/output-checks';

const REPO = path.resolve(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-k8s-dp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  return spawnSync('npx', ['tsx', 'examples/kubernetes-dp.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, JSII_DEPRECATED: 'quiet' },
    timeout: 60_000,
  });
}

test('pki: writes values.yaml and secrets.md, prints the helm command, no secret value', () => {
  const result = run(dir, 'pki');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('helm upgrade --install kong-dp kong --repo https://charts.konghq.com');
  const values = parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'));
  expect(values.env).toMatchObject({
    role: 'data_plane',
    cluster_mtls: 'pki',
    cluster_server_name: 'cluster.kong.example.com',
  });
  expect(fs.readFileSync(path.join(dir, 'secrets.md'), 'utf8')).toContain('kong-cluster-cert');
  expect(secretFindings(dir)).toEqual([]);
});

test('a bad mode is one error line and exit code 2, no stack trace', () => {
  const result = run(dir, 'tls');
  expect(result.status).toBe(2);
  expect(
    result.stderr
      .trim()
      .split('\n')
      .filter((l) => !/NodeVersionSupportWarning|^$/.test(l)),
  ).toEqual(['error: argument mode: is not a Kong cluster_mtls mode (got "tls"; expected shared or pki)']);
});
