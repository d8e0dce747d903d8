import { App, AppProps, CfnOutput, Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongControlPlaneEc2 } from '../control-plane/kong-control-plane-ec2';
import { KongControlPlaneEks } from '../control-plane/kong-control-plane-eks';
import { KongKonnectControlPlane } from '../control-plane/kong-konnect-control-plane';
import { IKongClusterTrust } from '../core/cluster-credentials';
import { dataPlaneSpec } from '../core/data-plane-settings';
import { IKongControlPlaneConnection } from '../core/control-plane-connection';
import { KongClusterTrust } from '../core/kong-cluster-trust';
import { KongEksCluster } from '../core/kong-eks-cluster';
import { KongFallbackConfig } from '../core/kong-fallback-config';
import { KongVpc } from '../core/kong-vpc';
import { StackLimitsGuard } from '../core/stack-limits';
import { KongDataPlaneEc2 } from '../data-plane/kong-data-plane-ec2';
import { KongDataPlaneEcs } from '../data-plane/kong-data-plane-ecs';
import { KongDataPlaneEks } from '../data-plane/kong-data-plane-eks';
import { KongFallbackExporter } from '../data-plane/kong-fallback-exporter';
import { allowServiceAccess } from '../core/shared-services';
import { KongCognito } from '../services/kong-cognito';
import { KongGrafanaWorkspace } from '../services/kong-grafana-workspace';
import { KongLogDomain } from '../services/kong-log-domain';
import { KongMetricsWorkspace } from '../services/kong-metrics-workspace';
import { KongPluginConfiguration } from '../services/kong-plugin-configuration';
import { KongRedis } from '../services/kong-redis';
import { KongFleetError } from '../kong/errors';
import { KubernetesDataPlane, renderKubernetesDataPlane } from '../kong/kubernetes-data-plane';
import {
  ControlPlaneModel,
  CpuArchitecture,
  DataPlaneModel,
  FALLBACK_EXPORTER_NAME,
  FleetModel,
  importsFallbackConfig,
} from './model';

/** What a stack of the fleet is for. */
export type FleetStackKind = 'control-plane' | 'data-plane' | 'network' | 'cluster' | 'services' | 'fallback';

/** One stack of the fleet, with what the CLI reports about it. */
export interface FleetStack {
  readonly stack: Stack;
  readonly kind: FleetStackKind;
  readonly region: string;
  /** Runtime of the plane (control plane, data plane), or `vpc` / `eks` for shared stacks. */
  readonly runtime: string;
  /** The data plane's name (data-plane stacks). */
  readonly dataPlane?: string;
  /** What a user connects to: the CP's cluster endpoint, a DP's proxy, a DP's `cluster_control_plane`. */
  readonly endpoint?: string;
}

/** Properties of {@link FleetApp}. */
export interface FleetAppProps extends AppProps {
  /**
   * Called once per stack as it is built (the CLI prints it as progress).
   * @default - nothing is reported
   */
  readonly progress?: (message: string) => void;
}

/** Stack names of a fleet: stable, so adding or removing one data plane renames nothing else. */
export const fleetStackNames = {
  controlPlane: (fleet: string) => `${fleet}-cp`,
  dataPlane: (fleet: string, dp: string) => `${fleet}-dp-${dp}`,
  network: (fleet: string, region: string, account?: string) => `${fleet}-net-${region}${account ? `-${account}` : ''}`,
  cluster: (fleet: string, cluster: string) => `${fleet}-eks-${cluster}`,
  services: (fleet: string, region: string, account?: string) =>
    `${fleet}-svc-${region}${account ? `-${account}` : ''}`,
  fallback: (fleet: string) => `${fleet}-fallback`,
};

/** The shared services of one region (and account), as its data planes use them. */
export interface FleetRegionServices {
  readonly stack: Stack;
  readonly redis?: KongRedis;
  readonly cognito?: KongCognito;
  readonly logs?: KongLogDomain;
  readonly metrics?: KongMetricsWorkspace;
  readonly grafana?: KongGrafanaWorkspace;
  readonly pluginConfiguration?: KongPluginConfiguration;
}

