// `rollscale status`: what an Application, its Rollouts, IHPAs and workloads say, as a view model
// and as text (pure: the objects and the time come in, a string goes out).
//
// - Each component: health and message from the Application's status.services, its traits'.
// - A rollout trait: the Rollout's states and one progress bar per batch. The batch goals come
//   from the plan through the engine (batchGoals over the plan's effective batch sizes); a bar
//   fills with upgradedReadyReplicas between the previous goal and its own.
// - An ihpa trait: the current portrait value (provider, replicas), the pods online / cut off /
//   on standby, the gray progress, and the next scheduled change: the next gray step (and what
//   it will do, from the engine's planGray) or the time the portrait value expires.

import {
  batchGoals,
  effectiveBatchSizes,
  planGray,
  type GrayDirection,
} from '../controllers/engine/index.js';
import { grayStrategyFor } from '../controllers/ihpa/providers.js';
import type { Ihpa } from '../controllers/ihpa/types.js';
import type { Condition } from '../controllers/kit/conditions.js';
import type { KubeObject } from '../controllers/kit/objects.js';
import type { Rollout } from '../controllers/rollout/types.js';

export const LABEL_APP_NAME = 'app.oam.dev/name';
export const LABEL_COMPONENT = 'app.oam.dev/component';
export const LABEL_REVISION = 'app.oam.dev/revision';

export interface ApplicationObject extends KubeObject {
  spec?: {
    components?: Array<{ name: string; type?: string; traits?: Array<{ type: string }> }>;
  };
  status?: {
    observedGeneration?: number;
    status?: string;
    services?: Array<{
      name: string;
      healthy?: boolean;
      message?: string;
      traits?: Array<{ type: string; healthy?: boolean; message?: string }>;
    }>;
    conditions?: Condition[];
  };
}

export interface WorkloadObject extends KubeObject {
  spec?: { replicas?: number; updateStrategy?: { partition?: number } };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    updatedReadyReplicas?: number;
    availableReplicas?: number;
  };
}

export interface StatusSnapshot {
  namespace: string;
  /** What the user asked for: an Application name, or `rollout/<name>` / `ihpa/<name>`. */
  target: StatusTarget;
  application?: ApplicationObject;
  rollouts: readonly Rollout[];
  ihpas: readonly Ihpa[];
  workloads: readonly WorkloadObject[];
  /** ms since the epoch. */
  now: number;
}

export type StatusTarget =
  { kind: 'application'; name: string } | { kind: 'rollout'; name: string } | { kind: 'ihpa'; name: string };

export type BatchState = 'done' | 'rolling' | 'pending' | 'held';

export interface BatchView {
  /** 0-based. */
  index: number;
  /** Replicas the batch moves. */
  size: number;
  /** Of those, how many are upgraded and ready. */
  moved: number;
  state: BatchState;
}

export interface RolloutView {
  name: string;
  targetRevision: string;
  sourceRevision?: string;
  rollingState?: string;
  batchRollingState?: string;
  currentBatch: number;
  targetSize?: number;
  upgraded: number;
  ready: number;
  batches: BatchView[];
  batchPartition?: number;
  paused: boolean;
  /** The status describes the current spec (its generation and target revision). */
  current: boolean;
  /** Current and rolloutSucceed or rolloutFailed. */
  finished: boolean;
  succeeded: boolean;
  /** The Ready condition's message while it is not True: what the rollout waits for, or why it fails. */
  message?: string;
  /** rolloutFailing or rolloutFailed. */
  failing: boolean;
}

export interface IhpaView {
  name: string;
  target: string;
  minReplicas?: number;
  maxReplicas?: number;
  provider?: string;
  replicas?: number;
  expireTime?: number;
  online: number;
  cutoff: number;
  standby: number;
  gray?: { percent: number; direction: GrayDirection; from: number; to: number };
  /** The next change the IHPA has scheduled, when known. */
  next?: { at: number; text: string };
  /** ScalingActive is not True: its reason and message. */
  problem?: string;
}

export interface WorkloadView {
  kind: string;
  name: string;
  revision?: string;
  desired: number;
  ready: number;
}

export interface TraitView {
  type: string;
  healthy?: boolean;
  message?: string;
}

export interface ComponentView {
  name: string;
  type?: string;
  healthy?: boolean;
  message?: string;
  traits: TraitView[];
  rollout?: RolloutView;
  ihpa?: IhpaView;
  workloads: WorkloadView[];
}

