/**
 * A data plane on any Kubernetes (EKS Anywhere, on premises, another cloud) that joins the
 * control plane of `examples/aws-diagram-app.ts`: writes `values.yaml` for Kong's Helm chart and
 * `secrets.md` (the Secrets it expects, their keys and where the values come from — never the
 * values), and prints the `helm upgrade --install` command. No AWS call, no CDK app.
 *
 *   npx tsx examples/kubernetes-dp.ts [out-dir] [shared|pki]     (default: kubernetes-dp, shared)
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_KONG_VERSION, KONG_PORTS, KongFleetError, renderKubernetesDataPlane } from '../src/kong';
import { DIAGRAM_CLUSTER_DNS, DIAGRAM_TELEMETRY_DNS } from './aws-diagram-app';

function main(outDir: string, mode: string): void {
  if (mode !== 'shared' && mode !== 'pki') {
    throw new KongFleetError('argument mode', 'is not a Kong cluster_mtls mode', {
      got: mode,
      expected: 'shared or pki',
    });
  }
  const dp = renderKubernetesDataPlane({
    spec: {
      name: 'dp-onprem',
      version: DEFAULT_KONG_VERSION,
      controlPlaneVersion: DEFAULT_KONG_VERSION,
      clusterEndpoint: { host: DIAGRAM_CLUSTER_DNS, port: KONG_PORTS.cluster },
      telemetryEndpoint: { host: DIAGRAM_TELEMETRY_DNS, port: KONG_PORTS.clusterTelemetry },
      clusterMtls: mode,
      labels: { site: 'onprem' },
    },
    license: true,
  });
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(dp.files)) fs.writeFileSync(path.join(outDir, name), text);
  process.stdout.write(
    `wrote ${Object.keys(dp.files)
      .map((f) => path.join(outDir, f))
      .join(', ')}\n` +
      `create the Secrets described in secrets.md in namespace ${dp.namespace}, then run (in ${outDir}):\n  ${dp.helmCommand}\n`,
  );
}

try {
  main(process.argv[2] ?? 'kubernetes-dp', process.argv[3] ?? 'shared');
} catch (e) {
  if (!(e instanceof KongFleetError)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 2;
}
