// The Rollout reconciler: reads the Rollout, its target ControllerRevision and the component's
// workloads and pods from the informer caches, asks the engine for the plan, applies the plan's
// actions in order, and writes status only once they all succeeded (then Events, one per
// transition). Every decision lives in the engine or in the pure glue of plan-input.ts and
// status.ts; this file does the I/O.

import { planRollout, type RolloutAction, type RolloutPlanResult } from '../engine/index.js';
import { ensureApplied, ensureStatusApplied } from '../kit/apply.js';
import type { Clock } from '../kit/clock.js';
import type { KubeClient } from '../kit/client.js';
import { findCondition } from '../kit/conditions.js';
import type { ReconcileRequest } from '../kit/controller.js';
import type { EventRecorder } from '../kit/events.js';
import type { Informer } from '../kit/informer.js';
import type { Logger } from '../kit/log.js';
import { keyOf, type KubeObject } from '../kit/objects.js';
import { CONTROLLER_UID_INDEX } from '../kit/store.js';
import {
  adoptionPatch,
  COMPONENT_LABEL,
  patchWorkload,
  type OwnedLookup,
  type Pod,
  type RevisionWorkload,
  type Workload,
  type WorkloadAdapter,
} from '../workloads/index.js';
import { WriteMemory, type FreshView } from './freshness.js';
import {
  attemptAfter,
  buildRequest,
  carriesIhpa,
  decide,
  generationOf,
  ownedBy,
  ownerReferenceTo,
  progressOf,
  revisionWorkload,
  sourceWorkloads,
  type Attempt,
  type ObservedWorkload,
} from './plan-input.js';
import {
  correctionEvents,
  eventsFor,
  readyCondition,
  READY_CONDITION,
  rolloutStatus,
  workloadAnnotations,
  type ConditionOverride,
  type RolloutEvent,
} from './status.js';
import {
  ROLLOUT_API_VERSION,
  ROLLOUT_KIND,
  type ControllerRevision,
  type Rollout,
  type RolloutStatus,
} from './types.js';
import { rejectedWriteMessage, WORKLOAD_REJECTED } from './rejection.js';
import { callWebhook, WebhookError, webhooksFor, type FetchLike } from './webhooks.js';

/**
 * Field manager of the Rollout's own metadata (its workload annotations). Not `rollscale`: the
 * Application controller applies the Rollout's spec and labels as `rollscale`, and an apply by
 * the same manager with only annotations in it would drop everything else that manager owns.
 */
export const ROLLOUT_METADATA_FIELD_MANAGER = 'rollscale-rollout';

export interface WorkloadSource {
  adapter: WorkloadAdapter;
  informer: Informer<Workload>;
}

export interface RolloutReconcilerOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  recorder: EventRecorder;
  rollouts: Informer<Rollout>;
  revisions: Informer<ControllerRevision>;
  /** Keyed `apiVersion/kind` (see workloadKey); kinds the cluster does not serve are absent. */
  workloads: ReadonlyMap<string, WorkloadSource>;
  replicaSets: Informer<KubeObject>;
  pods: Informer<Pod>;
  webhookTimeoutMs?: number;
  fetch?: FetchLike;
}

export function workloadKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

/** Everything one reconcile works with once the objects are found. */
interface Context {
  rollout: Rollout;
  namespace: string;
  data: RevisionWorkload;
  source: WorkloadSource;
  targetName: string;
  target: FreshView<Workload>;
  sources: { name: string; view: FreshView<Workload> }[];
  logger: Logger;
}

export class RolloutReconciler {
  private readonly memory = new WriteMemory<KubeObject>();
  private readonly owned: OwnedLookup;
  private readonly pendingEvents = new Set<Promise<void>>();

  constructor(private readonly options: RolloutReconcilerOptions) {
    this.owned = (uid, kind) =>
      kind === 'Pod'
        ? options.pods.byIndex(CONTROLLER_UID_INDEX, uid)
        : options.replicaSets.byIndex(CONTROLLER_UID_INDEX, uid);
  }