/**
 * A validated fleet (`fleet.yaml`, see src/fleet/load.ts) as a CDK app:
 * - `<fleet>-cp`: the control plane in its region (EKS or EC2, RDS, cluster NLB, Route 53), and
 *   the cluster trust. A Kong Konnect control plane (`runtime: konnect`) has no stack: Kong hosts
 *   it, and each data plane makes and registers its own certificate in its own stack
 *   (KongKonnectControlPlane, docs/konnect.md);
 * - `<fleet>-net-<region>`: one VPC per region (and account) shared by the data planes there,
 *   unless a data plane asks for its own (`network: own`);
 * - `<fleet>-eks-<cluster>`: an EKS cluster shared by the EKS data planes of a region that name it;
 * - `<fleet>-svc-<region>`: the region's shared services (`sharedServices`: Redis, Cognito,
 *   OpenSearch, Prometheus and Grafana) in the region's shared VPC, and the Kong plugin
 *   configuration that uses them (an SSM parameter). Data planes reach them through rules and
 *   grants in their own stacks;
 * - `<fleet>-fallback`: Kong's fallback configuration (`fallbackConfig`) in the control plane's
 *   region — the S3 bucket, and its one exporter (a data plane without traffic on ECS Fargate, in
 *   a VPC of its own so the control-plane stack does not change). Importing data planes get their
 *   read grant in their own stacks;
 * - `<fleet>-dp-<name>`: one stack per data plane in its region (and account). A `kubernetes` data
 *   plane's stack holds only its cluster certificate; its Helm values are in `kubernetesDataPlanes`.
 *
 * Data-plane stacks reach the control plane by DNS name and find its trust by name
 * (docs/certificates.md): nothing is copied by hand, and no data plane is exported from or imported
 * into the control-plane stack, so a data-plane change never changes it.
 */
export class FleetApp extends App {
  public readonly model: FleetModel;
  public readonly fleetStacks: FleetStack[] = [];
  public readonly controlPlane: IKongControlPlaneConnection;
  /** The cluster trust: a KongClusterTrust in the control-plane stack, or a Konnect control plane's KongKonnectTrust. */
  public readonly trust: IKongClusterTrust;
  /** Files for each `kubernetes` data plane (values.yaml, secrets.md) and its helm command. */
  public readonly kubernetesDataPlanes = new Map<string, KubernetesDataPlane>();
  /** Things the fleet asks for that this version does not build (reported by the CLI). */
  public readonly warnings: string[] = [];
  private readonly networks = new Map<string, ec2.IVpc>();
  private readonly clusters = new Map<string, eks.Cluster>();
  /** Shared services by stack name (one per region and account with services on). */
  public readonly regionServices = new Map<string, FleetRegionServices>();
  /** Kong's fallback configuration (`fallbackConfig`), when the fleet has one. */
  public readonly fallbackConfig?: KongFallbackConfig;
  /** The node that exports it. */
  public readonly fallbackExporter?: KongFallbackExporter;

  private readonly progress?: (message: string) => void;

  constructor(model: FleetModel, props: FleetAppProps = {}) {
    const { progress, ...appProps } = props;
    super({
      ...appProps,
      context: {
        // Cross-stack references (shared VPCs and clusters) stay strong: CloudFormation then
        // refuses to delete what a data plane still uses.
        '@aws-cdk/core:defaultCrossStackReferences': 'strong',
        ...appProps.context,
      },
    });
    this.progress = progress;
    this.model = model;
    Validations.of(this).addPlugins(new StackLimitsGuard());
    const cp = model.controlPlane;
    if (cp.runtime === 'konnect') {
      const konnect = this.buildKonnectControlPlane(model);
      this.controlPlane = konnect;
      this.trust = konnect.trust;
    } else {
      const built = this.buildHostedControlPlane(model);
      this.controlPlane = built.controlPlane;
      this.trust = built.trust;
    }

    if (model.fallbackConfig) {
      const built = this.buildFallbackConfig(model);
      this.fallbackConfig = built.config;
      this.fallbackExporter = built.exporter;
    }
    for (const dp of model.dataPlanes) this.buildDataPlane(dp);
    for (const [service, on] of Object.entries(model.sharedServices)) {
      if (on && on.regions.length === 0) {
        this.warnings.push(`sharedServices.${service}: no region has an eks, ecs or ec2 data plane: nothing is built`);
      }
    }
  }

