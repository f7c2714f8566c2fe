// Well-formed objects the fault and hostile-input tests run next to the bad ones: a webservice
// Application with the rollout trait, and the StatefulSet the corpus's IHPAs scale.
import { join } from 'node:path';
import { repoRoot } from '../../e2e/support.js';

export interface AppStep {
  image: string;
  targetSize: number;
  /** Batch sizes (counts); omitted: the whole change is one batch. */
  batches?: number[];
  /** maxUnavailable of every batch (default 0). */
  maxUnavailable?: number;
  /** Roll back to this component revision instead of the latest. */
  targetRevision?: string;
  batchPartition?: number;
}

/** A webservice Application with the rollout trait, as a user writes it. */
export function rolloutApp(name: string, component: string, step: AppStep): Record<string, unknown> {
  const rolloutProperties: Record<string, unknown> = { targetSize: step.targetSize };
  if (step.batches) {
    rolloutProperties.rolloutBatches = step.batches.map((replicas) =>
      step.maxUnavailable ? { replicas, maxUnavailable: step.maxUnavailable } : { replicas },
    );
  }
  if (step.targetRevision) rolloutProperties.targetRevision = step.targetRevision;
  if (step.batchPartition !== undefined) rolloutProperties.batchPartition = step.batchPartition;
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name },
    spec: {
      components: [
        {
          name: component,
          type: 'webservice',
          properties: { image: step.image },
          traits: [{ type: 'rollout', properties: rolloutProperties }],
        },
      ],
    },
  };
}

/** The StatefulSet (one replica) the hostile IHPAs point at; cases name it `bad-ihpa-target`. */
export const IHPA_TARGET = `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: bad-ihpa-target
  labels:
    app: bad-ihpa-target
spec:
  serviceName: bad-ihpa-target
  selector:
    matchLabels:
      app: bad-ihpa-target
  replicas: 1
  template:
    metadata:
      labels:
        app: bad-ihpa-target
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
`;

/** The shipped definitions (webservice, rollout, ...) in vela-system, created if need be. */
export async function installDefinitions(kube: {
  kubectlOk(args: string[], input?: string): Promise<string>;
}): Promise<void> {
  await kube.kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vela-system' } }),
  );
  await kube.kubectlOk([
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    join(repoRoot, 'definitions', 'generated'),
  ]);
}
