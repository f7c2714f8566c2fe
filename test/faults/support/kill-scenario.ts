// SIGKILL at random moments across the rollout story (upgrades, a rollback, scale-only rollouts)
// and an IHPA gray scale-down, the controller started again after each kill, with the invariants
// checked on every watch event throughout and the end state of every step compared with its spec.
// Shared by the long fault test (20 kills) and the short one inside `npm test` (3 kills).
import { GrayMonitor, grayIhpa, grayStatefulSet } from './gray.js';
import { installDefinitions } from './healthy.js';
import { InvariantMonitor } from './invariants.js';
import type { Kube } from './kube.js';
import { KINDS, NamespaceObserver } from './observer.js';
import {
  applyStep,
  converge,
  differences,
  KillableController,
  rolloutStory,
  seededRandom,
  type Step,
} from './scenario.js';

export interface KillScenarioOptions {
  kube: Kube;
  namespace: string;
  /** Rollout steps of the story to run (the gray scale-down comes after them). */
  steps: number;
  /** Kills in all, spread over the steps and the gray scale-down. */
  kills: number;
  seed: number;
  /** Latest kill moment after a step starts or the controller restarts (ms). */
  maxKillDelayMs?: number;
  /**
   * A kill lands right after the n-th watch event (n drawn from 1..this) of the namespace's
   * Applications, Rollouts, Deployments, ReplicaProfiles and IHPAs since the step started or the
   * controller restarted: just after a write of the controller or a workload's status change, the
   * moments a crash hurts most. A wall-clock delay alone mostly lands after a fast step settled.
   */
  maxEventsBeforeKill?: number;
  /** Per step, once the last restart is done. */
  convergeTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface KillRecord {
  step: string;
  delayMs: number;
  /** The step had not converged yet when the kill landed. */
  midway: boolean;
  /** From the restart being ready to the step's end state (ms). */
  convergedInMs?: number;
}

export interface KillScenarioReport {
  kills: KillRecord[];
  /** Steps whose end state differed from the spec: step → differences. */
  unconverged: Record<string, string[]>;
  violations: string[];
  monitor: string;
  grayMonitor: string;
  controllerErrors: string[];
}

const APP = 'faulty';
const COMPONENT = 'web';
const GRAY = 'gray';

export async function runKillScenario(options: KillScenarioOptions): Promise<KillScenarioReport> {
  const { kube, namespace: ns, seed } = options;
  const log = options.log ?? (() => undefined);
  const random = seededRandom(seed);
  const maxDelay = options.maxKillDelayMs ?? 2000;
  const maxEvents = options.maxEventsBeforeKill ?? 8;
  const convergeTimeout = options.convergeTimeoutMs ?? 120000;
  const story = rolloutStory(COMPONENT, options.steps);
  const stages = story.length + 1; // + the gray scale-down
  const killsAt = (index: number) =>
    Math.floor(options.kills / stages) + (index < options.kills % stages ? 1 : 0);

  await installDefinitions(kube);
  await kube.kubectlOk(['apply', '-n', ns, '-f', '-'], grayStatefulSet(GRAY));
  const observer = new NamespaceObserver(kube, ns, [
    KINDS.Application,
    KINDS.Rollout,
    KINDS.Deployment,
    KINDS.ReplicaProfile,
    KINDS.IntelligentHorizontalPodAutoscaler,
  ]);
  const monitor = new InvariantMonitor(kube, ns, COMPONENT, APP);
  const grayMonitor = new GrayMonitor(kube, ns, GRAY);
  const controller = new KillableController({
    controllers: ['application', 'rollout', 'ihpa', 'replicaprofile'],
    namespace: ns,
    kubeconfig: kube.kubeconfig,
  });
  const kills: KillRecord[] = [];
  const unconverged: Record<string, string[]> = {};

  /** Kills `count` times at random moments while `settled` is false or not, restarting each time. */
  const killDuring = async (step: string, count: number, settled: () => boolean) => {
    let lastRecord: KillRecord | undefined;
    let readyAt = Date.now();
    for (let k = 0; k < count; k++) {
      const eventsBeforeKill = 1 + Math.floor(random() * maxEvents);
      const started = Date.now();
      let events = -1; // until() checks once before any event arrives
      await observer.until(() => ++events >= eventsBeforeKill || settled(), maxDelay);
      const delayMs = Date.now() - started;
      const midway = !settled();
      await controller.kill(`${step} +${delayMs} ms`);
      // Down for a moment: nothing reconciles meanwhile.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 1000)));
      await controller.start();
      readyAt = Date.now();
      lastRecord = { step, delayMs, midway };
      kills.push(lastRecord);
      log(`killed during "${step}" after ${delayMs} ms (${midway ? 'mid-step' : 'after it settled'})`);
    }
    return { lastRecord, readyAt };
  };

  try {
    await controller.start();
    for (const [index, step] of story.entries()) {
      monitor.setBounds(step.name, step.bounds);
      await applyStep(kube, ns, APP, COMPONENT, step);
      const { lastRecord, readyAt } = await killDuring(
        step.name,
        killsAt(index),
        () => differences(observer, APP, COMPONENT, step).length === 0,
      );
      const left = await converge(observer, APP, COMPONENT, step, convergeTimeout);
      if (lastRecord) lastRecord.convergedInMs = Date.now() - readyAt;
      if (left.length > 0) {
        unconverged[step.name] = left;
        log(`"${step.name}" did not converge: ${left.join('; ')}`);
        break;
      }
      // Settled: the step's size is the floor and the ceiling until the next one starts.
      monitor.setBounds(`${step.name} (settled)`, {
        floor: step.app.targetSize,
        ceiling: step.app.targetSize,
      });
      log(`"${step.name}" converged (${monitor.summary()})`);
    }

    // The gray scale-down: 1 → 4 (immediate), then 4 → 1 in gray steps, under kills.
    const stage = 'gray scale-down 4 → 1';
    const grayState = () => {
      const rp = observer.get<{ spec?: Record<string, number>; status?: Record<string, number> }>(
        'ReplicaProfile',
        GRAY,
      );
      const pods = grayMonitor.counts();
      return { rp: rp?.spec, pods };
    };
    await kube.kubectlOk(['apply', '--server-side', '-n', ns, '-f', '-'], grayIhpa(GRAY, GRAY, 4));
    await observer.until(() => grayState().pods.online === 4 && grayState().pods.live === 4, 60000);
    grayMonitor.setBounds(stage, { floor: 1, ceiling: 4 });
    await kube.kubectlOk(['apply', '--server-side', '-n', ns, '-f', '-'], grayIhpa(GRAY, GRAY, 1));
    const grayDone = () => {
      const { rp, pods } = grayState();
      return (
        rp?.onlineReplicas === 1 &&
        (rp.cutoffReplicas ?? 0) === 0 &&
        pods.live === 1 &&
        pods.online === 1 &&
        pods.cutoff.length === 0
      );
    };
    const { lastRecord, readyAt } = await killDuring(stage, killsAt(story.length), grayDone);
    // The gray settles on its own clock: waiting is on the watches, bounded.
    const settledGray = await observer.until(grayDone, convergeTimeout);
    const sts = JSON.parse(await kube.kubectlOk(['get', 'statefulset', GRAY, '-n', ns, '-o', 'json'])) as {
      spec?: { replicas?: number };
    };
    if (lastRecord) lastRecord.convergedInMs = Date.now() - readyAt;
    if (!settledGray || sts.spec?.replicas !== 1) {
      unconverged[stage] = [
        `gray state ${JSON.stringify(grayState())}, StatefulSet replicas ${sts.spec?.replicas}`,
      ];
    }
    log(`gray scale-down settled: ${JSON.stringify(grayState())}`);

    return {
      kills,
      unconverged,
      violations: monitor.violations
        .map((v) => `${v.step}: ${v.what} at ${v.at}`)
        .concat(grayMonitor.violations),
      monitor: monitor.summary(),
      grayMonitor: `${grayMonitor.samples} samples, ${grayMonitor.violations.length} violations`,
      controllerErrors: controller.errorLines(),
    };
  } finally {
    monitor.stop();
    grayMonitor.stop();
    observer.stop();
    await controller.stop();
  }
}

/** A one-line-per-kill table for the test output. */
export function killTable(report: KillScenarioReport): string {
  return report.kills
    .map(
      (k, i) =>
        `#${String(i + 1).padStart(2)} ${k.step.padEnd(34)} +${String(k.delayMs).padStart(4)} ms  ${k.midway ? 'mid-step' : 'settled '}  converged ${k.convergedInMs ?? '-'} ms after restart`,
    )
    .join('\n');
}

export type { Step };