  /**
   * A Kong Konnect control plane: no stack (nothing of it lives in AWS). It sits in the app's
   * construct tree only to name its validation errors; data planes read its token secret by name in
   * their own stacks.
   */
  private buildKonnectControlPlane(model: FleetModel): KongKonnectControlPlane {
    const cp = model.controlPlane;
    const konnect = cp.konnect;
    if (!konnect) {
      throw new KongFleetError('controlPlane.konnect', 'is required for a konnect control plane', { got: undefined });
    }
    this.progress?.(`Konnect control plane ${konnect.controlPlaneId} (${konnect.apiRegion}, no stack)`);
    if (model.kong.licenseSecret !== undefined) {
      this.warnings.push(
        'kong.licenseSecret: not used with a Konnect control plane (Konnect supplies the license to its data planes)',
      );
    }
    return new KongKonnectControlPlane(this, 'controlPlane', {
      controlPlaneId: konnect.controlPlaneId,
      apiRegion: konnect.apiRegion,
      clusterEndpoint: konnect.clusterEndpoint,
      telemetryEndpoint: konnect.telemetryEndpoint,
      tokenSecretName: konnect.tokenSecret,
      kongVersion: model.kong.version,
      validityDays: model.certificates.validityDays,
      rotateBeforeDays: model.certificates.rotateBeforeDays,
    });
  }

  /** The `<fleet>-cp` stack: the cluster trust and the control plane on EKS or EC2. */
  private buildHostedControlPlane(model: FleetModel): {
    controlPlane: IKongControlPlaneConnection;
    trust: KongClusterTrust;
  } {
    const cp = model.controlPlane;
    const cpStack = this.addFleetStack(fleetStackNames.controlPlane(model.name), cp.region, cp.account, {
      kind: 'control-plane',
      runtime: cp.runtime,
      description: `Kong Gateway control plane of fleet ${model.name} on ${cp.runtime.toUpperCase()} (kong-fleet)`,
    });
    const otherAccounts = [
      ...new Set(model.dataPlanes.map((dp) => dp.account).filter((a): a is string => !!a && a !== cp.account)),
    ].sort();
    const trust = new KongClusterTrust(cpStack.stack, 'ClusterTrust', {
      mode: model.certificates.mode,
      name: model.name,
      validityDays: model.certificates.validityDays,
      rotateBeforeDays: model.certificates.rotateBeforeDays,
      certificateAuthorityArn: model.certificates.certificateAuthorityArn,
      parentCertificateAuthorityArn: model.certificates.parentCertificateAuthorityArn,
      trustedAccounts: otherAccounts.length > 0 ? otherAccounts : undefined,
    });
    const controlPlane = this.buildControlPlane(cpStack.stack, cp, trust);
    cpStack.endpoint = `${controlPlane.clusterEndpoint.host}:${controlPlane.clusterEndpoint.port}`;
    return { controlPlane, trust };
  }

