// Helpers for the Rollout end-to-end tests: ControllerRevisions and Rollouts written with
// kubectl (as the Application controller will write them), event-driven waits on Rollouts and
// workloads, and the `kubectl get` tables the seed walkthrough shows.
import { kubectl, kubectlOk, watchUntil } from './support.js';

export interface RolloutObject {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: {
    rollingState?: string;
    batchRollingState?: string;
    currentBatch?: number;
    rolloutTargetSize?: number;
    upgradedReplicas?: number;
    upgradedReadyReplicas?: number;
    lastTargetRevision?: string;
    LastSourceRevision?: string;
    targetGeneration?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

export interface WorkloadObject {
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    annotations?: Record<string, string>;
  };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image: string }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
  };
}

export interface PodObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec?: { containers?: { image: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

export type WorkloadKind = 'Deployment' | 'CloneSet' | 'StatefulSet';

const API_VERSIONS: Record<WorkloadKind, string> = {
  Deployment: 'apps/v1',
  CloneSet: 'apps.kruise.io/v1alpha1',
  StatefulSet: 'apps/v1',
};

export const rolloutsPath = (ns: string) => `/apis/standard.oam.dev/v1alpha1/namespaces/${ns}/rollouts`;
export const deploymentsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;
export const cloneSetsPath = (ns: string) => `/apis/apps.kruise.io/v1alpha1/namespaces/${ns}/clonesets`;
export const statefulSetsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets`;
export const podsPath = (ns: string) => `/api/v1/namespaces/${ns}/pods`;

/** The rendered workload a component revision holds (what the webservice/cloneset templates render). */
export function workloadData(
  component: string,
  image: string,
  kind: WorkloadKind = 'Deployment',
  app = 'rollout-trait-test',
) {
  const labels = { 'app.oam.dev/name': app, 'app.oam.dev/component': component };
  return {
    apiVersion: API_VERSIONS[kind],
    kind,
    metadata: { labels },
    spec: {
      selector: { matchLabels: { 'app.oam.dev/component': component } },
      ...(kind === 'CloneSet' ? { updateStrategy: { type: 'InPlaceIfPossible' } } : {}),
      ...(kind === 'StatefulSet' ? { serviceName: component } : {}),
      template: {
        metadata: { labels },
        spec: { containers: [{ name: component, image }] },
      },
    },
  };
}

/** A component ControllerRevision as the Application controller writes it (CONTRACTS.md). */
export async function applyRevision(
  ns: string,
  component: string,
  name: string,
  revision: number,
  image: string,
  kind: WorkloadKind = 'Deployment',
): Promise<void> {
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: ns,
      labels: {
        'controller.oam.dev/component': component,
        'app.oam.dev/component': component,
        'app.oam.dev/name': 'rollout-trait-test',
      },
    },
    revision,
    data: workloadData(component, image, kind),
  };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
}

export interface RolloutPlanInput {
  targetSize?: number;
  rolloutBatches?: { replicas: number | string; maxUnavailable?: number | string }[];
  batchPartition?: number;
  rolloutStrategy?: string;
  paused?: boolean;
  rolloutWebhooks?: { type: string; name: string; url: string; expectedStatus?: number[] }[];
}

/**
 * Applies the Rollout the rollout trait renders (client-side apply, so a field left out of a
 * later apply is removed, as when the user drops `batchPartition` from the trait).
 */
export async function applyRollout(
  ns: string,
  component: string,
  targetRevisionName: string,
  plan: RolloutPlanInput,
): Promise<void> {
  const manifest = {
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: {
      name: component,
      namespace: ns,
      labels: { 'app.oam.dev/name': 'rollout-trait-test', 'app.oam.dev/component': component },
    },
    spec: {
      targetRevisionName,
      componentName: component,
      rolloutPlan: { rolloutStrategy: 'IncreaseFirst', ...plan },
    },
  };
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
}

/** Waits (on a watch) until the Rollout's status satisfies `predicate`. */
export async function waitRollout(
  ns: string,
  name: string,
  predicate: (rollout: RolloutObject) => boolean,
  what = 'the rollout',
  timeoutMs = 60000,
): Promise<RolloutObject> {
  const seen = await watchUntil<RolloutObject>(
    rolloutsPath(ns),
    (objects) => {
      const rollout = objects.get(name);
      return rollout !== undefined && predicate(rollout);
    },
    { what: `${what} (${ns}/${name})`, timeoutMs },
  );
  return seen.get(name) as RolloutObject;
}

export function columnsOf(rollout: RolloutObject): (string | number | undefined)[] {
  const s = rollout.status ?? {};
  return [
    s.rolloutTargetSize,
    s.upgradedReplicas,
    s.upgradedReadyReplicas,
    s.batchRollingState,
    s.rollingState,
  ];
}

/** Waits until the Rollout shows these TARGET UPGRADED READY BATCH-STATE ROLLING-STATE values. */
export function waitColumns(
  ns: string,
  name: string,
  columns: [number, number, number, string, string],
  timeoutMs = 60000,
): Promise<RolloutObject> {
  return waitRollout(
    ns,
    name,
    (rollout) => JSON.stringify(columnsOf(rollout)) === JSON.stringify(columns),
    `rollout columns ${columns.join(' ')}`,
    timeoutMs,
  );
}

/** `kubectl get rollout <name>` as the seed shows it: the columns before AGE. */
export async function getRollout(ns: string, name: string): Promise<string[]> {
  const out = await kubectlOk(['get', 'rollout', name, '-n', ns]);
  const [header, row] = out.trim().split('\n');
  expectHeader(header, ['NAME', 'TARGET', 'UPGRADED', 'READY', 'BATCH-STATE', 'ROLLING-STATE', 'AGE']);
  return (row ?? '').trim().split(/\s+/).slice(0, 6);
}

function expectHeader(header: string | undefined, columns: string[]): void {
  const got = (header ?? '').trim().split(/\s+/);
  if (JSON.stringify(got) !== JSON.stringify(columns)) {
    throw new Error(`unexpected kubectl header ${JSON.stringify(got)}`);
  }
}

/** `kubectl get deploy -l app.oam.dev/component=<component>`: NAME and READY of every row. */
export async function getDeployments(ns: string, component: string): Promise<string[][]> {
  const out = await kubectl(['get', 'deploy', '-n', ns, '-l', `app.oam.dev/component=${component}`]);
  if (out.code !== 0) throw new Error(out.stderr);
  const lines = out.stdout.trim().split('\n').filter(Boolean);
  if (lines.length === 0) return [];
  expectHeader(lines[0], ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  return lines.slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2));
}

/** Waits until exactly these workloads (name → replicas) exist, all ready and observed. */
export async function waitWorkloads(
  path: string,
  component: string,
  expected: Record<string, number>,
  timeoutMs = 60000,
): Promise<Map<string, WorkloadObject>> {
  return watchUntil<WorkloadObject>(
    path,
    (objects) => {
      const names = [...objects.keys()].sort();
      if (JSON.stringify(names) !== JSON.stringify(Object.keys(expected).sort())) return false;
      return [...objects.values()].every((w) => {
        const want = expected[w.metadata.name];
        return (
          w.spec?.replicas === want &&
          (w.status?.replicas ?? 0) === want &&
          (w.status?.readyReplicas ?? 0) === want &&
          (w.status?.observedGeneration ?? 0) >= (w.metadata.generation ?? 0)
        );
      });
    },
    {
      labelSelector: `app.oam.dev/component=${component}`,
      what: `workloads ${JSON.stringify(expected)}`,
      timeoutMs,
    },
  );
}

/**
 * Waits until no workload of `resource` (e.g. `deployments`) with the component label is left:
 * `kubectl wait --for=delete` watches, and also answers at once when nothing matches any more.
 */
export async function waitNoWorkloads(ns: string, resource: string, component: string): Promise<void> {
  const out = await kubectl([
    'wait',
    '--for=delete',
    resource,
    '-n',
    ns,
    '-l',
    `app.oam.dev/component=${component}`,
    '--timeout=60s',
  ]);
  if (out.code !== 0 && !/no matching resources found/i.test(out.stderr)) {
    throw new Error(`${resource} of ${component} still exist: ${out.stderr}`);
  }
}

export async function waitDeployments(
  ns: string,
  component: string,
  expected: Record<string, number>,
  timeoutMs = 60000,
): Promise<Map<string, WorkloadObject>> {
  return waitWorkloads(deploymentsPath(ns), component, expected, timeoutMs);
}

export function isReadyPod(pod: PodObject): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

/** Events about the Rollout, as `reason: message` lines. */
export async function rolloutEvents(
  ns: string,
  name: string,
): Promise<{ type: string; reason: string; message: string; source: string }[]> {
  const out = await kubectlOk([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.kind=Rollout,involvedObject.name=${name}`,
    '-o',
    'json',
  ]);
  const items = (
    JSON.parse(out) as {
      items: { type: string; reason: string; message: string; source?: { component?: string } }[];
    }
  ).items;
  return items.map((e) => ({
    type: e.type,
    reason: e.reason,
    message: e.message,
    source: e.source?.component ?? '',
  }));
}
