// Brings the local control plane up when it is not already (a warm start takes seconds; the
// first run builds the binaries) and installs the project's CRDs, so every e2e test file
// starts from a real API server with our kinds served. Jest loads this file outside its
// module mapping, so it uses Node built-ins only and drives the cluster script as a process.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(new URL('.', import.meta.url).pathname, '..', '..');

export default async function globalSetup(): Promise<void> {
  execFileSync(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'hack', 'cluster.ts'), 'up'], {
    stdio: 'inherit',
  });
  const kubeconfig = join(root, '.cluster', 'kubeconfig');
  const kubectl = join(root, '.cluster', 'bin', 'kubectl');
  process.env.KUBECONFIG = kubeconfig;
  const crdDir = join(root, 'definitions', 'crds');
  const files = readdirSync(crdDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => ['-f', join(crdDir, f)]);
  execFileSync(
    kubectl,
    ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', ...files],
    { stdio: 'inherit' },
  );
  execFileSync(
    kubectl,
    ['--kubeconfig', kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', ...files],
    {
      stdio: 'inherit',
    },
  );
}