  async reconcile(request: ReconcileRequest): Promise<void> {
    const { rollouts } = this.options;
    const cached = rollouts.get(request.key);
    if (!cached) {
      this.memory.forget(`${ROLLOUT_KIND}/${request.key}`);
      return;
    }
    const rollout = this.memory.view(`${ROLLOUT_KIND}/${request.key}`, cached, rollouts.lastResourceVersion())
      .object as Rollout;
    // Deleting: the workloads carry ownerReferences to the Rollout; garbage collection removes them.
    if (rollout.metadata.deletionTimestamp) return;
    const logger = request.logger;
    const namespace = rollout.metadata.namespace;
    const spec = rollout.spec;

    const revision = this.options.revisions.get(keyOf(namespace, spec.targetRevisionName));
    if (!revision) {
      return this.hold(rollout, {
        reason: 'TargetRevisionNotFound',
        message:
          `ControllerRevision "${spec.targetRevisionName}" (spec.targetRevisionName) does not exist in ` +
          `namespace ${namespace}; no workload was changed`,
      });
    }
    const parsed = revisionWorkload(revision);
    if (!parsed.ok) return this.hold(rollout, { reason: 'InvalidRevision', message: parsed.message });
    const source = this.options.workloads.get(workloadKey(parsed.data.apiVersion, parsed.data.kind));
    if (!source) {
      const supported = [...this.options.workloads.values()].map((s) => s.adapter.kind).join(', ');
      return this.hold(rollout, {
        reason: 'UnsupportedWorkload',
        message: `ControllerRevision "${revision.metadata.name}" holds a ${parsed.data.kind} (${parsed.data.apiVersion}); rollouts support ${supported}`,
      });
    }

    const { adapter } = source;
    const targetName = adapter.workloadName(spec.componentName, spec.targetRevisionName);
    await this.annotate(rollout, adapter, targetName);

    const target = this.view(source, namespace, targetName);
    if (target.object && !target.behind && !ownedBy(target.object, rollout.metadata.uid)) {
      // A workload found rather than created: own it, so deleting the Rollout removes it too.
      await this.write(source, namespace, targetName, () =>
        patchWorkload(
          this.options.client,
          adapter.resource,
          namespace,
          targetName,
          adoptionPatch(target.object as Workload, ownerReferenceTo(rollout)),
          'json',
        ),
      );
      logger.info('adopted workload', { workload: targetName });
      return;
    }
    const candidates = adapter.inPlace
      ? []
      : source.informer.list(namespace, { matchLabels: { [COMPONENT_LABEL]: spec.componentName } });
    const sources = sourceWorkloads(candidates, rollout, targetName)
      .map((workload) => ({
        name: workload.metadata.name,
        view: this.view(source, namespace, workload.metadata.name),
      }))
      .filter((entry) => entry.view.object !== undefined);

    const context: Context = {
      rollout,
      namespace,
      data: parsed.data,
      source,
      targetName,
      target,
      sources,
      logger,
    };
    await this.advance(context);
  }

