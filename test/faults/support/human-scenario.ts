// A person interfering with a rollout in flight, with the controller running: `kubectl scale` on
// the target and on the source Deployment while the rollout holds at a batchPartition, and
// `kubectl delete` of the target Deployment mid-rollout. The controller must put things back, say
// what it did in an Event on the Rollout, and still finish the rollout as the spec says. The
// invariants are relaxed only while the person's own change breaks them.
import { startController, type ControllerProcess } from '../../e2e/controller-process.js';
import { installDefinitions } from './healthy.js';
import { InvariantMonitor, stepBounds } from './invariants.js';
import type { Kube } from './kube.js';
import { KINDS, NamespaceObserver } from './observer.js';
import { applyStep, componentDeployments, converge, type RolloutView, type Step } from './scenario.js';

const APP = 'meddled';
const COMPONENT = 'web';

export interface HumanReport {
  /** Each intervention: what the person did, what the controller answered (Events), how long it took. */
  interventions: Array<{ what: string; answer: string[]; restoredInMs: number | undefined }>;
  unconverged: Record<string, string[]>;
  violations: string[];
  monitor: string;
}

const step = (name: string, image: string, revision: string, extra: Partial<Step['app']> = {}): Step => ({
  name,
  kind: 'upgrade',
  app: { image, targetSize: 4, batches: [2, 2], ...extra },
  revision,
  image,
  bounds: stepBounds(4, 4, 2),
});

