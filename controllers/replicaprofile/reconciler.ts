// The ReplicaProfile reconciler: reads the target's scale (replicas and pod selector) and pods,
// lets planPodStates decide, then patches the pods (label and annotations on the pod, the
// `kapacitystack.io/online` condition on its status) and the workload's scale subresource, and
// reports the pods' states in status. Decisions are in pod-states.ts.

import { ensureStatusApplied } from '../kit/apply.js';
import { isNotFound, type KubeClient, type Scale } from '../kit/client.js';
import type { Clock } from '../kit/clock.js';
import { reportError, setCondition, type Condition } from '../kit/conditions.js';
import type { ReconcileRequest } from '../kit/controller.js';
import { builtin, type ResourceDescriptor } from '../kit/discovery.js';
import type { EventRecorder } from '../kit/events.js';
import type { Informer } from '../kit/informer.js';
import { compileSelector, type LabelMatcher } from '../kit/labels.js';
import { formatTime, type KubeObject } from '../kit/objects.js';
import { blockingRollout } from '../ihpa/rollout-gate.js';
import {
  IHPA_WORKLOAD_ANNOTATION,
  KAPACITY_API_VERSION,
  ONLINE_CONDITION,
  POD_STATE_LABEL,
  ihpaResources,
  specCounts,
  type ReplicaCounts,
  type ReplicaProfile,
  type ReplicaProfileStatus,
  type RolloutObject,
} from '../ihpa/types.js';
import {
  changeFor,
  isActivePod,
  planPodStates,
  podState,
  type PodChange,
  type ProfilePod,
} from './pod-states.js';

export const CONDITION_APPLIED = 'Applied';
export const CONDITION_ENSURED = 'Ensured';

export interface ReplicaProfileReconcilerDeps {
  client: KubeClient;
  clock: Clock;
  recorder: EventRecorder;
  profiles: Informer<ReplicaProfile>;
  pods: Informer<ProfilePod>;
  rollouts: Informer<RolloutObject>;
}

interface CachedSelector {
  namespace: string | undefined;
  matches: LabelMatcher;
  kind: string;
}

/** The IHPA a profile belongs to: its controlling owner, else (a hand-made profile) its own name. */
export function ihpaNameOf(profile: ReplicaProfile): string {
  const owner = (profile.metadata?.ownerReferences ?? []).find(
    (ref) => ref.kind === ihpaResources.IntelligentHorizontalPodAutoscaler.kind && ref.controller,
  );
  return owner?.name ?? profile.metadata?.name ?? '';
}

export class ReplicaProfileReconciler {
  /** Pod selector of each profile's target, learned from its scale subresource; for pod events. */
  private readonly selectors = new Map<string, CachedSelector>();
  /** Workloads (by uid) already annotated with their IHPA's name. */
  private readonly annotated = new Set<string>();

  constructor(private readonly deps: ReplicaProfileReconcilerDeps) {}

  /** Keys of the profiles whose target selects `pod` (the selector is learned on first reconcile). */
  profilesForPod(pod: ProfilePod): string[] {
    const keys: string[] = [];
    for (const [key, selector] of this.selectors) {
      if (selector.namespace === pod.metadata?.namespace && selector.matches(pod.metadata?.labels))
        keys.push(key);
    }
    return keys;
  }