  /** Plans, applies and records one step of the rollout. */
  private async advance(context: Context): Promise<void> {
    const { rollout, source, target, sources, logger } = context;
    const { adapter } = source;
    const observe = (view: FreshView<Workload>): ObservedWorkload => {
      const workload = view.object as Workload;
      return {
        counts: adapter.counts(workload, this.owned, view.behind),
        revision: adapter.revisionOf(workload),
        ihpa: carriesIhpa(workload),
        behind: view.behind,
      };
    };
    const decision = decide({
      rollout,
      inPlace: adapter.inPlace,
      target: target.object ? observe(target) : undefined,
      sources: sources.map((entry) => observe(entry.view)),
    });

    if (decision.templateFirst && target.object) {
      const live = target.object;
      const { revision, hold } = decision.templateFirst;
      const request = buildRequest(rollout, context.data, context.targetName, revision, hold);
      logger.info('applying', { action: 'updateTemplate', workload: live.metadata.name, hold });
      await this.write(source, context.namespace, live.metadata.name, () =>
        adapter.updateTemplate(this.options.client, live, request, hold),
      );
      this.emit(rollout, [
        {
          type: 'Normal',
          reason: 'TemplateUpdated',
          message: `${adapter.kind} ${live.metadata.name} now has the pod template of ${revision}; partition ${hold} holds every pod until the batches move them`,
        },
      ]);
      return;
    }

    const { input, comparison, mode } = decision;
    let result: RolloutPlanResult = planRollout(input);
    let override: ConditionOverride | undefined;
    try {
      await this.run(context, result, mode);
    } catch (error) {
      const rejected = rejectedWriteMessage(error);
      if (rejected !== undefined) {
        // Retrying the same write cannot help: hold, and say why (a new revision or plan retries).
        logger.warn('workload write refused', { message: rejected });
        return this.hold(rollout, { reason: WORKLOAD_REJECTED, message: rejected });
      }
      if (!(error instanceof WebhookError)) throw error;
      // The hook answered wrong: the rollout fails (the engine takes it to rolloutFailed).
      result = planRollout({ ...input, failure: error.message });
      override = { reason: 'WebhookFailed', message: error.message };
      await this.run(context, result, mode);
    }

    const status = rollout.status;
    const previousReason = findCondition(status?.conditions, READY_CONDITION)?.reason;
    const conditions = readyCondition(
      status?.conditions,
      result,
      this.options.clock.now(),
      rollout.metadata.generation,
      override,
    );
    const attempt = attemptAfter(comparison, result, generationOf(rollout));
    await this.writeStatus(rollout, rolloutStatus(result.status, attempt, conditions, status));
    // A webhook failure is told by the RolloutFailing transition's Event, which carries its message.
    this.emit(rollout, [
      ...eventsFor(result, previousReason),
      ...correctionEvents(result, input.observed, adapter.kind),
    ]);
    logger.debug('planned', {
      mode,
      state: result.status.rollingState,
      batch: result.status.currentBatch,
      batchState: result.status.batchRollingState,
      waitingFor: result.waitingFor,
      reason: result.reason,
      observed: [input.observed.target, ...(input.observed.sources ?? [])].map(
        (c) => c && `${c.name} ${c.ready}/${c.desired}${c.settled === false ? ' unsettled' : ''}`,
      ),
    });
  }

  /** Runs the plan's actions in order; the first failure stops the rest (and the status write). */
  private async run(context: Context, result: RolloutPlanResult, mode: string): Promise<void> {
    const { rollout, namespace, source, logger } = context;
    const { adapter } = source;
    const client = this.options.client;
    for (const action of result.actions) {
      logger.info('applying', { action: action.type, ...describe(action), mode });
      switch (action.type) {
        case 'createTarget': {
          const workload = adapter.build(
            buildRequest(
              rollout,
              context.data,
              context.targetName,
              rollout.spec.targetRevisionName,
              action.replicas,
            ),
          );
          await this.write(source, namespace, context.targetName, () => adapter.create(client, workload));
          break;
        }
        case 'setReplicas':
          await this.write(source, namespace, action.workload, () =>
            adapter.setReplicas(client, namespace, action.workload, action.replicas),
          );
          break;
        case 'setPartition':
          await this.write(source, namespace, action.workload, () =>
            adapter.setPartition(client, namespace, action.workload, action.partition),
          );
          break;
        case 'deleteWorkload': {
          const uid = this.view(source, namespace, action.workload).object?.metadata.uid;
          await adapter.delete(client, namespace, action.workload, uid);
          this.memory.deleted(this.workloadMemoryKey(source, namespace, action.workload), uid);
          break;
        }
        case 'callWebhooks':
          for (const hook of webhooksFor(rollout.spec.rolloutPlan, action)) {
            await callWebhook(
              hook,
              {
                name: rollout.metadata.name,
                namespace,
                type: action.hook === 'batch' ? hook.type : action.hook,
                rollingState: result.status.rollingState,
                ...(action.batch !== undefined ? { batch: action.batch } : {}),
              },
              { timeoutMs: this.options.webhookTimeoutMs, fetch: this.options.fetch },
            );
          }
          break;
      }
    }
  }

