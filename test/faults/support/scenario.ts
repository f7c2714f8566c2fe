// The rollout story the fault tests replay under faults: a webservice Application with the
// rollout trait is released, upgraded, upgraded again, rolled back, scaled up and down (scale-only
// rollouts), upgraded again, ...; each step has invariant bounds (invariants.ts) and an end state
// that must equal the spec. Also the controller process a fault test kills and restarts, and a
// seeded random source so a failing run can be replayed (FAULT_SEED).
import { startController, type ControllerProcess } from '../../e2e/controller-process.js';
import { rolloutApp, type AppStep } from './healthy.js';
import { largestBatch, stepBounds, type Bounds } from './invariants.js';
import type { Kube } from './kube.js';
import type { NamespaceObserver } from './observer.js';

export interface Step {
  name: string;
  kind: 'release' | 'upgrade' | 'rollback' | 'scale-up' | 'scale-down';
  app: AppStep;
  /** The revision whose Deployment is left, and the image it runs. */
  revision: string;
  image: string;
  bounds: Bounds;
}

/** Revision N of the component (the Application controller names them `<component>-v<N>`). */
export const revisionName = (component: string, n: number) => `${component}-v${n}`;

/**
 * The first `count` steps of the story for `component`: release, upgrade, upgrade, rollback,
 * scale up, scale down, then upgrades and scales alternating with fresh images.
 */