  async reconcile(request: ReconcileRequest): Promise<void> {
    const { client, recorder } = this.deps;
    const { key, logger } = request;
    const profile = this.deps.profiles.get(key);
    if (profile === undefined || profile.metadata?.deletionTimestamp) {
      await this.releasePods(key);
      return;
    }
    const namespace = profile.metadata?.namespace;
    const desired = specCounts(profile.spec);
    let conditions = profile.status?.conditions;
    const condition = (type: string, value: 'True' | 'False', reason: string, message: string) => {
      conditions = setCondition(
        conditions,
        { type, status: value, reason, message, observedGeneration: profile.metadata?.generation },
        this.deps.clock.now(),
      );
    };

    if (profile.spec.paused) {
      condition(CONDITION_APPLIED, 'False', 'ReplicaProfilePaused', 'the replica profile is paused');
      condition(CONDITION_ENSURED, 'False', 'ReplicaProfilePaused', 'the replica profile is paused');
      await this.writeStatus(profile, { ...(profile.status ?? {}), conditions });
      return;
    }

    const ref = profile.spec.scaleTargetRef;
    let resource: ResourceDescriptor;
    let scale: Scale;
    try {
      resource = await client.mapper.resourceFor(ref.apiVersion ?? 'apps/v1', ref.kind);
      scale = await client.getScale(resource, ref.name, namespace);
      const selectorText = scale.status?.selector;
      if (selectorText === undefined)
        throw new Error(`the scale of ${ref.kind} ${ref.name} reports no pod selector`);
      this.selectors.set(key, { namespace, matches: compileSelector(selectorText), kind: ref.kind });
    } catch (error) {
      await this.fail(profile, error, 'FailedGetScale', CONDITION_ENSURED, conditions, logger);
      throw error;
    }
    const selector = scale.status?.selector ?? '';
    const pods = this.deps.pods.list(namespace, selector);
    const workloadReplicas = scale.spec?.replicas ?? 0;

    const rollouts = this.deps.rollouts.list(namespace);
    if (rollouts.length > 0) {
      const workload = await client.tryGet(resource, ref.name, namespace);
      const rollout = blockingRollout(workload?.metadata?.labels, rollouts);
      if (rollout !== undefined) {
        const plan = planPodStates({ pods, kind: ref.kind, desired, workloadReplicas });
        condition(
          CONDITION_APPLIED,
          'False',
          'RolloutInProgress',
          `Rollout ${rollout.name} owns the replicas until it succeeds`,
        );
        this.ensured(condition, plan.counts, desired);
        await this.writeStatus(profile, { ...this.countsStatus(plan.counts), conditions });
        return;
      }
    }

    const plan = planPodStates({
      pods,
      kind: ref.kind,
      desired,
      workloadReplicas,
      ...(profile.spec.allowedScalingDirection
        ? { allowedScalingDirection: profile.spec.allowedScalingDirection }
        : {}),
    });

    try {
      await this.patchPods(namespace, plan.changes);
    } catch (error) {
      await this.fail(profile, error, 'FailedSetPodState', CONDITION_APPLIED, conditions, logger);
      throw error;
    }
    // Pods changing state (their label changes); a fresh pod merely let into traffic is not one.
    const byState = (state: string) => plan.changes.filter((c) => c.state === state && c.label !== undefined);
    for (const [state, reason] of [
      ['Online', 'OnlinePods'],
      ['Cutoff', 'CutoffPods'],
      ['Standby', 'StandbyPods'],
    ] as const) {
      const names = byState(state).map((c) => c.name);
      if (names.length > 0)
        await recorder.normal(profile, reason, `${state.toLowerCase()} pods: ${names.join(', ')}`);
    }

    try {
      await this.annotateWorkload(resource, scale, profile);
      if (plan.replicas !== workloadReplicas) {
        await client.patchScale(resource, ref.name, namespace, plan.replicas);
        await recorder.normal(
          profile,
          'UpdateScale',
          `scaled ${ref.kind} ${ref.name} from ${workloadReplicas} to ${plan.replicas} replicas`,
        );
      }
    } catch (error) {
      await this.fail(profile, error, 'FailedUpdateScale', CONDITION_APPLIED, conditions, logger);
      throw error;
    }
    if (plan.deletions.length > 0) {
      try {
        for (const pod of plan.deletions) {
          try {
            await client.delete(builtin.Pod, pod, { namespace });
          } catch (error) {
            if (!isNotFound(error)) throw error;
          }
        }
      } catch (error) {
        await this.fail(profile, error, 'FailedDeleteGrayPods', CONDITION_APPLIED, conditions, logger);
        throw error;
      }
      await recorder.normal(
        profile,
        'DeleteGrayPods',
        `deleted gray pods above ${plan.replicas}: ${plan.deletions.join(', ')}`,
      );
    }

    if (plan.stateChangeSkipped) {
      condition(
        CONDITION_APPLIED,
        'False',
        'StateChangeSkipped',
        `pod states wait until the ${ref.kind} has its ${workloadReplicas} pods (it has ${pods.length})`,
      );
    } else {
      condition(
        CONDITION_APPLIED,
        'True',
        'ReplicaProfileApplied',
        'the pods and the workload follow the replica profile',
      );
    }
    this.ensured(condition, plan.counts, desired);
    await this.writeStatus(profile, { ...this.countsStatus(plan.counts), conditions });
  }

  /**
   * A profile that went away (its IHPA was deleted) leaves no pod out of traffic: its gray pods come
   * back online. Known only for profiles this process has looked at (their selector is cached).
   */
  private async releasePods(key: string): Promise<void> {
    const selector = this.selectors.get(key);
    this.selectors.delete(key);
    if (selector === undefined) return;
    const changes = this.deps.pods
      .list(selector.namespace)
      .filter(
        (pod) => selector.matches(pod.metadata?.labels) && isActivePod(pod) && podState(pod) !== 'Online',
      )
      .map((pod) => changeFor(pod, 'Online', selector.kind !== 'StatefulSet'))
      .filter((change): change is PodChange => change !== undefined);
    await this.patchPods(selector.namespace, changes);
  }

