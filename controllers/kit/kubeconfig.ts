// Where the controller finds its cluster credentials, in order: $KUBECONFIG, the local control
// plane's kubeconfig (if that file exists), the pod's service account when running in a cluster.
// This one returns a client-node KubeConfig (for tools that want one); the controller process uses
// cluster-access.ts, which gives the same answer without loading client-node.

import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSource {
  kubeConfig: KubeConfig;
  /** Where it came from, for the startup log line. */
  origin: string;
}

export function resolveKubeConfig(
  localKubeconfigPath: string,
  env: NodeJS.ProcessEnv = process.env,
): KubeConfigSource {
  const kubeConfig = new KubeConfig();
  const fromEnv = env['KUBECONFIG'];
  if (fromEnv) {
    try {
      // Handles a path list (merged in order) like kubectl does.
      kubeConfig.loadFromDefault();
    } catch (error) {
      throw new Error(`cannot load $KUBECONFIG (${fromEnv}): ${(error as Error).message}`);
    }
    return { kubeConfig, origin: `$KUBECONFIG (${fromEnv})` };
  }
  if (existsSync(localKubeconfigPath)) {
    kubeConfig.loadFromFile(localKubeconfigPath);
    return { kubeConfig, origin: localKubeconfigPath };
  }
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) {
    kubeConfig.loadFromCluster();
    return { kubeConfig, origin: 'in-cluster service account' };
  }
  throw new Error(
    `no kubeconfig: set $KUBECONFIG, or start the local control plane (npm run cluster) so that ` +
      `${localKubeconfigPath} exists`,
  );
}

// Kept here for existing importers; it lives with the client-node-free loader.
export { podNamespace } from './cluster-access.js';