  private buildControlPlane(stack: Stack, cp: ControlPlaneModel, trust: KongClusterTrust): IKongControlPlaneConnection {
    const endpoints = cp.endpoints!;
    const database = cp.database!;
    const hostedZone = endpoints.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
          hostedZoneId: endpoints.hostedZoneId,
          zoneName: endpoints.hostedZone,
        })
      : new route53.PublicHostedZone(stack, 'Zone', { zoneName: endpoints.hostedZone });
    const common = {
      trust,
      hostedZone,
      clusterHostname: endpoints.cluster,
      telemetryHostname: endpoints.telemetry,
      licenseSecret: this.license(stack),
      kongVersion: this.model.kong.version,
      vpc: new KongVpc(stack, 'Network', this.vpcZones(stack)).vpc,
      clusterEndpointInternetFacing: endpoints.internetFacing,
      dataPlaneCidrs: endpoints.allowedCidrs ? [...endpoints.allowedCidrs] : undefined,
      databaseInstanceType: new ec2.InstanceType(database.instanceType),
      databaseMultiAz: database.multiAz,
      databaseDeletionProtection: database.deletionProtection,
      databaseIamAuthentication: database.iamAuthentication,
    };
    if (cp.runtime === 'eks') {
      return new KongControlPlaneEks(stack, 'ControlPlane', { ...common, replicas: cp.replicas });
    }
    return new KongControlPlaneEc2(stack, 'ControlPlane', {
      ...common,
      architecture: architecture(cp.architecture),
      instanceType: cp.instanceType ? new ec2.InstanceType(cp.instanceType) : undefined,
      minCapacity: cp.replicas,
      maxCapacity: cp.replicas + 1,
    });
  }

  /**
   * The `<fleet>-fallback` stack: bucket and exporter in the control plane's region and account,
   * with a VPC of their own (one NAT gateway: one task, and the control plane's VPC stays untouched).
   * Other accounts of importing data planes are named in the bucket and key policies.
   */
  private buildFallbackConfig(model: FleetModel): { config: KongFallbackConfig; exporter: KongFallbackExporter } {
    const fallback = model.fallbackConfig!;
    const cp = model.controlPlane;
    const { stack } = this.addFleetStack(fleetStackNames.fallback(model.name), cp.region, cp.account, {
      kind: 'fallback',
      runtime: 'ecs',
      description: `Kong fallback configuration of fleet ${model.name}: S3 bucket and exporter (kong-fleet)`,
    });
    const importerAccounts = [
      ...new Set(
        model.dataPlanes
          .filter((dp) => importsFallbackConfig(model, dp) && dp.account !== undefined && dp.account !== cp.account)
          .map((dp) => dp.account!),
      ),
    ].sort();
    const config = new KongFallbackConfig(stack, 'FallbackConfig', {
      exporterVersion: fallback.version,
      prefix: model.name,
      exportDelaySeconds: fallback.exportDelaySeconds,
      noncurrentVersionExpiration: Duration.days(fallback.noncurrentVersionDays),
      importerAccounts: importerAccounts.length > 0 ? importerAccounts : undefined,
    });
    const exporter = new KongFallbackExporter(stack, 'Exporter', {
      controlPlane: this.controlPlane,
      fallbackConfig: config,
      vpc: new KongVpc(stack, 'Network', { ...this.vpcZones(stack), natGateways: 1 }).vpc,
      dataPlaneName: FALLBACK_EXPORTER_NAME,
    });
    return { config, exporter };
  }

  private buildDataPlane(dp: DataPlaneModel): void {
    const fleetStack = this.addFleetStack(fleetStackNames.dataPlane(this.model.name, dp.name), dp.region, dp.account, {
      kind: 'data-plane',
      runtime: dp.runtime,
      dataPlane: dp.name,
      description: `Kong Gateway data plane ${dp.name} of fleet ${this.model.name} on ${dp.runtime} (kong-fleet)`,
    });
    const stack = fleetStack.stack;
    const common = {
      controlPlane: this.controlPlane,
      dataPlaneName: dp.name,
      kongVersion: dp.version,
      labels: dp.labels ? { ...dp.labels } : undefined,
      kongSettings: dp.kongSettings ? { ...dp.kongSettings } : undefined,
    };
    const services = {
      ...this.dataPlaneServices(dp),
      fallbackConfig: importsFallbackConfig(this.model, dp) ? this.fallbackConfig : undefined,
    };
    const proxy = {
      proxyInternetFacing: dp.proxy.internetFacing,
      proxyAllowedCidrs: dp.proxy.allowedCidrs ? [...dp.proxy.allowedCidrs] : undefined,
    };
    const vpc = () =>
      dp.network === 'own' ? new KongVpc(stack, 'Network', this.vpcZones(stack)).vpc : this.network(dp);
    switch (dp.runtime) {
      case 'eks': {
        const plane = new KongDataPlaneEks(stack, 'DataPlane', {
          ...common,
          ...proxy,
          ...services,
          ...(dp.cluster ? { cluster: this.cluster(dp) } : { vpc: vpc() }),
          minReplicas: dp.replicas.min,
          maxReplicas: dp.replicas.max,
        });
        fleetStack.endpoint = plane.clusterControlPlane;
        break;
      }
      case 'ecs': {
        const plane = new KongDataPlaneEcs(stack, 'DataPlane', {
          ...common,
          ...proxy,
          ...services,
          vpc: vpc(),
          minTasks: dp.replicas.min,
          maxTasks: dp.replicas.max,
          cpuArchitecture: dp.architecture === 'arm64' ? ecs.CpuArchitecture.ARM64 : undefined,
        });
        fleetStack.endpoint = plane.clusterControlPlane;
        break;
      }
      case 'ec2': {
        const plane = new KongDataPlaneEc2(stack, 'DataPlane', {
          ...common,
          ...proxy,
          ...services,
          vpc: vpc(),
          architecture: architecture(dp.architecture),
          instanceType: dp.instanceType ? new ec2.InstanceType(dp.instanceType) : undefined,
          minCapacity: dp.replicas.min,
          maxCapacity: dp.replicas.max,
        });
        fleetStack.endpoint = plane.clusterControlPlane;
        break;
      }
      case 'kubernetes': {
        // No AWS runtime: the stack holds the data plane's certificate, the files say how to use it.
        const scope = new Construct(stack, 'DataPlane');
        const credentials = this.trust.dataPlaneCredentials(scope, dp.name);
        new CfnOutput(stack, 'ClusterCredentialsSecret', {
          value: credentials.secret.secretArn,
          description: `Secrets Manager secret with the cluster credentials of ${dp.name} (see secrets.md)`,
        });
        const rendered = renderKubernetesDataPlane(
          {
            spec: dataPlaneSpec(common, credentials),
            namespace: dp.namespace,
            license: this.controlPlane.licenseSecret !== undefined,
            replicas: { min: dp.replicas.min, max: dp.replicas.max },
          },
          `dataPlanes.${dp.name}`,
        );
        this.kubernetesDataPlanes.set(dp.name, rendered);
        fleetStack.endpoint = `${this.controlPlane.clusterEndpoint.host}:${this.controlPlane.clusterEndpoint.port}`;
        break;
      }
    }
  }

  /** The shared VPC of a data plane's region and account, in its own stack. */
  private network(dp: DataPlaneModel): ec2.IVpc {
    const name = fleetStackNames.network(this.model.name, dp.region, this.networkAccount(dp));
    let vpc = this.networks.get(name);
    if (!vpc) {
      const { stack } = this.addFleetStack(name, dp.region, dp.account, {
        kind: 'network',
        runtime: 'vpc',
        description: `Network shared by the Kong data planes of fleet ${this.model.name} in ${dp.region} (kong-fleet)`,
      });
      vpc = new KongVpc(stack, 'Network', this.vpcZones(stack)).vpc;
      this.networks.set(name, vpc);
    }
    return vpc;
  }

  /** A shared EKS cluster (named by the data planes that use it), in its own stack on the region's VPC. */
  private cluster(dp: DataPlaneModel): eks.Cluster {
    const name = fleetStackNames.cluster(this.model.name, dp.cluster!);
    let cluster = this.clusters.get(name);
    if (!cluster) {
      const vpc = this.network(dp);
      const { stack } = this.addFleetStack(name, dp.region, dp.account, {
        kind: 'cluster',
        runtime: 'eks',
        description: `EKS cluster ${dp.cluster} shared by Kong data planes of fleet ${this.model.name} (kong-fleet)`,
      });
      cluster = new KongEksCluster(stack, 'Cluster', { vpc }).cluster;
      this.clusters.set(name, cluster);
      // The data planes of a shared cluster share its security group: the rule to the region's
      // services belongs to the cluster's stack (made once, whichever data plane comes first).
      const services = this.servicesOf(dp);
      for (const service of [services?.redis, services?.logs]) {
        if (service) allowServiceAccess(service, cluster.clusterSecurityGroup);
      }
    }
    return cluster;
  }

  /**
   * The shared-service props of a data plane: Redis and OpenSearch live in the region's shared
   * VPC, so a data plane with its own VPC gets only Cognito and Prometheus (a warning says so).
   */
  private dataPlaneServices(dp: DataPlaneModel) {
    const services = this.servicesOf(dp);
    if (!services) return {};
    const inVpc = dp.network === 'shared';
    if (!inVpc && (services.redis || services.logs)) {
      const missing = [services.redis && 'redis', services.logs && 'opensearch'].filter(Boolean).join(' and ');
      this.warnings.push(
        `dataPlanes.${dp.name}: network own cannot reach the ${missing} of ${dp.region} (in the region's shared VPC); not connected`,
      );
    }
    return {
      redis: inVpc ? services.redis : undefined,
      accessLogDestination: inVpc ? services.logs : undefined,
      oidcProvider: services.cognito,
      metricsDestination: services.metrics,
    };
  }

  /** The shared services of a data plane's region and account, built on first use. */
  private servicesOf(dp: DataPlaneModel): FleetRegionServices | undefined {
    if (dp.runtime === 'kubernetes') return undefined;
    const shared = this.model.sharedServices;
    const on = (service?: { regions: readonly string[] }) => service?.regions.includes(dp.region) ?? false;
    if (!on(shared.redis) && !on(shared.cognito) && !on(shared.opensearch) && !on(shared.prometheus)) return undefined;
    const name = fleetStackNames.services(this.model.name, dp.region, this.networkAccount(dp));
    let services = this.regionServices.get(name);
    if (!services) {
      const vpc = this.network(dp);
      const { stack } = this.addFleetStack(name, dp.region, dp.account, {
        kind: 'services',
        runtime: 'services',
        description: `Shared services of the Kong data planes of fleet ${this.model.name} in ${dp.region} (kong-fleet)`,
      });
      const secretName = (what: string) => `kong-fleet/${this.model.name}/${dp.region}/${what}`;
      const redis = on(shared.redis)
        ? new KongRedis(stack, 'Redis', { vpc, secretName: secretName('redis-auth') })
        : undefined;
      const cognito = on(shared.cognito)
        ? new KongCognito(stack, 'Cognito', { clientSecretName: secretName('cognito-client') })
        : undefined;
      const logs = on(shared.opensearch) ? new KongLogDomain(stack, 'AccessLogs', { vpc }) : undefined;
      const metrics = on(shared.prometheus) ? new KongMetricsWorkspace(stack, 'Metrics', {}) : undefined;
      const grafana =
        metrics && shared.prometheus?.grafana ? new KongGrafanaWorkspace(stack, 'Grafana', { metrics }) : undefined;
      const pluginConfiguration =
        redis || cognito || metrics
          ? new KongPluginConfiguration(stack, 'KongPlugins', {
              parameterName: `/kong-fleet/${this.model.name}/${dp.region}/kong-plugins`,
              redis,
              oidcProvider: cognito,
              prometheus: metrics !== undefined,
            })
          : undefined;
      services = { stack, redis, cognito, logs, metrics, grafana, pluginConfiguration };
      this.regionServices.set(name, services);
    }
    return services;
  }

  /** Networks are shared per region and per explicit account other than the control plane's. */
  private networkAccount(dp: DataPlaneModel): string | undefined {
    return dp.account && dp.account !== this.model.controlPlane.account ? dp.account : undefined;
  }

  private license(stack: Stack): secretsmanager.ISecret | undefined {
    const name = this.model.kong.licenseSecret;
    return name ? secretsmanager.Secret.fromSecretNameV2(stack, 'License', name) : undefined;
  }

  /**
   * Zones by `Fn::GetAZs` when the stack has a concrete account: CDK would otherwise look the
   * zones up with credentials at synth time. Region-only stacks get them that way by default.
   */
  private vpcZones(stack: Stack) {
    return Token.isUnresolved(stack.account)
      ? {}
      : { availabilityZones: [Fn.select(0, Fn.getAzs()), Fn.select(1, Fn.getAzs())] };
  }

  private addFleetStack(
    name: string,
    region: string,
    account: string | undefined,
    info: Omit<FleetStack, 'stack' | 'region' | 'endpoint'> & { description: string },
  ): { stack: Stack; endpoint?: string } & FleetStack {
    this.progress?.(`${name} (${info.kind} ${info.runtime}, ${region})`);
    const stack = new Stack(this, name, {
      stackName: name,
      env: { region, account },
      description: info.description,
    });
    const entry = { stack, kind: info.kind, region, runtime: info.runtime, dataPlane: info.dataPlane } as FleetStack & {
      endpoint?: string;
    };
    this.fleetStacks.push(entry);
    return entry;
  }
}

function architecture(arch?: CpuArchitecture): ec2.InstanceArchitecture | undefined {
  if (arch === undefined) return undefined;
  return arch === 'arm64' ? ec2.InstanceArchitecture.ARM_64 : ec2.InstanceArchitecture.X86_64;
}