export interface StatusView {
  title: string;
  namespace: string;
  /** The Application's phase (status.status). */
  phase?: string;
  /** The Application's status describes its current generation. */
  current: boolean;
  /** Why there is nothing to show, or the Application's failing condition. */
  notice?: string;
  components: ComponentView[];
}

// ---------------------------------------------------------------------------------------------
// View model

const TERMINAL_ROLLING_STATES = new Set(['rolloutSucceed', 'rolloutFailed']);

function isFalseCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  const condition = conditions?.find((c) => c.type === type);
  return condition && condition.status !== 'True' ? condition : undefined;
}

/** The batch progress of a Rollout, from its plan and status. Empty before the plan is verified. */
export function rolloutBatchViews(rollout: Rollout): BatchView[] {
  const status = rollout.status;
  const target = status?.rolloutTargetSize;
  if (status === undefined || target === undefined || target < 0) return [];
  // An upgrade (another source revision) moves 0 → target on the new revision; a scale of the
  // same revision (or a first release) moves the workload from its original size.
  const source = status.LastSourceRevision ?? '';
  const upgrade = source !== '' && source !== status.lastTargetRevision;
  const from = upgrade ? 0 : Math.max(0, status.rolloutOriginalSize ?? 0);
  const plan = rollout.spec.rolloutPlan;
  const sizes = effectiveBatchSizes(plan.rolloutBatches, plan.numBatches, Math.abs(target - from));
  const goals = batchGoals(from, target, sizes);
  const ready = status.upgradedReadyReplicas ?? 0;
  const direction = target >= from ? 1 : -1;
  const succeeded = status.rollingState === 'rolloutSucceed';
  const rolling = status.rollingState === 'rollingInBatches' || status.rollingState === 'finalising';
  const current = status.currentBatch ?? 0;
  const partition = plan.batchPartition;
  return goals.map((goal, index) => {
    const start = index === 0 ? from : (goals[index - 1] as number);
    const size = Math.abs(goal - start);
    const moved = Math.min(size, Math.max(0, (ready - start) * direction));
    let state: BatchState;
    if (succeeded || (rolling && index < current)) state = 'done';
    else if (rolling && index === current)
      state = status.batchRollingState === 'batchReady' ? 'done' : 'rolling';
    else if (partition !== undefined && index > partition) state = 'held';
    else state = 'pending';
    return { index, size, moved, state };
  });
}

export function rolloutView(rollout: Rollout): RolloutView {
  const status = rollout.status;
  const generation = rollout.metadata.generation;
  const current =
    status !== undefined &&
    status.lastTargetRevision === rollout.spec.targetRevisionName &&
    (generation === undefined || status.targetGeneration === String(generation));
  const rollingState = status?.rollingState;
  const notReady = isFalseCondition(status?.conditions, 'Ready');
  return {
    name: rollout.metadata.name,
    targetRevision: rollout.spec.targetRevisionName,
    ...(status?.LastSourceRevision && status.LastSourceRevision !== status.lastTargetRevision
      ? { sourceRevision: status.LastSourceRevision }
      : {}),
    rollingState,
    batchRollingState: status?.batchRollingState,
    currentBatch: status?.currentBatch ?? 0,
    targetSize:
      status?.rolloutTargetSize !== undefined && status.rolloutTargetSize >= 0
        ? status.rolloutTargetSize
        : rollout.spec.rolloutPlan.targetSize,
    upgraded: status?.upgradedReplicas ?? 0,
    ready: status?.upgradedReadyReplicas ?? 0,
    batches: rolloutBatchViews(rollout),
    ...(rollout.spec.rolloutPlan.batchPartition !== undefined
      ? { batchPartition: rollout.spec.rolloutPlan.batchPartition }
      : {}),
    paused: rollout.spec.rolloutPlan.paused === true,
    current,
    finished: current && rollingState !== undefined && TERMINAL_ROLLING_STATES.has(rollingState),
    succeeded: current && rollingState === 'rolloutSucceed',
    ...(notReady?.message && rollingState !== 'rolloutSucceed' ? { message: notReady.message } : {}),
    failing: rollingState === 'rolloutFailing' || rollingState === 'rolloutFailed',
  };
}

