/**
 * RDS IAM authentication in the Kong model (`postgres.iamAuth`, `postgres.trustedCa`): the settings it
 * renders for every runtime (env, kong.conf, Helm values, EC2 boot script), the configurations it
 * refuses, and every name it writes checked against Kong Enterprise 3.15's reference.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  KONG_EC2_PATHS,
  KONG_REFERENCE_FILES,
  MODEL_MERGED_SETTINGS,
  MODEL_OWNED_SETTINGS,
  PostgresSettings,
  TrustedCaBundle,
  controlPlaneConfig,
  defaultReferenceDir,
  findUnknownHelmValues,
  loadKongReference,
  rdsCaBundleUrl,
  renderEnvironment,
  renderHelmValues,
  renderKongConf,
  renderKongUserData,
  secretRef,
  toKongSettings,
} from '../../src/kong';
import { CERT_FILES, POSTGRES, errorOf } from './fixtures';

const HOST = 'kong-db.abc123.eu-west-1.rds.amazonaws.com';
const CA: TrustedCaBundle = { path: '/etc/kong-fleet/postgres-ca/ca-bundle.pem', url: rdsCaBundleUrl('eu-west-1') };
const IAM: PostgresSettings = { host: HOST, user: 'kong_iam', iamAuth: true, trustedCa: CA };

function cp(postgres: PostgresSettings, extra?: Record<string, string>, version = '3.10.0.6') {
  return controlPlaneConfig({ version, postgres, ...CERT_FILES, extra });
}

/** The message of the KongFleetError building this control plane throws. */
function problem(postgres: PostgresSettings, extra?: Record<string, string>, version?: string): string {
  return errorOf(() => cp(postgres, extra, version)).message;
}

const HELM = { fullnameOverride: 'kong-cp', secretVolumes: ['kong-cluster-cert'] };

const EE_PARAMS = Object.keys(
  JSON.parse(fs.readFileSync(path.join(defaultReferenceDir(), KONG_REFERENCE_FILES.enterpriseConf), 'utf8')).params,
);

describe('rdsCaBundleUrl', () => {
  test("GIVEN a region THEN it is the region's bundle on the RDS trust store, over HTTPS", () => {
    expect(rdsCaBundleUrl('eu-west-1')).toBe('https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem');
  });
});

describe('toKongSettings with iamAuth', () => {
  const settings = toKongSettings(cp(IAM));

  test('GIVEN iamAuth THEN pg_iam_auth, TLS required and verified, the IAM user, and no pg_password', () => {
    expect(Object.fromEntries([...settings].filter(([name]) => name.startsWith('pg_')))).toEqual({
      pg_host: HOST,
      pg_port: '5432',
      pg_database: 'kong',
      pg_user: 'kong_iam',
      pg_iam_auth: 'on',
      pg_ssl: 'on',
      pg_ssl_required: 'on',
      pg_ssl_verify: 'on',
    });
    expect(settings.has('pg_password')).toBe(false);
  });

  test('GIVEN trustedCa THEN Kong trusts the system store and the bundle', () => {
    expect(settings.get('lua_ssl_trusted_certificate')).toBe(`system,${CA.path}`);
  });

  test('GIVEN a password-mode database THEN nothing IAM is rendered and the certificate is not verified (as before)', () => {
    const s = toKongSettings(cp(POSTGRES));
    expect(s.get('pg_password')).toEqual(POSTGRES.password);
    expect(s.has('pg_iam_auth')).toBe(false);
    expect(s.has('lua_ssl_trusted_certificate')).toBe(false);
    expect(s.get('pg_ssl_verify')).toBe('off');
  });

  test('GIVEN iamAuth with sslVerify false THEN verification is off and no CA bundle is needed', () => {
    const s = toKongSettings(cp({ host: HOST, user: 'kong_iam', iamAuth: true, sslVerify: false }));
    expect(s.get('pg_ssl_verify')).toBe('off');
    expect(s.get('pg_iam_auth')).toBe('on');
  });

  test('GIVEN extra.lua_ssl_trusted_certificate THEN the bundle is appended once, after the listed CAs', () => {
    expect(
      toKongSettings(cp(IAM, { lua_ssl_trusted_certificate: '/etc/ssl/corp.pem' })).get('lua_ssl_trusted_certificate'),
    ).toBe(`/etc/ssl/corp.pem,${CA.path}`);
    expect(
      toKongSettings(cp(IAM, { lua_ssl_trusted_certificate: `system, ${CA.path}` })).get('lua_ssl_trusted_certificate'),
    ).toBe(`system,${CA.path}`);
  });

  test("GIVEN extra.pg_iam_auth 'on' with iamAuth THEN it agrees and is rendered once", () => {
    expect(toKongSettings(cp(IAM, { pg_iam_auth: 'on' })).get('pg_iam_auth')).toBe('on');
  });
});

