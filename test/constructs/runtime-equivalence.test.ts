/**
 * One model, every runtime: one data-plane definition rendered for EKS, ECS Fargate, EC2 and any
 * Kubernetes yields the same Kong settings; only how the cluster certificate, key, CA and license
 * reach Kong differs (mounted files, container secrets, files written at boot).
 */
import { Stack } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ClusterMtlsMode,
  dataPlaneSpec,
  KongClusterTrust,
  KongControlPlaneEc2,
  KongDataPlaneEc2,
  KongDataPlaneEcs,
  KongDataPlaneEks,
  KongHybridConfig,
  renderEnvironment,
  renderKubernetesDataPlane,
} from '../../src';
import { unitTestApp } from '../support/synth';

/** The settings that carry secrets and so differ by runtime: how, not what. */
const SECRET_BEARING = ['clusterCert', 'clusterCertKey', 'clusterCaCert', 'license'] as const;

function build(mode: ClusterMtlsMode) {
  const app = unitTestApp();
  const cpStack = new Stack(app, 'Cp');
  const controlPlane = new KongControlPlaneEc2(cpStack, 'ControlPlane', {
    trust: new KongClusterTrust(cpStack, 'Trust', { mode, name: 'same' }),
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(cpStack, 'Zone', {
      hostedZoneId: 'Z0000000000000000000',
      zoneName: 'kong.example.com',
    }),
    clusterHostname: 'cluster.kong.example.com',
    telemetryHostname: 'telemetry.kong.example.com',
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(cpStack, 'License', 'kong-license'),
  });
  // The one definition every runtime is given.
  const definition = {
    controlPlane,
    dataPlaneName: 'dp-same',
    kongVersion: controlPlane.kongVersion,
    labels: { team: 'payments' },
    kongSettings: { nginx_worker_processes: 'auto', log_level: 'notice' },
  };
  const eks = new KongDataPlaneEks(new Stack(app, 'Eks'), 'Dp', definition);
  const ecs = new KongDataPlaneEcs(new Stack(app, 'Ecs'), 'Dp', definition);
  const ec2 = new KongDataPlaneEc2(new Stack(app, 'Ec2'), 'Dp', definition);
  const kubernetes = renderKubernetesDataPlane({
    spec: dataPlaneSpec(definition, ecs.clusterCredentials),
    license: true,
  });
  return {
    controlPlane,
    configs: { eks: eks.kongConfig, ecs: ecs.kongConfig, ec2: ec2.kongConfig, kubernetes: kubernetes.config },
  };
}

function withoutSecretBearing(config: KongHybridConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_BEARING) delete copy[key];
  return copy;
}

describe.each(['shared', 'pki'] as const)('%s mode', (mode) => {
  const { configs } = build(mode);

  test('the four runtimes render the same Kong settings apart from how secrets reach Kong', () => {
    const [first, ...others] = Object.entries(configs);
    for (const [runtime, config] of others) {
      expect({ runtime, settings: withoutSecretBearing(config) }).toEqual({
        runtime,
        settings: withoutSecretBearing(first[1]),
      });
    }
    // …and as KONG_* variables, the non-secret ones are identical too.
    const environments = Object.values(configs).map((c) => renderEnvironment(c).environment);
    const secretNames = new Set(Object.values(configs).flatMap((c) => Object.keys(renderEnvironment(c).secrets)));
    const comparable = environments.map((env) =>
      Object.fromEntries(
        Object.entries(env).filter(([name]) => !/CLUSTER_(CERT|CERT_KEY|CA_CERT)$|LICENSE_DATA$/.test(name)),
      ),
    );
    for (const env of comparable.slice(1)) expect(env).toEqual(comparable[0]);
    expect(secretNames.size).toBeGreaterThan(0);
  });

  test('every runtime hands Kong the certificate, the key and the license; the CA only in pki mode', () => {
    for (const [runtime, config] of Object.entries(configs)) {
      expect({ runtime, cert: !!config.clusterCert, key: !!config.clusterCertKey, license: !!config.license }).toEqual({
        runtime,
        cert: true,
        key: true,
        license: true,
      });
      expect({ runtime, ca: config.clusterCaCert !== undefined }).toEqual({ runtime, ca: mode === 'pki' });
      expect(config.clusterMtls).toBe(mode);
    }
  });

  test('the settings are those of a data plane joining this control plane', () => {
    expect(configs.ecs).toMatchObject({
      role: 'data_plane',
      database: 'off',
      clusterControlPlane: { host: 'cluster.kong.example.com', port: 8005 },
      clusterTelemetryEndpoint: { host: 'telemetry.kong.example.com', port: 8006 },
      dpLabels: { dp: 'dp-same', team: 'payments' },
      ...(mode === 'pki'
        ? { clusterServerName: 'cluster.kong.example.com', clusterTelemetryServerName: 'telemetry.kong.example.com' }
        : {}),
    });
  });
});

test('the comparison can fail: a different label is seen', () => {
  const { configs } = build('shared');
  const changed = { ...configs.ecs, dpLabels: { dp: 'dp-same', team: 'other' } };
  expect(withoutSecretBearing(changed)).not.toEqual(withoutSecretBearing(configs.eks));
});