function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export function ihpaView(ihpa: Ihpa, now: number): IhpaView {
  const status = ihpa.status;
  const spec = ihpa.spec;
  const value = status?.currentPortraitValue;
  const counts = status?.currentReplicas ?? { online: 0, cutoff: 0, standby: 0 };
  const view: IhpaView = {
    name: ihpa.metadata?.name ?? '',
    target: `${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}`,
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    online: counts.online,
    cutoff: counts.cutoff,
    standby: counts.standby,
  };
  if (value) {
    view.provider = value.provider;
    view.replicas = value.replicas;
    const expires = parseTime(value.expireTime);
    if (expires !== undefined) view.expireTime = expires;
  }
  const inactive = isFalseCondition(status?.conditions, 'ScalingActive');
  if (inactive) view.problem = `${inactive.reason ?? 'ScalingInactive'}: ${inactive.message ?? ''}`.trim();

  const progressing = status?.conditions?.find((c) => c.type === 'GrayProgressing')?.status === 'True';
  const previous = status?.previousPortraitValue?.replicas;
  const gray = status?.gray;
  if (progressing && gray && previous !== undefined && value && previous !== value.replicas) {
    const direction: GrayDirection = value.replicas > previous ? 'up' : 'down';
    view.gray = { percent: gray.grayPercent, direction, from: previous, to: value.replicas };
    const strategy = grayStrategyFor(spec, direction);
    const lastUpdateTime = parseTime(gray.lastUpdateTime);
    if (strategy && lastUpdateTime !== undefined) {
      const input = {
        ...strategy,
        previous,
        current: value.replicas,
        grayPercent: gray.grayPercent,
        lastUpdateTime,
        direction,
      };
      const waiting = planGray({ ...input, now });
      // A step already due shows as due now; the controller takes it on its next wake-up.
      const at = waiting.stepped ? now : waiting.nextStepAt;
      if (at !== undefined) {
        const after = planGray({ ...input, now: Math.max(at, lastUpdateTime) });
        view.next = {
          at,
          text: after.done
            ? `gray ends: ${value.replicas} online, the gray pods are removed`
            : `gray step to ${after.grayPercent}%: ${after.online} online, ${after.cutoff} cutoff, ${after.standby} standby`,
        };
      }
    }
  }
  if (!view.next && view.expireTime !== undefined && view.expireTime > now) {
    view.next = {
      at: view.expireTime,
      text: `the ${view.provider ?? ''} portrait value expires`.replace('  ', ' '),
    };
  }
  return view;
}

