import { Match } from 'aws-cdk-lib/assertions';
import { cluster_dns, telemetry_dns } from '../../examples/seed-app';
import { helmValues, seedApp } from '../support/synth';

// GIVEN the seed's two-stack app, synthesized once for this file
const { seed, cp, dp } = seedApp();

describe('KongCpEks (control plane on EKS)', () => {
  test("stack names are the seed's", () => {
    expect(seed.cpStack.stackName).toBe('KongCpEks');
    expect(seed.dpStack.stackName).toBe('KongDpEks');
  });

  test('EKS cluster: private endpoint, all control-plane logs, secrets encrypted with KMS', () => {
    cp.hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      Logging: {
        ClusterLogging: {
          EnabledTypes: Match.arrayWith([
            { Type: 'api' },
            { Type: 'audit' },
            { Type: 'authenticator' },
            { Type: 'controllerManager' },
            { Type: 'scheduler' },
          ]),
        },
      },
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'], Provider: { KeyArn: Match.anyValue() } })],
    });
  });

  test('managed node group across two private subnets with at least 2 nodes', () => {
    cp.hasResourceProperties('AWS::EKS::Nodegroup', {
      ScalingConfig: Match.objectLike({ MinSize: 2 }),
    });
    const nodegroups = cp.findResources('AWS::EKS::Nodegroup');
    for (const ng of Object.values(nodegroups)) {
      expect((ng as any).Properties.Subnets).toHaveLength(2);
      for (const s of (ng as any).Properties.Subnets) {
        const subnet = cp.findResources('AWS::EC2::Subnet')[s.Ref];
        expect(subnet.Properties.Tags).toContainEqual({ Key: 'aws-cdk:subnet-type', Value: 'Private' });
      }
    }
  });

  test('RDS PostgreSQL: pinned full version, encrypted, backups, deletion protection, Multi-AZ, TLS forced', () => {
    cp.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^\\d+\\.\\d+$'),
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
      MultiAZ: true,
      PubliclyAccessible: false,
      DBName: 'kong',
    });
    cp.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
    cp.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"kong"}' }),
      KmsKeyId: Match.anyValue(),
    });
  });

  test('Kong chart: pinned, image kong/kong-gateway pinned, ingress controller and proxy off, migrations on', () => {
    cp.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'kong',
      Repository: 'https://charts.konghq.com',
      Version: '3.4.1',
      Release: 'kong-cp',
    });
    const values = helmValues(cp, 'kong');
    expect(values.image).toEqual({ repository: 'kong/kong-gateway', tag: seed.controlPlane.kongVersion });
    expect(values.ingressController.enabled).toBe(false);
    expect(values.proxy.enabled).toBe(false);
    expect(values.migrations).toMatchObject({ preUpgrade: true, postUpgrade: true });
    expect(values.env.role).toBe('control_plane');
    expect(values.env.database).toBe('postgres');
  });

  test('database password and license reach Kong from Kubernetes Secrets synced from Secrets Manager', () => {
    const values = helmValues(cp, 'kong');
    expect(values.env.pg_password).toEqual({ valueFrom: { secretKeyRef: { name: 'kong-postgres', key: 'password' } } });
    expect(values.env.license_data).toEqual({ valueFrom: { secretKeyRef: { name: 'kong-license', key: 'license' } } });
    const externalSecrets = Object.values(cp.findResources('Custom::AWSCDK-EKS-KubernetesResource')).map((r: any) =>
      JSON.stringify(r.Properties.Manifest),
    );
    expect(externalSecrets.some((m) => m.includes('ExternalSecret') && m.includes('kong-postgres'))).toBe(true);
    expect(externalSecrets.some((m) => m.includes('ExternalSecret') && m.includes('kong-license'))).toBe(true);
    expect(externalSecrets.some((m) => m.includes('ExternalSecret') && m.includes('kong-cluster-cert'))).toBe(true);
  });

  test('Admin API and Manager are ClusterIP only', () => {
    const values = helmValues(cp, 'kong');
    expect(values.admin).toMatchObject({ enabled: true, type: 'ClusterIP' });
    expect(values.manager).toMatchObject({ enabled: true, type: 'ClusterIP' });
    // No load balancer listener exposes 8001/8444/8002/8445.
    for (const l of Object.values(cp.findResources('AWS::ElasticLoadBalancingV2::Listener'))) {
      expect([8001, 8444, 8002, 8445]).not.toContain((l as any).Properties.Port);
    }
  });

  test('cluster and telemetry behind a TCP NLB with Route 53 records', () => {
    cp.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network' });
    for (const port of [8005, 8006]) {
      cp.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: port, Protocol: 'TCP' });
      cp.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: port,
        Protocol: 'TCP',
        TargetType: 'ip',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: '8100',
        HealthCheckPath: '/status/ready',
      });
    }
    cp.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${cluster_dns}.`, Type: 'A' });
    cp.hasResourceProperties('AWS::Route53::RecordSet', { Name: `${telemetry_dns}.`, Type: 'A' });
  });
});

describe('KongDpEks (data plane on EKS)', () => {
  test('Kong chart as a data plane, database off, readiness on /status/ready', () => {
    const values = helmValues(dp, 'kong');
    expect(values.env.role).toBe('data_plane');
    expect(values.env.database).toBe('off');
    expect(values.ingressController.enabled).toBe(false);
    expect(values.admin.enabled).toBe(false);
    expect(values.proxy.enabled).toBe(true);
    // The chart's default readiness probe is /status/ready on the status port; we must not break it.
    expect(values.readinessProbe).toBeUndefined();
    expect(values.status.http).toMatchObject({ enabled: true, containerPort: 8100 });
  });

  test('at least 2 replicas across AZs, autoscaling and a PodDisruptionBudget', () => {
    const values = helmValues(dp, 'kong');
    expect(values.autoscaling).toMatchObject({ enabled: true, minReplicas: 2, maxReplicas: 10 });
    expect(values.podDisruptionBudget).toMatchObject({ enabled: true });
    expect(values.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule',
    });
  });

  test('proxy behind an internal TCP NLB, 80/443 → 8000/8443', () => {
    dp.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internal' });
    dp.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8000, Protocol: 'TCP' });
    dp.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8443, Protocol: 'TCP' });
    dp.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'TCP' });
    dp.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'TCP' });
  });

  test('cluster_control_plane is the CP Route 53 record on a CP NLB listener that forwards to cluster_listen', () => {
    const dpEnv = helmValues(dp, 'kong').env;
    const cpEnv = helmValues(cp, 'kong').env;
    const [host, port] = String(dpEnv.cluster_control_plane).split(':');
    const [telemetryHost, telemetryPort] = String(dpEnv.cluster_telemetry_endpoint).split(':');
    expect(host).toBe(cluster_dns);
    expect(telemetryHost).toBe(telemetry_dns);

    // THEN the host is a Route 53 record of the CP …
    const records = Object.values(cp.findResources('AWS::Route53::RecordSet')).map((r: any) => r.Properties.Name);
    expect(records).toContain(`${host}.`);
    expect(records).toContain(`${telemetryHost}.`);

    // … the port is a listener of the CP NLB, and that listener's target group targets cluster_listen's port.
    const clusterListenPort = Number(String(cpEnv.cluster_listen).split(/[:\s]/)[1]);
    const telemetryListenPort = Number(String(cpEnv.cluster_telemetry_listen).split(/[:\s]/)[1]);
    expect(forwardedPort(cp, Number(port))).toBe(clusterListenPort);
    expect(forwardedPort(cp, Number(telemetryPort))).toBe(telemetryListenPort);
  });

  test('the DP reads its own copy of the shared pair, found by name: no import from the CP stack', () => {
    const values = helmValues(dp, 'kong');
    expect(values.env.cluster_mtls).toBe('shared');
    expect(values.secretVolumes).toEqual(['kong-cluster-cert']);
    expect(values.env.cluster_cert).toBe('/etc/secrets/kong-cluster-cert/tls.crt');
    const sync = Object.values(dp.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .map((r: any) => JSON.stringify(r.Properties.Manifest))
      .find((m) => m.includes('ExternalSecret') && m.includes('kong-cluster-cert'));
    // The DP's ExternalSecret reads the DP stack's own secret…
    const [copySecret] = Object.keys(dp.findResources('AWS::SecretsManager::Secret'));
    expect(sync).toContain(`{"Ref":"${copySecret}"}`);
    expect(sync).not.toMatch(/Fn::ImportValue/);
    // …which its custom resource keeps equal to the CP stack's shared secret, named, not imported.
    const [sharedName] = Object.values(cp.findResources('AWS::SecretsManager::Secret'))
      .map((r: any) => r.Properties.Name)
      .filter((name) => typeof name === 'string' && name.endsWith('/cluster-shared'));
    dp.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'shared-copy',
      SourceSecret: sharedName,
      SecretArn: { Ref: copySecret },
    });
  });
});

function forwardedPort(template: ReturnType<typeof seedApp>['cp'], listenerPort: number): number {
  const listeners = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener')).filter(
    (l: any) => l.Properties.Port === listenerPort,
  );
  expect(listeners).toHaveLength(1);
  const targetGroupRef = (listeners[0] as any).Properties.DefaultActions[0].TargetGroupArn.Ref;
  const targetGroup = template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')[targetGroupRef];
  return targetGroup.Properties.Port;
}