export async function runHumanScenario(
  kube: Kube,
  ns: string,
  log: (l: string) => void = () => undefined,
): Promise<HumanReport> {
  await installDefinitions(kube);
  const observer = new NamespaceObserver(kube, ns, [KINDS.Application, KINDS.Rollout, KINDS.Deployment]);
  const monitor = new InvariantMonitor(kube, ns, COMPONENT, APP);
  let controller: ControllerProcess | undefined;
  const interventions: HumanReport['interventions'] = [];
  const unconverged: Record<string, string[]> = {};
  const replicas = () =>
    Object.fromEntries(
      componentDeployments(observer, COMPONENT).map((d) => [d.metadata.name, d.spec?.replicas ?? 0]),
    );
  const readyAs = (want: Record<string, number>) => () => {
    const deployments = componentDeployments(observer, COMPONENT);
    return (
      deployments.length === Object.keys(want).length &&
      deployments.every(
        (d) =>
          want[d.metadata.name] === d.spec?.replicas && (d.status?.readyReplicas ?? 0) === d.spec?.replicas,
      )
    );
  };
  const held = (target: string) => () => {
    const s = observer.get<RolloutView>('Rollout', COMPONENT)?.status;
    return (
      s?.rollingState === 'rollingInBatches' &&
      s.batchRollingState === 'batchReady' &&
      s.currentBatch === 0 &&
      s.lastTargetRevision === target
    );
  };
  /** Does `act`, then waits until `restored` holds and an Event with `reason` names `mention`. */
  const intervene = async (
    what: string,
    act: () => Promise<unknown>,
    seen: () => boolean,
    restored: () => boolean,
    reason: string,
    mention: RegExp,
  ) => {
    monitor.relax(what);
    const before = observer.eventsFor('Rollout', COMPONENT).length;
    const started = Date.now();
    // The person's change must be seen before the restored state counts; the controller may undo
    // it within milliseconds, so the wait is armed before the change is made.
    const seenIt = observer.until(seen, 30000);
    await act();
    await seenIt;
    const answered = () =>
      observer
        .eventsFor('Rollout', COMPONENT)
        .slice(before)
        .some((e) => e.reason === reason && mention.test(e.message));
    const ok = await observer.until(() => restored() && answered(), 60000);
    const answer = observer
      .eventsFor('Rollout', COMPONENT)
      .slice(before)
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
    interventions.push({ what, answer, restoredInMs: ok ? Date.now() - started : undefined });
    log(`${what} → ${ok ? `restored in ${Date.now() - started} ms` : 'NOT restored'}; ${answer.join(' | ')}`);
  };
  const settle = async (s: Step) => {
    const left = await converge(observer, APP, COMPONENT, s, 120000);
    if (left.length) unconverged[s.name] = left;
    monitor.setBounds(`${s.name} (settled)`, { floor: s.app.targetSize, ceiling: s.app.targetSize });
    return left.length === 0;
  };

  try {
    controller = await startController({
      controllers: ['application', 'rollout'],
      namespace: ns,
      kubeconfig: kube.kubeconfig,
    });
    const v1 = step('release v1', 'nginx:1.25', `${COMPONENT}-v1`);
    monitor.setBounds(v1.name, stepBounds(0, 4, 2));
    await applyStep(kube, ns, APP, COMPONENT, v1);
    if (!(await settle(v1))) return finish();

    // Upgrade to v2, held after batch 0 (v1=2, v2=2), then a person scales both by hand.
    const v2held = step('upgrade to v2, held at batch 0', 'nginx:1.26', `${COMPONENT}-v2`, {
      batchPartition: 0,
    });
    monitor.setBounds(v2held.name, v2held.bounds);
    await applyStep(kube, ns, APP, COMPONENT, v2held);
    await observer.until(() => held(`${COMPONENT}-v2`)() && readyAs({ 'web-v1': 2, 'web-v2': 2 })(), 60000);
    await intervene(
      'kubectl scale deploy web-v2 --replicas=0 (target, mid-rollout)',
      () => kube.kubectlOk(['scale', 'deploy', 'web-v2', '-n', ns, '--replicas=0']),
      () => replicas()['web-v2'] === 0,
      readyAs({ 'web-v1': 2, 'web-v2': 2 }),
      'ReplicasRestored',
      /Deployment web-v2 had 0 replicas.*set back to 2/,
    );
    await intervene(
      'kubectl scale deploy web-v1 --replicas=1 (source, mid-rollout)',
      () => kube.kubectlOk(['scale', 'deploy', 'web-v1', '-n', ns, '--replicas=1']),
      () => replicas()['web-v1'] === 1,
      readyAs({ 'web-v1': 2, 'web-v2': 2 }),
      'ReplicasRestored',
      /Deployment web-v1 had 1 replicas.*set back to 2/,
    );
    await intervene(
      'kubectl scale deploy web-v1 --replicas=5 (source, mid-rollout)',
      () => kube.kubectlOk(['scale', 'deploy', 'web-v1', '-n', ns, '--replicas=5']),
      () => replicas()['web-v1'] === 5,
      readyAs({ 'web-v1': 2, 'web-v2': 2 }),
      'ReplicasRestored',
      /Deployment web-v1 had 5 replicas.*set back to 2/,
    );
    await monitor.rearm(v2held.name, v2held.bounds);
    const v2 = step('upgrade to v2, released', 'nginx:1.26', `${COMPONENT}-v2`);
    await applyStep(kube, ns, APP, COMPONENT, v2);
    if (!(await settle(v2))) return finish();

    // Upgrade to v3, held after batch 0, then a person deletes the target Deployment.
    const v3held = step('upgrade to v3, held at batch 0', 'nginx:1.27', `${COMPONENT}-v3`, {
      batchPartition: 0,
    });
    monitor.setBounds(v3held.name, v3held.bounds);
    await applyStep(kube, ns, APP, COMPONENT, v3held);
    await observer.until(() => held(`${COMPONENT}-v3`)() && readyAs({ 'web-v2': 2, 'web-v3': 2 })(), 60000);
    const uid = (observer.objects.get('Deployment/web-v3')?.metadata as { uid?: string } | undefined)?.uid;
    await intervene(
      'kubectl delete deploy web-v3 (the target, mid-rollout)',
      () => kube.kubectlOk(['delete', 'deploy', 'web-v3', '-n', ns, '--wait=false']),
      () =>
        (observer.objects.get('Deployment/web-v3')?.metadata as { uid?: string } | undefined)?.uid !== uid,
      () => {
        const recreated = observer.objects.get('Deployment/web-v3')?.metadata as { uid?: string } | undefined;
        return (
          recreated?.uid !== undefined &&
          recreated.uid !== uid &&
          held(`${COMPONENT}-v3`)() &&
          readyAs({ 'web-v2': 2, 'web-v3': 2 })()
        );
      },
      'TargetLost',
      /disappeared during the rollout; creating it again/,
    );
    await monitor.rearm(v3held.name, v3held.bounds);
    const v3 = step('upgrade to v3, released', 'nginx:1.27', `${COMPONENT}-v3`);
    await applyStep(kube, ns, APP, COMPONENT, v3);
    await settle(v3);
    log(`final deployments ${JSON.stringify(replicas())}`);
    return finish();
  } finally {
    monitor.stop();
    observer.stop();
    await controller?.stop();
  }

  function finish(): HumanReport {
    return {
      interventions,
      unconverged,
      violations: monitor.violations.map((v) => `${v.step}: ${v.what}`),
      monitor: monitor.summary(),
    };
  }
}