  private ensured(
    condition: (type: string, value: 'True' | 'False', reason: string, message: string) => void,
    counts: ReplicaCounts,
    desired: ReplicaCounts,
  ): void {
    if (
      counts.online === desired.online &&
      counts.cutoff === desired.cutoff &&
      counts.standby === desired.standby
    ) {
      condition(
        CONDITION_ENSURED,
        'True',
        'ReplicaProfileEnsured',
        'the pods are in the states the replica profile asks for',
      );
    } else {
      condition(
        CONDITION_ENSURED,
        'False',
        'ReplicaNumberNotSatisfied',
        `pods online/cutoff/standby: ${counts.online}/${counts.cutoff}/${counts.standby}, wanted ${desired.online}/${desired.cutoff}/${desired.standby}`,
      );
    }
  }

  private countsStatus(counts: ReplicaCounts): ReplicaProfileStatus {
    return { onlineReplicas: counts.online, cutoffReplicas: counts.cutoff, standbyReplicas: counts.standby };
  }

  private async patchPods(namespace: string | undefined, changes: readonly PodChange[]): Promise<void> {
    for (const change of changes) {
      try {
        await this.patchPod(namespace, change);
      } catch (error) {
        // A pod deleted meanwhile needs no state; the pod event brings a fresh look anyway.
        if (!isNotFound(error)) throw error;
      }
    }
  }

  /** Label and annotations on the pod, the online condition on its status subresource. */
  private async patchPod(namespace: string | undefined, change: PodChange): Promise<void> {
    const { client, clock } = this.deps;
    const metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } =
      {};
    if (change.label !== undefined) metadata.labels = { [POD_STATE_LABEL]: change.label };
    if (change.annotations !== undefined) metadata.annotations = change.annotations;
    if (metadata.labels || metadata.annotations) {
      await client.patch(builtin.Pod, change.name, { metadata }, { namespace });
    }
    if (change.onlineCondition === undefined) return;
    const online = change.onlineCondition === 'True';
    const condition = {
      type: ONLINE_CONDITION,
      status: change.onlineCondition,
      lastTransitionTime: formatTime(clock.now()),
      reason: online ? 'Online' : change.state,
      message: online ? 'the pod serves traffic' : `the pod is ${change.state.toLowerCase()}: out of traffic`,
    };
    // Strategic merge: conditions merge by type, so other conditions stay as they are.
    await client.patch(
      builtin.Pod,
      change.name,
      { status: { conditions: [condition] } },
      { namespace, type: 'strategic', subresource: 'status' },
    );
  }

  /** The `autoscaling.kapacitystack.io/ihpa` annotation on the workload (once per workload uid). */
  private async annotateWorkload(resource: ResourceDescriptor, scale: Scale, profile: ReplicaProfile) {
    const ihpaName = ihpaNameOf(profile);
    const uid = scale.metadata?.uid;
    const memo = `${uid ?? ''}/${ihpaName}`;
    if (uid !== undefined && this.annotated.has(memo)) return;
    const { client } = this.deps;
    const name = profile.spec.scaleTargetRef.name;
    const namespace = profile.metadata?.namespace;
    const workload = await client.tryGet(resource, name, namespace);
    if (workload === undefined) return;
    if (workload.metadata?.annotations?.[IHPA_WORKLOAD_ANNOTATION] !== ihpaName) {
      await client.patch(
        resource,
        name,
        { metadata: { annotations: { [IHPA_WORKLOAD_ANNOTATION]: ihpaName } } },
        { namespace },
      );
    }
    if (uid !== undefined) this.annotated.add(memo);
  }

  private async writeStatus(profile: ReplicaProfile, status: ReplicaProfileStatus): Promise<void> {
    const desired: KubeObject & { status: ReplicaProfileStatus } = {
      apiVersion: KAPACITY_API_VERSION,
      kind: ihpaResources.ReplicaProfile.kind,
      metadata: { name: profile.metadata?.name, namespace: profile.metadata?.namespace },
      status,
    };
    await ensureStatusApplied<KubeObject & { status?: ReplicaProfileStatus }>(
      this.deps.client,
      desired,
      profile,
    );
  }

  private async fail(
    profile: ReplicaProfile,
    error: unknown,
    reason: string,
    conditionType: string,
    conditions: Condition[] | undefined,
    logger: ReconcileRequest['logger'],
  ): Promise<void> {
    const updated = await reportError({
      object: profile,
      error,
      reason,
      conditionType,
      conditions,
      now: this.deps.clock.now(),
      recorder: this.deps.recorder,
      logger,
    });
    try {
      await this.writeStatus(profile, { ...(profile.status ?? {}), conditions: updated });
    } catch (statusError) {
      logger.warn('could not record the error in status', { error: String(statusError) });
    }
  }
}
