// The IHPA reconciler: gathers what planIhpa needs (the IHPA, its ReplicaProfile, the portraits of
// its Dynamic providers, a Rollout in progress), carries out the plan (HorizontalPortraits,
// ReplicaProfile, Events, status) and sets one timer for the plan's next wake-up. All decisions
// are in planner.ts.

import { ensureApplied, ensureStatusApplied } from '../kit/apply.js';
import type { KubeClient } from '../kit/client.js';
import { isNotFound } from '../kit/client.js';
import type { Clock } from '../kit/clock.js';
import { reportError } from '../kit/conditions.js';
import type { ReconcileRequest, ReconcileResult } from '../kit/controller.js';
import type { EventRecorder } from '../kit/events.js';
import type { ResourceDescriptor } from '../kit/discovery.js';
import type { Informer } from '../kit/informer.js';
import { keyOf, type KubeObject, type OwnerReference } from '../kit/objects.js';
import { CONDITION_SCALING_ACTIVE, planIhpa, type IhpaObserved } from './planner.js';
import { horizontalPortraitName } from './providers.js';
import { blockingRollout, type RolloutInProgress } from './rollout-gate.js';
import { DEFAULT_TARGET_API_VERSION, REASON_FAILED_GET_SCALE } from './scale-target.js';
import {
  KAPACITY_API_VERSION,
  ihpaResources,
  specCounts,
  statusCounts,
  type HorizontalPortrait,
  type HorizontalPortraitStatusData,
  type Ihpa,
  type IhpaStatus,
  type ReplicaProfile,
  type RolloutObject,
} from './types.js';
import { WriteThroughMemo } from './write-through.js';

/**
 * Longest timer set at once. Node timers overflow past ~24.8 days, and a far-off cron edge is
 * simply re-planned after a day.
 */
export const MAX_WAKEUP_DELAY_MS = 24 * 3600_000;

export interface IhpaReconcilerDeps {
  client: KubeClient;
  clock: Clock;
  recorder: EventRecorder;
  ihpas: Informer<Ihpa>;
  profiles: Informer<ReplicaProfile>;
  portraits: Informer<HorizontalPortrait>;
  rollouts: Informer<RolloutObject>;
  /**
   * Caches of the workload kinds IHPAs scale, by `group/kind` (see scaleTargetCacheKey). A target
   * of a kind without a cache, or read before its cache synced, is read from the API.
   */
  targets?: ReadonlyMap<string, Informer<KubeObject>>;
}

/** Key of `targets`: `apps/Deployment`, `apps.kruise.io/CloneSet`. */
export function scaleTargetCacheKey(resource: ResourceDescriptor): string {
  return `${resource.group}/${resource.kind}`;
}

export function controllerReference(owner: KubeObject & { metadata?: { uid?: string } }): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? KAPACITY_API_VERSION,
    kind: owner.kind ?? ihpaResources.IntelligentHorizontalPodAutoscaler.kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Delay for `requeueAfter`: at least 1 ms (0 means "no requeue" to the controller). */
export function wakeupDelay(wakeup: Date, now: Date): number {
  return Math.min(MAX_WAKEUP_DELAY_MS, Math.max(1, wakeup.getTime() - now.getTime()));
}

export class IhpaReconciler {
  private readonly ihpaMemo = new WriteThroughMemo<Ihpa>();
  private readonly profileMemo = new WriteThroughMemo<ReplicaProfile>();

  constructor(private readonly deps: IhpaReconcilerDeps) {}