function workloadViews(workloads: readonly WorkloadObject[]): WorkloadView[] {
  return workloads
    .map((w) => ({
      kind: w.kind ?? 'Workload',
      name: w.metadata?.name ?? '',
      ...(w.metadata?.labels?.[LABEL_REVISION] ? { revision: w.metadata.labels[LABEL_REVISION] } : {}),
      desired: w.spec?.replicas ?? 0,
      ready: w.status?.readyReplicas ?? 0,
    }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

function workloadTargeted(workload: WorkloadObject, ihpa: Ihpa): boolean {
  const ref = ihpa.spec.scaleTargetRef;
  return workload.kind === ref.kind && workload.metadata?.name === ref.name;
}

export function buildStatusView(snapshot: StatusSnapshot): StatusView {
  const { target, namespace } = snapshot;
  if (target.kind !== 'application') {
    const components: ComponentView[] = [];
    if (target.kind === 'rollout') {
      for (const rollout of snapshot.rollouts.filter((r) => r.metadata.name === target.name)) {
        const component = rollout.spec.componentName;
        components.push({
          name: component,
          traits: [],
          rollout: rolloutView(rollout),
          workloads: workloadViews(
            snapshot.workloads.filter((w) => w.metadata?.labels?.[LABEL_COMPONENT] === component),
          ),
        });
      }
    } else {
      for (const ihpa of snapshot.ihpas.filter((i) => i.metadata?.name === target.name)) {
        components.push({
          name: ihpa.metadata?.name ?? target.name,
          traits: [],
          ihpa: ihpaView(ihpa, snapshot.now),
          workloads: workloadViews(snapshot.workloads.filter((w) => workloadTargeted(w, ihpa))),
        });
      }
    }
    return {
      title: `${target.kind === 'rollout' ? 'Rollout' : 'IHPA'} ${target.name}`,
      namespace,
      current: true,
      ...(components.length === 0
        ? { notice: `${target.kind} ${target.name} not found in namespace ${namespace}` }
        : {}),
      components,
    };
  }

  const app = snapshot.application;
  if (!app) {
    return {
      title: `Application ${target.name}`,
      namespace,
      current: false,
      notice: `Application ${target.name} not found in namespace ${namespace} (kubectl get app -n ${namespace} lists them)`,
      components: [],
    };
  }
  const status = app.status;
  const generation = app.metadata?.generation;
  const current =
    status !== undefined && (generation === undefined || status.observedGeneration === generation);
  const failing = ['Rendered', 'Applied'].map((t) => isFalseCondition(status?.conditions, t)).find(Boolean);
  const components = (app.spec?.components ?? []).map((component): ComponentView => {
    const service = status?.services?.find((s) => s.name === component.name);
    const rollout = snapshot.rollouts.find(
      (r) => r.spec.componentName === component.name || r.metadata.name === component.name,
    );
    const ihpa = snapshot.ihpas.find(
      (i) => i.metadata?.labels?.[LABEL_COMPONENT] === component.name || i.metadata?.name === component.name,
    );
    const traits = (component.traits ?? []).map((trait): TraitView => {
      const reported = service?.traits?.find((t) => t.type === trait.type);
      return {
        type: trait.type,
        ...(reported?.healthy !== undefined ? { healthy: reported.healthy } : {}),
        ...(reported?.message ? { message: reported.message } : {}),
      };
    });
    return {
      name: component.name,
      ...(component.type ? { type: component.type } : {}),
      ...(service?.healthy !== undefined ? { healthy: service.healthy } : {}),
      ...(service?.message ? { message: service.message } : {}),
      traits,
      ...(rollout ? { rollout: rolloutView(rollout) } : {}),
      ...(ihpa ? { ihpa: ihpaView(ihpa, snapshot.now) } : {}),
      workloads: workloadViews(
        snapshot.workloads.filter((w) => w.metadata?.labels?.[LABEL_COMPONENT] === component.name),
      ),
    };
  });
  return {
    title: `Application ${app.metadata?.name ?? target.name}`,
    namespace,
    ...(status?.status ? { phase: status.status } : {}),
    current,
    ...(failing
      ? {
          notice:
            `${failing.type} ${failing.status}: ${failing.reason ?? ''} ${failing.message ?? ''}`.trim(),
        }
      : {}),
    components,
  };
}

/**
 * Whether `status --watch` is done: the Application's status describes its current spec and is
 * past rendering, every Rollout finished its current attempt, and no IHPA is in a gray change.
 */
export function statusSettled(view: StatusView): boolean {
  if (view.components.length === 0) return false;
  // A rollout trait whose Rollout is not there yet has not even started.
  const rolloutsDone = view.components.every((c) =>
    c.rollout ? c.rollout.finished : !c.traits.some((t) => t.type === 'rollout'),
  );
  if (!rolloutsDone || view.components.some((c) => c.ihpa?.gray)) return false;
  if (!view.title.startsWith('Application ')) return true;
  if (!view.current || !view.phase || view.phase === 'rendering') return false;
  // Unhealthy is final only when a rollout failed; otherwise something is still coming up.
  const failed = view.components.some((c) => c.rollout?.finished && !c.rollout.succeeded);
  return view.phase === 'running' || view.phase === 'workflowFailed' || failed;
}

// ---------------------------------------------------------------------------------------------
// Text

export interface RenderOptions {
  now: number;
  color?: boolean;
  /** Width of a progress bar in cells. */
  barWidth?: number;
}

/** `filled` of `total` as a bar of `width` cells (a total of 0 counts as complete). */
export function progressBar(filled: number, total: number, width: number): string {
  const cells = Math.max(1, Math.floor(width));
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, filled / total));
  const full = Math.round(fraction * cells);
  return '█'.repeat(full) + '░'.repeat(cells - full);
}

const ANSI = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

function painter(color: boolean) {
  return (style: keyof typeof ANSI, text: string) =>
    color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function inSeconds(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  if (seconds <= 0) return 'due now';
  if (seconds < 120) return `in ${seconds} s`;
  if (seconds < 7200) return `in ${Math.round(seconds / 60)} min`;
  return `in ${Math.round(seconds / 3600)} h`;
}

function healthMark(healthy: boolean | undefined, paint: ReturnType<typeof painter>): string {
  if (healthy === true) return paint('green', '✔');
  if (healthy === false) return paint('red', '✖');
  return paint('dim', '…');
}

const BATCH_WORDS: Record<BatchState, string> = {
  done: 'ready',
  rolling: 'rolling',
  pending: 'pending',
  held: 'held by batchPartition',
};

function renderRollout(
  view: RolloutView,
  options: RenderOptions,
  paint: ReturnType<typeof painter>,
): string[] {
  const states = [view.rollingState ?? 'not started', view.batchRollingState].filter(Boolean).join(' / ');
  const revisions = view.sourceRevision
    ? `${view.sourceRevision} → ${view.targetRevision}`
    : view.targetRevision;
  const stateText = view.succeeded
    ? paint('green', states)
    : view.failing
      ? paint('red', states)
      : paint('yellow', states);
  const lines = [
    `Rollout ${view.name}  ${revisions}  ${stateText}  ` +
      `target ${view.targetSize ?? '?'} · upgraded ${view.upgraded} · ready ${view.ready}` +
      (view.paused ? '  ' + paint('yellow', '(paused)') : ''),
  ];
  if (!view.current) lines.push(paint('dim', '  waiting for the rollout controller to take up the new spec'));
  const width = options.barWidth ?? 20;
  for (const batch of view.batches) {
    const bar = progressBar(batch.moved, batch.size, width);
    const colored =
      batch.state === 'done'
        ? paint('green', bar)
        : batch.state === 'rolling'
          ? paint('yellow', bar)
          : paint('dim', bar);
    lines.push(
      `  batch ${batch.index + 1}/${view.batches.length}  ${colored}  ${batch.moved}/${batch.size}  ${BATCH_WORDS[batch.state]}`,
    );
  }
  if (view.message) lines.push(`  ${paint(view.failing ? 'red' : 'dim', view.message)}`);
  return lines;
}

function renderIhpa(view: IhpaView, options: RenderOptions, paint: ReturnType<typeof painter>): string[] {
  const bounds =
    view.minReplicas !== undefined ? `  (min ${view.minReplicas}, max ${view.maxReplicas ?? '?'})` : '';
  const lines = [`IHPA ${view.name} → ${view.target}${bounds}`];
  lines.push(
    view.provider !== undefined
      ? `  portrait: ${view.provider} → ${view.replicas} replicas`
      : `  portrait: ${paint('dim', 'no value yet')}`,
  );
  lines.push(`  pods: ${view.online} online · ${view.cutoff} cutoff · ${view.standby} standby`);
  if (view.gray) {
    const bar = progressBar(view.gray.percent, 100, options.barWidth ?? 20);
    lines.push(
      `  gray: scale ${view.gray.direction} ${view.gray.from} → ${view.gray.to}  ${paint('yellow', bar)}  ${view.gray.percent}%`,
    );
  }
  if (view.next) {
    lines.push(
      `  next: ${clock(view.next.at)} UTC (${inSeconds(view.next.at, options.now)}): ${view.next.text}`,
    );
  }
  if (view.problem) lines.push(`  ${paint('red', view.problem)}`);
  return lines;
}

export function renderStatusView(view: StatusView, options: RenderOptions): string {
  const paint = painter(options.color ?? false);
  const lines: string[] = [];
  const phase = view.phase
    ? `  phase: ${view.phase === 'running' ? paint('green', view.phase) : paint('yellow', view.phase)}`
    : '';
  lines.push(`${paint('bold', view.title)}  (namespace ${view.namespace})${phase}`);
  if (view.notice) lines.push(`  ${paint(view.components.length ? 'red' : 'yellow', view.notice)}`);
  for (const component of view.components) {
    const head = [
      `  ${healthMark(component.healthy, paint)} ${component.name}`,
      component.type ? paint('dim', component.type) : '',
      component.healthy === undefined ? '' : component.healthy ? 'healthy' : 'unhealthy',
      component.message ?? '',
    ].filter(Boolean);
    if (component.type !== undefined || component.healthy !== undefined) lines.push(head.join('  '));
    const indent = component.type !== undefined || component.healthy !== undefined ? '      ' : '  ';
    for (const trait of component.traits) {
      lines.push(
        `    ${healthMark(trait.healthy, paint)} trait ${trait.type}${trait.message ? `: ${trait.message}` : ''}`,
      );
    }
    if (component.rollout)
      lines.push(...renderRollout(component.rollout, options, paint).map((l) => indent + l));
    if (component.ihpa) lines.push(...renderIhpa(component.ihpa, options, paint).map((l) => indent + l));
    for (const workload of component.workloads) {
      const ready = `${workload.ready}/${workload.desired}`;
      lines.push(
        `${indent}${workload.kind} ${workload.name}  ${workload.ready === workload.desired ? paint('green', ready) : paint('yellow', ready)} ready` +
          (workload.revision && workload.revision !== workload.name
            ? paint('dim', `  (revision ${workload.revision})`)
            : ''),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
