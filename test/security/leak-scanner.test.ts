/**
 * The leak scanner: planted secrets of every kind are caught, in every form kong-fleet writes
 * (template JSON, ECS environment, boot scripts, kong.conf, Helm values, decK), and references to
 * secrets are not. Secrets are made at test time: none is committed.
 */
import { generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatLeak, scanForLeaks, scanText } from '../../src/security/leak-scanner';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const accessKey = ['AK', 'IA', 'Z'.repeat(4), '7'.repeat(12)].join('');
const secretAccessKey = 'w'.repeat(20) + 'J'.repeat(20);
const password = ['hun', 'ter', '2', 'x9Q'].join('');

const kinds = (text: string) => scanText(text, 'f').map((f) => f.kind);

describe('planted secrets are caught', () => {
  test.each([
    ['a PEM key in a file', pem, 'PEM private key'],
    ['a PEM key inside template JSON', JSON.stringify({ Value: pem }), 'PEM private key'],
    ['an AWS access key id', `aws_access_key_id = ${accessKey}`, 'AWS access key id'],
    ['an AWS secret access key', `aws_secret_access_key=${secretAccessKey}`, 'AWS secret access key'],
    [
      'a Kong license',
      JSON.stringify({ license: { payload: { license_key: 'ASDASDASDASDASDASDASDASD' } } }),
      'Kong license payload',
    ],
    ['a literal RDS password', JSON.stringify({ MasterUserPassword: password }), 'literal password in JSON'],
    [
      'a license as a plain ECS environment entry',
      JSON.stringify({ Environment: [{ Name: 'KONG_LICENSE_DATA', Value: '{"license":1}' }] }),
      'literal password in an environment entry',
    ],
    [
      'a password in user data',
      `export KONG_PG_PASSWORD=${password}`,
      'literal password in kong.conf, YAML or a shell assignment',
    ],
    [
      'a password in kong.conf',
      `pg_password = ${password}`,
      'literal password in kong.conf, YAML or a shell assignment',
    ],
    [
      'a password in Helm values',
      `env:\n  pg_password: ${password}\n`,
      'literal password in kong.conf, YAML or a shell assignment',
    ],
    [
      'a literal Redis password in a decK file',
      `redis:\n  password: ${password}\n`,
      'literal password in kong.conf, YAML or a shell assignment',
    ],
  ])('%s', (_, text, kind) => {
    expect(kinds(text)).toContain(kind);
  });

  test('in a synthesized-looking output directory, with file and line, never the value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-leak-'));
    try {
      fs.mkdirSync(path.join(dir, 'asset.abc'));
      fs.writeFileSync(path.join(dir, 'Clean.template.json'), JSON.stringify({ Resources: {} }, undefined, 1));
      fs.writeFileSync(
        path.join(dir, 'asset.abc', 'user-data.sh'),
        `#!/bin/bash\nset -e\nexport KONG_PG_PASSWORD=${password}\n`,
      );
      fs.writeFileSync(path.join(dir, 'binary.zip'), Buffer.from([0x50, 0x4b, 0, 0, ...Buffer.from(pem)]));
      const findings = scanForLeaks([dir]);
      expect(findings.map((f) => formatLeak(f, dir))).toEqual([
        'asset.abc/user-data.sh:3: literal password in kong.conf, YAML or a shell assignment',
      ]);
      expect(findings.map((f) => formatLeak(f, dir)).join('')).not.toContain(password);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('references to secrets are not leaks', () => {
  test.each([
    [
      'a dynamic reference',
      JSON.stringify({ MasterUserPassword: '{{resolve:secretsmanager:arn:x:SecretString:password::}}' }),
    ],
    ['a Kong vault reference', 'password: "{vault://aws/kong-fleet%2Fx%2Fredis-auth}"'],
    [
      'an ECS container secret',
      JSON.stringify({ Secrets: [{ Name: 'KONG_PG_PASSWORD', ValueFrom: 'arn:<partition>:secretsmanager:x' }] }),
    ],
    ['a shell variable', 'KONG_PG_PASSWORD="$(jq -r .password /run/secret.json)"'],
    ['PEM-writing code', 'const header = "-----BEGIN PRIVATE KEY-----";'],
    ['a password policy', JSON.stringify({ PasswordPolicy: { MinimumLength: 14 } })],
  ])('%s', (_, text) => {
    expect(kinds(text)).toEqual([]);
  });
});