export function rolloutStory(component: string, count: number): Step[] {
  const steps: Step[] = [];
  let size = 0;
  let revision = 0;
  let image = '';
  let imageMinor = 20;
  let pinned: { revision: number; image: string } | undefined;
  const images = new Map<number, string>();
  const push = (
    name: string,
    kind: Step['kind'],
    next: {
      size: number;
      batches: number[];
      maxUnavailable?: number;
      newImage?: boolean;
      rollbackTo?: number;
    },
  ) => {
    const from = size;
    if (next.newImage) {
      imageMinor++;
      revision++;
      image = `nginx:1.${imageMinor}`;
      images.set(revision, image);
      pinned = undefined;
    }
    if (next.rollbackTo !== undefined) {
      pinned = { revision: next.rollbackTo, image: images.get(next.rollbackTo) ?? '' };
    }
    const target = pinned?.revision ?? revision;
    const app: AppStep = {
      image,
      targetSize: next.size,
      batches: next.batches,
      ...(next.maxUnavailable ? { maxUnavailable: next.maxUnavailable } : {}),
      ...(pinned ? { targetRevision: revisionName(component, pinned.revision) } : {}),
    };
    // An upgrade moves every replica (from the old Deployment to the new one); a scale moves the difference.
    const moving =
      kind === 'scale-up' || kind === 'scale-down'
        ? largestBatch(from, next.size, next.batches)
        : Math.max(...next.batches);
    steps.push({
      name,
      kind,
      app,
      revision: revisionName(component, target),
      image: pinned?.image ?? image,
      bounds: stepBounds(from, next.size, moving, next.maxUnavailable ?? 0),
    });
    size = next.size;
  };
  // Small batches keep each step long enough (one pod readiness per batch) for kills to land in it.
  push('release v1', 'release', { size: 4, batches: [2, 2], newImage: true });
  push('upgrade to v2 (maxUnavailable 1)', 'upgrade', {
    size: 4,
    batches: [1, 3],
    maxUnavailable: 1,
    newImage: true,
  });
  push('upgrade to v3', 'upgrade', { size: 4, batches: [1, 1, 1, 1], newImage: true });
  push('roll back to v2', 'rollback', { size: 4, batches: [1, 1, 2], rollbackTo: 2 });
  push('scale v2 up to 6', 'scale-up', { size: 6, batches: [1, 1] });
  push('scale v2 down to 3', 'scale-down', { size: 3, batches: [1, 2] });
  let n = revision;
  while (steps.length < count) {
    if (steps.length % 2 === 0) {
      n++;
      push(`upgrade to v${n}`, 'upgrade', {
        size,
        batches: Array.from({ length: size }, () => 1),
        newImage: true,
      });
    } else {
      const to = size >= 5 ? size - 2 : size + 2;
      push(`scale v${n} to ${to}`, to > size ? 'scale-up' : 'scale-down', {
        size: to,
        batches: [1, Math.abs(to - size) - 1],
      });
    }
  }
  return steps.slice(0, count);
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
export interface RolloutView {
  metadata: { name: string; generation?: number };
  spec?: { targetRevisionName?: string };
  status?: {
    rollingState?: string;
    batchRollingState?: string;
    currentBatch?: number;
    lastTargetRevision?: string;
    rolloutTargetSize?: number;
    upgradedReadyReplicas?: number;
    conditions?: Condition[];
  };
}
export interface DeploymentView {
  metadata: {
    name: string;
    generation?: number;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { observedGeneration?: number; readyReplicas?: number; replicas?: number };
}
interface ApplicationView {
  metadata: { name: string; generation?: number };
  status?: { status?: string; observedGeneration?: number };
}

/** The component's live Deployments, by name. */
export function componentDeployments(observer: NamespaceObserver, component: string): DeploymentView[] {
  return [...observer.objects.entries()]
    .filter(([key]) => key.startsWith('Deployment/'))
    .map(([, obj]) => obj as unknown as DeploymentView)
    .filter(
      (d) => d.metadata.labels?.['app.oam.dev/component'] === component && !d.metadata.deletionTimestamp,
    );
}

/** What differs between the cluster and the step's spec; empty once they are equal. */
export function differences(
  observer: NamespaceObserver,
  appName: string,
  component: string,
  step: Step,
): string[] {
  const out: string[] = [];
  const size = step.app.targetSize;
  const rollout = observer.get<RolloutView>('Rollout', component);
  if (rollout?.spec?.targetRevisionName !== step.revision)
    out.push(`rollout targets ${rollout?.spec?.targetRevisionName}, not ${step.revision}`);
  const s = rollout?.status;
  if (
    s?.rollingState !== 'rolloutSucceed' ||
    s.lastTargetRevision !== step.revision ||
    s.rolloutTargetSize !== size ||
    s.upgradedReadyReplicas !== size
  )
    out.push(
      `rollout status ${s?.rollingState}/${s?.lastTargetRevision}/${s?.rolloutTargetSize}/${s?.upgradedReadyReplicas}`,
    );
  const deployments = componentDeployments(observer, component);
  const shape = deployments
    .map((d) => `${d.metadata.name}=${d.spec?.replicas}/${d.status?.readyReplicas ?? 0}`)
    .sort();
  const [only] = deployments;
  if (
    deployments.length !== 1 ||
    only?.metadata.name !== step.revision ||
    only.spec?.replicas !== size ||
    (only.status?.readyReplicas ?? 0) !== size ||
    (only.status?.replicas ?? 0) !== size ||
    (only.status?.observedGeneration ?? 0) < (only.metadata.generation ?? 0) ||
    only.spec?.template?.spec?.containers?.[0]?.image !== step.image
  )
    out.push(
      `deployments ${shape.join(', ') || 'none'} (want ${step.revision}=${size}/${size} ${step.image})`,
    );
  const app = observer.get<ApplicationView>('Application', appName);
  if (app?.status?.status !== 'running' || app.status.observedGeneration !== app.metadata.generation)
    out.push(
      `application ${app?.status?.status} (observed ${app?.status?.observedGeneration} of ${app?.metadata.generation})`,
    );
  return out;
}

/** Waits until the cluster equals the step's spec; the differences left when it does not. */
export async function converge(
  observer: NamespaceObserver,
  appName: string,
  component: string,
  step: Step,
  timeoutMs: number,
): Promise<string[]> {
  await observer.until(() => differences(observer, appName, component, step).length === 0, timeoutMs);
  return differences(observer, appName, component, step);
}

export async function applyStep(
  kube: Kube,
  namespace: string,
  appName: string,
  component: string,
  step: Step,
) {
  await kube.kubectlOk(
    ['apply', '--server-side', '--force-conflicts', '-n', namespace, '-f', '-'],
    JSON.stringify(rolloutApp(appName, component, step.app)),
  );
}

/** mulberry32: a small seeded generator, so a failing run replays with FAULT_SEED=<seed>. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function faultSeed(): number {
  const fromEnv = Number(process.env.FAULT_SEED);
  return Number.isFinite(fromEnv) && process.env.FAULT_SEED ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The controller under test: one process at a time, SIGKILLed and started again on demand. */
export class KillableController {
  current?: ControllerProcess;
  readonly kills: Array<{ pid: number; at: string; note: string }> = [];
  /** Output of the processes killed so far (for a failure report). */
  private readonly pastOutput: string[] = [];

  constructor(private readonly options: Parameters<typeof startController>[0]) {}

  async start(): Promise<ControllerProcess> {
    this.current = await startController(this.options);
    return this.current;
  }

  /** SIGKILL (no shutdown path runs), then checks the process is really gone. */
  async kill(note: string): Promise<void> {
    const proc = this.current;
    if (!proc) throw new Error('no controller running');
    await proc.stop({ kill: true });
    if (alive(proc.pid)) throw new Error(`controller ${proc.pid} survived SIGKILL`);
    this.kills.push({ pid: proc.pid, at: new Date().toISOString(), note });
    this.pastOutput.push(proc.output());
    this.current = undefined;
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
  }

  /** Every log line of every process so far that reports an error. */
  errorLines(): string[] {
    return [...this.pastOutput, this.current?.output() ?? '']
      .join('\n')
      .split('\n')
      .filter((l) => /"level":"error"/.test(l));
  }
}