  async reconcile(request: ReconcileRequest): Promise<ReconcileResult> {
    const { client, clock, recorder } = this.deps;
    const { key, logger } = request;
    const ihpa = this.ihpaMemo.read(key, this.deps.ihpas.get(key), clock.now().getTime());
    if (ihpa === undefined || ihpa.metadata?.deletionTimestamp) {
      // Owner references let the garbage collector remove the ReplicaProfile and portraits.
      this.ihpaMemo.forget(key);
      this.profileMemo.forget(key);
      return {};
    }
    const namespace = ihpa.metadata?.namespace;
    const now = clock.now();

    let portraits: Map<string, HorizontalPortraitStatusData | undefined>;
    try {
      portraits = await this.syncPortraits(ihpa);
    } catch (error) {
      await this.fail(ihpa, error, 'FailedUpdateAndFetchPortraitValue', logger);
      throw error;
    }
    let target: KubeObject | undefined;
    try {
      target = await this.scaleTarget(ihpa);
    } catch (error) {
      // A kind no API serves (or a failed read): retried with backoff, as discovery may learn it.
      await this.fail(ihpa, error, REASON_FAILED_GET_SCALE, logger);
      throw error;
    }
    // A missing target's component is read off the IHPA itself (the ihpa trait labels it), so the
    // first rollout of a component, which creates the workload, is waited for without a Warning.
    const rolloutInProgress: RolloutInProgress | undefined = blockingRollout(
      target?.metadata?.labels ?? ihpa.metadata?.labels,
      this.deps.rollouts.list(namespace),
    );

    const profile = this.profileMemo.read(key, this.deps.profiles.get(key), now.getTime());
    const observed: IhpaObserved = {
      portraits,
      ...(ihpa.status ? { status: ihpa.status } : {}),
      ...(ihpa.metadata?.generation !== undefined ? { generation: ihpa.metadata.generation } : {}),
      ...(rolloutInProgress ? { rolloutInProgress } : {}),
      ...(target === undefined ? { scaleTargetMissing: ihpa.spec.scaleTargetRef } : {}),
    };
    if (profile !== undefined) {
      const reported = statusCounts(profile.status);
      observed.replicaProfile = {
        spec: specCounts(profile.spec),
        paused: profile.spec.paused ?? false,
        ...(reported ? { status: reported } : {}),
      };
    }
    const plan = planIhpa(ihpa.spec, observed, now);

    if (plan.replicaProfile !== undefined) {
      const desired: ReplicaProfile = {
        apiVersion: KAPACITY_API_VERSION,
        kind: ihpaResources.ReplicaProfile.kind,
        metadata: { name: ihpa.metadata?.name, namespace, ownerReferences: [controllerReference(ihpa)] },
        spec: {
          scaleTargetRef: ihpa.spec.scaleTargetRef,
          onlineReplicas: plan.replicaProfile.online,
          cutoffReplicas: plan.replicaProfile.cutoff,
          standbyReplicas: plan.replicaProfile.standby,
          paused: plan.replicaProfile.paused,
          ...(ihpa.spec.behavior?.replicaProfile ? { behavior: ihpa.spec.behavior.replicaProfile } : {}),
        },
      };
      try {
        const written = await ensureApplied(client, desired, profile, {});
        if (written.applied) this.profileMemo.wrote(key, profile, written.object, clock.now().getTime());
      } catch (error) {
        await this.fail(ihpa, error, 'FailedUpdateReplicaProfile', logger, plan.status.conditions);
        throw error;
      }
    }
    // Events are diagnostics: recorded without holding up the status write (a cron edge wakes
    // every IHPA at once, and each would otherwise wait for its Event requests first).
    for (const event of plan.events) void recorder.event(ihpa, event.type, event.reason, event.message);
    await this.writeStatus(key, ihpa, plan.status);

    if (plan.nextWakeup === undefined) return {};
    return { requeueAfter: wakeupDelay(plan.nextWakeup, clock.now()) };
  }