  /** Holds the rollout without touching any workload, saying why in the condition and an Event. */
  private async hold(rollout: Rollout, override: ConditionOverride): Promise<void> {
    const status = rollout.status;
    const previousReason = findCondition(status?.conditions, READY_CONDITION)?.reason;
    const progress = progressOf(status);
    const conditions = readyCondition(
      status?.conditions,
      { status: progress, reason: override.reason, message: override.message, transitions: [] },
      this.options.clock.now(),
      rollout.metadata.generation,
      override,
    );
    const recorded: Attempt | undefined = status?.lastTargetRevision
      ? {
          target: status.lastTargetRevision,
          source: status.LastSourceRevision ?? '',
          generation: status.targetGeneration ?? '',
        }
      : undefined;
    await this.writeStatus(rollout, rolloutStatus(progress, recorded, conditions, status));
    if (previousReason !== override.reason) {
      this.emit(rollout, [{ type: 'Warning', reason: override.reason, message: override.message }]);
    }
  }

  private async writeStatus(rollout: Rollout, status: RolloutStatus): Promise<void> {
    const desired: KubeObject & { status: RolloutStatus } = {
      apiVersion: ROLLOUT_API_VERSION,
      kind: ROLLOUT_KIND,
      metadata: { name: rollout.metadata.name, namespace: rollout.metadata.namespace },
      status,
    };
    const written = await ensureStatusApplied<KubeObject & { status?: unknown }>(
      this.options.client,
      desired,
      rollout,
    );
    if (written.applied) {
      this.memory.wrote(
        `${ROLLOUT_KIND}/${keyOf(rollout.metadata.namespace, rollout.metadata.name)}`,
        written.object,
      );
    }
  }

  /** `trait.oam.dev/workload-name` / `trait.oam.dev/workload-gvk` on the Rollout. */
  private async annotate(rollout: Rollout, adapter: WorkloadAdapter, workloadName: string): Promise<void> {
    const desired: KubeObject = {
      apiVersion: ROLLOUT_API_VERSION,
      kind: ROLLOUT_KIND,
      metadata: {
        name: rollout.metadata.name,
        namespace: rollout.metadata.namespace,
        annotations: workloadAnnotations(adapter, workloadName),
      },
    };
    await ensureApplied<KubeObject>(this.options.client, desired, rollout, {
      fieldManager: ROLLOUT_METADATA_FIELD_MANAGER,
    });
  }

  /**
   * Records Events without holding up the reconcile: the next write of a rollout must not wait
   * for a handful of Event requests (the recorder never rejects and serializes repeats itself).
   */
  private emit(rollout: Rollout, events: readonly RolloutEvent[]): void {
    for (const event of events) {
      const pending = this.options.recorder.event(rollout, event.type, event.reason, event.message);
      this.pendingEvents.add(pending);
      void pending.finally(() => this.pendingEvents.delete(pending));
    }
  }

  /** Resolves once every Event recorded so far is written (tests, shutdown). */
  async eventsWritten(): Promise<void> {
    while (this.pendingEvents.size > 0) await Promise.all([...this.pendingEvents]);
  }

  private workloadMemoryKey(source: WorkloadSource, namespace: string, name: string): string {
    return `${source.adapter.kind}/${keyOf(namespace, name)}`;
  }

  private view(source: WorkloadSource, namespace: string, name: string): FreshView<Workload> {
    return this.memory.view(
      this.workloadMemoryKey(source, namespace, name),
      source.informer.get(keyOf(namespace, name)),
      source.informer.lastResourceVersion(),
    ) as FreshView<Workload>;
  }

  private async write(
    source: WorkloadSource,
    namespace: string,
    name: string,
    send: () => Promise<Workload>,
  ): Promise<void> {
    const written = await send();
    this.memory.wrote(this.workloadMemoryKey(source, namespace, name), written);
  }
}

function describe(action: RolloutAction): Record<string, unknown> {
  const { type: _type, ...rest } = action;
  return rest;
}