describe('renderers with iamAuth', () => {
  const config = cp(IAM);

  test('GIVEN iamAuth THEN no runtime is told about a database password', () => {
    const env = renderEnvironment(config);
    expect(env.environment.KONG_PG_IAM_AUTH).toBe('on');
    expect(env.environment.KONG_PG_USER).toBe('kong_iam');
    expect(Object.keys({ ...env.environment, ...env.secrets })).not.toContain('KONG_PG_PASSWORD');
    const conf = renderKongConf(config);
    expect(conf.text).toMatch(/^pg_iam_auth = on$/m);
    expect(conf.text).toMatch(/^pg_ssl_verify = on$/m);
    expect(conf.text).toContain(`lua_ssl_trusted_certificate = system,${CA.path}`);
    expect(conf.text).not.toMatch(/pg_password/);
    expect(Object.keys(conf.environmentSecrets)).not.toContain('KONG_PG_PASSWORD');
  });

  test('GIVEN iamAuth on Helm THEN an init container fetches the bundle into an emptyDir mounted read-only for Kong', () => {
    const values = renderHelmValues(config, HELM) as any;
    expect(values.env.pg_iam_auth).toBe('on');
    expect(values.env).not.toHaveProperty('pg_password');
    const [init] = values.deployment.initContainers;
    expect(init.env).toEqual([{ name: 'CA_BUNDLE_URL', value: CA.url }]);
    expect(init.volumeMounts).toEqual([{ name: 'postgres-ca', mountPath: '/etc/kong-fleet/postgres-ca' }]);
    const script: string = init.command[2];
    expect(script).toContain("--proto '=https'");
    expect(script).toContain('-sSf');
    expect(script).not.toContain(CA.url); // through the environment, never in the script
    expect(script).toContain(`mv '${CA.path}.download' '${CA.path}'`);
    expect(init.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(values.deployment.userDefinedVolumes).toEqual([{ name: 'postgres-ca', emptyDir: { sizeLimit: '1Mi' } }]);
    expect(values.deployment.userDefinedVolumeMounts).toEqual([
      { name: 'postgres-ca', mountPath: '/etc/kong-fleet/postgres-ca', readOnly: true },
    ]);
  });

  test('GIVEN a password-mode database on Helm THEN no init container or volume is added', () => {
    expect(renderHelmValues(cp(POSTGRES), HELM)).not.toHaveProperty('deployment');
  });

  test('GIVEN the CA bundle directly in a Secret volume or at the root THEN Helm refuses (the emptyDir needs its own directory)', () => {
    for (const bad of ['/etc/secrets/ca.pem', '/etc/secrets/x/ca.pem']) {
      expect(errorOf(() => renderHelmValues(cp({ ...IAM, trustedCa: { ...CA, path: bad } }), HELM)).message).toMatch(
        /^helm\.postgres\.trustedCa\.path: needs a directory of its own/,
      );
    }
  });

  test('GIVEN iamAuth on EC2 THEN the boot script fetches the bundle over HTTPS before kong.conf and migrations, reads no database secret', () => {
    const userData = renderKongUserData({
      config: cp({ ...IAM, trustedCa: { ...CA, path: KONG_EC2_PATHS.postgresCaBundle } }),
      secretArns: { 'cluster-credentials': `arn:${'aws'}:secretsmanager:eu-west-1:111111111111:secret:cluster` },
      signal: { stackName: 'Cp', logicalId: 'Asg', region: 'eu-west-1' },
    });
    const script = userData.script;
    const fetch = script.indexOf(
      `curl -sSf --retry 5 --proto '=https' --tlsv1.2 -o '${KONG_EC2_PATHS.postgresCaBundle}.download' '${CA.url}'`,
    );
    expect(fetch).toBeGreaterThan(0);
    expect(script.indexOf("grep -q -- '-----BEGIN CERTIFICATE-----'")).toBeGreaterThan(fetch);
    expect(script).toContain(
      `install -m 0644 -o root -g kong '${KONG_EC2_PATHS.postgresCaBundle}.download' '${KONG_EC2_PATHS.postgresCaBundle}'`,
    );
    expect(script.indexOf(`cat > ${KONG_EC2_PATHS.conf}`)).toBeGreaterThan(fetch);
    expect(script.indexOf('kong-migrations.service')).toBeGreaterThan(fetch);
    expect(userData.kongConf).toContain(`lua_ssl_trusted_certificate = system,${KONG_EC2_PATHS.postgresCaBundle}`);
    expect(userData.environmentSecrets).toEqual({});
    expect(script).not.toMatch(/PG_PASSWORD|\[database\]/);
  });

  test('GIVEN a password-mode database on EC2 THEN no bundle is fetched (the check above can fail)', () => {
    const userData = renderKongUserData({
      config: cp({ ...POSTGRES, user: secretRef('database', 'username'), password: secretRef('database', 'password') }),
      secretArns: {
        'cluster-credentials': `arn:${'aws'}:secretsmanager:eu-west-1:111111111111:secret:cluster`,
        database: `arn:${'aws'}:secretsmanager:eu-west-1:111111111111:secret:db`,
      },
      signal: { stackName: 'Cp', logicalId: 'Asg', region: 'eu-west-1' },
    });
    expect(userData.script).not.toContain('database CA bundle');
    expect(Object.keys(userData.environmentSecrets)).toEqual(['KONG_PG_PASSWORD', 'KONG_PG_USER']);
  });
});

describe('validation of iamAuth', () => {
  test('GIVEN a password with iamAuth THEN it is refused and the error does not repeat the password', () => {
    const message = problem({ ...IAM, password: 'hunter2-literal' });
    expect(message).toMatch(
      /^controlPlane\.postgres\.password: RDS IAM authentication signs a token instead of a password/,
    );
    expect(message).not.toContain('hunter2-literal');
    expect(problem({ ...IAM, password: secretRef('db', 'password') })).toMatch(/got "SecretRef db"/);
  });

  test('GIVEN iamAuth without TLS THEN it is refused', () => {
    expect(problem({ ...IAM, ssl: false })).toMatch(
      /^controlPlane\.postgres\.ssl: RDS IAM authentication \(pg_iam_auth\) needs TLS to the database/,
    );
  });

  test.each(['3.2.1.4', '3.0.0.0'])('GIVEN Kong %s (before pg_iam_auth) THEN iamAuth is refused', (version) => {
    expect(problem(IAM, undefined, version)).toMatch(
      new RegExp(
        `^controlPlane\\.postgres\\.iamAuth: RDS IAM authentication \\(pg_iam_auth\\) came with Kong Gateway Enterprise 3\\.3 \\(got "${version.replace(/\./g, '\\.')}"`,
      ),
    );
  });

  test('GIVEN Kong 3.3 THEN iamAuth is accepted', () => {
    expect(() => cp(IAM, undefined, '3.3.0.0')).not.toThrow();
  });

  test("GIVEN extra.pg_iam_auth 'off' with iamAuth THEN the contradiction is reported", () => {
    expect(problem(IAM, { pg_iam_auth: 'off' })).toMatch(
      /^controlPlane\.extra\.pg_iam_auth: contradicts postgres\.iamAuth/,
    );
  });

  test('GIVEN a CNAME in front of RDS THEN iamAuth is refused (Kong signs for the region in the endpoint)', () => {
    expect(problem({ ...IAM, host: 'db.kong.example.com' })).toMatch(
      /^controlPlane\.postgres\.host: Kong signs IAM tokens for the region in the RDS endpoint name/,
    );
    expect(() => cp({ ...IAM, host: 'kong.xyz.cn-north-1.rds.amazonaws.com.cn' })).not.toThrow();
    expect(() => cp({ ...IAM, host: '${Token[TOKEN.123]}' })).not.toThrow();
  });

  test('GIVEN verification without a CA for RDS THEN it is refused with the way out', () => {
    expect(problem({ host: HOST, user: 'kong_iam', iamAuth: true })).toMatch(
      /^controlPlane\.postgres\.trustedCa: Amazon RDS certificates do not chain to the system trust store/,
    );
    expect(() =>
      cp({ host: HOST, user: 'kong_iam', iamAuth: true }, { lua_ssl_trusted_certificate: '/etc/ssl/rds.pem' }),
    ).not.toThrow();
  });

  test.each<[Partial<TrustedCaBundle>, RegExp]>([
    [
      { url: 'http://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem' },
      /trustedCa\.url: the CA bundle must be fetched over HTTPS/,
    ],
    [{ url: "https://x/'; rm -rf /" }, /trustedCa\.url: the CA bundle must be fetched over HTTPS/],
    [{ path: 'ca.pem' }, /trustedCa\.path: not an absolute file path in a directory of its own/],
    [{ path: '/ca.pem' }, /trustedCa\.path: not an absolute file path/],
    [{ path: '/etc/a,b/ca.pem' }, /trustedCa\.path: not an absolute file path/],
    [{ path: '/etc/../ca.pem' }, /trustedCa\.path: not an absolute file path/],
  ])('GIVEN trustedCa %p THEN it is refused', (change, pattern) => {
    expect(problem({ ...IAM, trustedCa: { ...CA, ...change } })).toMatch(pattern);
  });

  test('GIVEN trustedCa and extra.lua_ssl_trusted_certificate from a secret THEN they cannot be merged', () => {
    expect(
      errorOf(() =>
        controlPlaneConfig({
          postgres: IAM,
          ...CERT_FILES,
          extra: { lua_ssl_trusted_certificate: secretRef('cas', 'pem') },
        }),
      ).message,
    ).toMatch(/^controlPlane\.extra\.lua_ssl_trusted_certificate: cannot add postgres\.trustedCa/);
  });

  test('GIVEN assume-role settings THEN they need iamAuth and Kong 3.8', () => {
    const arn = { pg_iam_auth_assume_role_arn: `arn:${'aws'}:iam::111111111111:role/kong-db` };
    expect(() => cp(IAM, arn, '3.8.0.0')).not.toThrow();
    expect(problem(IAM, arn, '3.7.1.0')).toMatch(
      /^controlPlane\.extra\.pg_iam_auth_assume_role_arn: assuming a role for RDS IAM authentication came with Kong 3\.8/,
    );
    expect(problem(POSTGRES, arn)).toMatch(
      /^controlPlane\.extra\.pg_iam_auth_assume_role_arn: Kong reads it only with RDS IAM authentication/,
    );
  });

  test('GIVEN iamAuth that is not a boolean THEN it is refused', () => {
    expect(problem({ ...IAM, iamAuth: 'yes' as unknown as boolean })).toMatch(
      /^controlPlane\.postgres\.iamAuth: must be true or false/,
    );
  });
});

describe("iamAuth against Kong's reference files", () => {
  const reference = loadKongReference(defaultReferenceDir());

  test('GIVEN the settings iamAuth renders THEN every name is a Kong Enterprise 3.15 setting', () => {
    const names = [...toKongSettings(cp(IAM)).keys()];
    for (const name of ['pg_iam_auth', 'pg_ssl_required', 'pg_ssl_verify', 'lua_ssl_trusted_certificate']) {
      expect(names).toContain(name);
    }
    expect(names.filter((name) => !EE_PARAMS.includes(name))).toEqual([]);
  });

  test('GIVEN the IAM settings the model knows of THEN they exist in 3.15, including the read-only twin', () => {
    for (const name of [
      ...MODEL_MERGED_SETTINGS,
      'pg_iam_auth_assume_role_arn',
      'pg_iam_auth_role_session_name',
      'pg_iam_auth_sts_endpoint_url',
      'pg_ro_iam_auth',
    ]) {
      expect(EE_PARAMS).toContain(name);
    }
    expect(EE_PARAMS).not.toContain('pg_iam_auth_region'); // the check can fail: not every name exists
  });

  test('GIVEN the merged settings THEN the model does not also own them (extra may set them)', () => {
    expect([...MODEL_MERGED_SETTINGS].filter((name) => MODEL_OWNED_SETTINGS.has(name))).toEqual([]);
  });

  /** Keys chart 3.4.1's templates read that its values.yaml documents only as comments under `deployment`. */
  const COMMENTED_DEPLOYMENT_KEYS = ['initContainers', 'userDefinedVolumes', 'userDefinedVolumeMounts'];

  test('GIVEN the Helm values of iamAuth THEN only the commented deployment keys are beyond the parsed values.yaml', () => {
    const values = renderHelmValues(cp(IAM), HELM);
    expect(findUnknownHelmValues(reference, values).sort()).toEqual(
      COMMENTED_DEPLOYMENT_KEYS.map((key) => `deployment.${key}`).sort(),
    );
    const text = fs.readFileSync(path.join(defaultReferenceDir(), KONG_REFERENCE_FILES.chartValues), 'utf8');
    const deployment = text.slice(text.indexOf('\ndeployment:\n'), text.indexOf('\n  test:\n'));
    for (const key of COMMENTED_DEPLOYMENT_KEYS) expect(deployment).toMatch(new RegExp(`^ {2}# ${key}:$`, 'm'));
  });
});