  /**
   * Applies a HorizontalPortrait for each Dynamic provider (spec copied from the provider, owned
   * by the IHPA), deletes those of removed providers, and returns each one's status.portraitData
   * by portraitType.
   */
  private async syncPortraits(ihpa: Ihpa): Promise<Map<string, HorizontalPortraitStatusData | undefined>> {
    const { client } = this.deps;
    const namespace = ihpa.metadata?.namespace;
    const ihpaName = ihpa.metadata?.name ?? '';
    const data = new Map<string, HorizontalPortraitStatusData | undefined>();
    const wanted = new Set<string>();
    for (const provider of ihpa.spec.portraitProviders) {
      const dynamic = provider.type === 'Dynamic' ? provider.dynamic : undefined;
      if (dynamic === undefined) continue;
      const name = horizontalPortraitName(ihpaName, dynamic.portraitType);
      wanted.add(name);
      const live = this.deps.portraits.get(keyOf(namespace, name));
      const desired: HorizontalPortrait = {
        apiVersion: KAPACITY_API_VERSION,
        kind: ihpaResources.HorizontalPortrait.kind,
        metadata: { name, namespace, ownerReferences: [controllerReference(ihpa)] },
        spec: {
          scaleTargetRef: ihpa.spec.scaleTargetRef,
          portraitType: dynamic.portraitType,
          algorithm: dynamic.algorithm,
          ...(dynamic.metrics ? { metrics: dynamic.metrics } : {}),
          ...(dynamic.externalGeneratorName ? { externalGeneratorName: dynamic.externalGeneratorName } : {}),
        },
      };
      await ensureApplied(client, desired, live);
      data.set(dynamic.portraitType, live?.status?.portraitData);
    }
    const uid = ihpa.metadata?.uid;
    for (const portrait of this.deps.portraits.list(namespace)) {
      const name = portrait.metadata?.name ?? '';
      const owned = (portrait.metadata?.ownerReferences ?? []).some(
        (ref) => ref.uid === uid && ref.controller,
      );
      if (!owned || wanted.has(name)) continue;
      try {
        await client.delete(ihpaResources.HorizontalPortrait, name, { namespace });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return data;
  }

  /** The workload scaleTargetRef names (undefined: it does not exist); from the cache when there is one. */
  private async scaleTarget(ihpa: Ihpa): Promise<KubeObject | undefined> {
    const namespace = ihpa.metadata?.namespace;
    const ref = ihpa.spec.scaleTargetRef;
    const resource = await this.deps.client.mapper.resourceFor(
      ref.apiVersion ?? DEFAULT_TARGET_API_VERSION,
      ref.kind,
    );
    const cache = this.deps.targets?.get(scaleTargetCacheKey(resource));
    if (cache?.hasSynced()) return cache.get(keyOf(namespace, ref.name));
    return this.deps.client.tryGet(resource, ref.name, namespace);
  }

  private async writeStatus(key: string, ihpa: Ihpa, status: Ihpa['status']): Promise<void> {
    // Only status goes to the status subresource: a spec in the body would be ignored there.
    const desired: KubeObject & { status: IhpaStatus } = {
      apiVersion: KAPACITY_API_VERSION,
      kind: ihpaResources.IntelligentHorizontalPodAutoscaler.kind,
      metadata: { name: ihpa.metadata?.name, namespace: ihpa.metadata?.namespace },
      status: status ?? {},
    };
    const written = await ensureStatusApplied<KubeObject & { status?: IhpaStatus }>(
      this.deps.client,
      desired,
      ihpa,
    );
    if (written.applied) {
      this.ihpaMemo.wrote(key, ihpa, written.object as Ihpa, this.deps.clock.now().getTime());
    }
  }

  /** The one error path: ScalingActive False + Warning Event + log, written to status. */
  private async fail(
    ihpa: Ihpa,
    error: unknown,
    reason: string,
    logger: ReconcileRequest['logger'],
    conditions = ihpa.status?.conditions,
  ): Promise<void> {
    const updated = await reportError({
      object: ihpa,
      error,
      reason,
      conditionType: CONDITION_SCALING_ACTIVE,
      conditions,
      now: this.deps.clock.now(),
      recorder: this.deps.recorder,
      logger,
    });
    try {
      await this.writeStatus(keyOf(ihpa.metadata?.namespace, ihpa.metadata?.name ?? ''), ihpa, {
        ...(ihpa.status ?? {}),
        conditions: updated,
      });
    } catch (statusError) {
      logger.warn('could not record the error in status', { error: String(statusError) });
    }
  }
}
