// The hostile input corpus (test/fixtures/bad/, one case per file, its expected outcome in its
// header) applied in one namespace with the application, rollout, ihpa and replicaprofile
// controllers running next to two healthy Applications. Every case must end as its header says
// (refused by the API server, or a Warning Event / condition / field on the object), the
// controller process must never crash (same pid, /healthz 200) and never stall: the healthy
// Applications are changed while the corpus is being digested, and their changes must land.
import { join } from 'node:path';
import { startController, type ControllerProcess } from './controller-process.js';
import { repoRoot } from './support.js';
import {
  judge,
  loadCorpus,
  type ApplyRecord,
  type CorpusCase,
  type Verdict,
} from '../faults/support/corpus.js';
import { IHPA_TARGET, rolloutApp, type AppStep } from '../faults/support/healthy.js';
import { randomSuffix, sharedKube } from '../faults/support/kube.js';
import { KINDS, NamespaceObserver } from '../faults/support/observer.js';

const kube = sharedKube();
const corpusDir = join(repoRoot, 'test', 'fixtures', 'bad');

interface RolloutView {
  spec?: { targetRevisionName?: string; rolloutPlan?: { targetSize?: number } };
  status?: { rollingState?: string; upgradedReadyReplicas?: number; lastTargetRevision?: string };
}
interface DeploymentView {
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: { readyReplicas?: number };
}

/** One row per case: what happened, and whether it is what the header expects. */
function table(rows: Array<{ c: CorpusCase; verdict: Verdict }>): string {
  const width = Math.max(...rows.map((r) => r.c.id.length));
  const lines = rows.map(
    ({ c, verdict }) =>
      `${verdict.ok ? 'ok  ' : 'FAIL'} ${c.id.padEnd(width)}  ${verdict.outcome.padEnd(52)}  ${verdict.message
        .replace(/\s+/g, ' ')
        .slice(0, 160)}`,
  );
  const passed = rows.filter((r) => r.verdict.ok).length;
  return [...lines, `${passed}/${rows.length} cases as expected`].join('\n');
}

describe('hostile input corpus', () => {
  let ns: string;
  let controller: ControllerProcess;
  let observer: NamespaceObserver;
  const apply = (doc: object | string) =>
    kube.kubectl(
      ['apply', '--server-side', '--force-conflicts', '-n', ns, '-f', '-'],
      typeof doc === 'string' ? doc : JSON.stringify(doc),
    );

  /** Waits until the component's Rollout succeeded at `size` replicas of `revision`, all ready. */
  const landed = (component: string, revision: string, size: number, image: string, timeoutMs = 120000) =>
    observer.until(() => {
      const rollout = observer.get<RolloutView>('Rollout', component);
      const deployment = observer.get<DeploymentView>('Deployment', revision);
      return (
        rollout?.spec?.targetRevisionName === revision &&
        rollout.status?.rollingState === 'rolloutSucceed' &&
        rollout.status.upgradedReadyReplicas === size &&
        deployment?.spec?.replicas === size &&
        deployment.status?.readyReplicas === size &&
        deployment.spec.template?.spec?.containers?.[0]?.image === image
      );
    }, timeoutMs);

  beforeAll(async () => {
    ns = `bad-${randomSuffix()}`;
    await kube.kubectlOk(['create', 'namespace', ns]);
    await kube.kubectlOk([
      'apply',
      '--server-side',
      '--force-conflicts',
      '-f',
      join(repoRoot, 'definitions', 'generated'),
    ]);
    await kube.kubectlOk(['apply', '-n', ns, '-f', '-'], IHPA_TARGET);
    observer = new NamespaceObserver(kube, ns, [
      KINDS.Application,
      KINDS.Rollout,
      KINDS.IntelligentHorizontalPodAutoscaler,
      KINDS.ReplicaProfile,
      KINDS.Deployment,
    ]);
    controller = await startController({
      controllers: ['application', 'rollout', 'ihpa', 'replicaprofile'],
      namespace: ns,
    });
    const first: AppStep = { image: 'nginx:1.26', targetSize: 2 };
    for (const name of ['healthy-one', 'healthy-two']) {
      expect((await apply(rolloutApp(name, `${name}-web`, first))).code).toBe(0);
    }
    expect(await landed('healthy-one-web', 'healthy-one-web-v1', 2, 'nginx:1.26')).toBe(true);
    expect(await landed('healthy-two-web', 'healthy-two-web-v1', 2, 'nginx:1.26')).toBe(true);
  }, 180000);

  afterAll(async () => {
    observer?.stop();
    // With the controller still running: an Application holding cluster-scoped objects keeps a
    // finalizer that only the controller releases (and the objects it created go with it).
    await kube.kubectl(['delete', 'applications', '--all', '-n', ns, '--wait=true', '--timeout=120s']);
    await controller?.stop();
    await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
  }, 180000);

  test('every case ends as its header says; the controller neither crashes nor stalls', async () => {
    const cases = loadCorpus(corpusDir);
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const pid = controller.pid;
    const applied = new Map<string, ApplyRecord[]>();

    const half = Math.floor(cases.length / 2);
    for (const [index, c] of cases.entries()) {
      if (index === half) {
        // Change both healthy Applications in the middle of the flood.
        expect(
          (await apply(rolloutApp('healthy-one', 'healthy-one-web', { image: 'nginx:1.27', targetSize: 2 })))
            .code,
        ).toBe(0);
        expect(
          (await apply(rolloutApp('healthy-two', 'healthy-two-web', { image: 'nginx:1.26', targetSize: 3 })))
            .code,
        ).toBe(0);
      }
      const records: ApplyRecord[] = [];
      for (const doc of c.documents) {
        const res = await apply(doc);
        records.push({ code: res.code, stderr: res.stderr });
      }
      applied.set(c.id, records);
    }

    const verdicts = () =>
      cases.map((c) => ({ c, verdict: judge(c, applied.get(c.id) ?? [], observer.snapshot()) }));
    const settled = await observer.until(
      () => cases.every((c) => judge(c, applied.get(c.id) ?? [], observer.snapshot()).ok),
      180000,
    );
    const rows = verdicts();
    console.log(`hostile input corpus (${cases.length} cases):\n${table(rows)}`);

    // Not stalled: the changes made mid-flood landed, and one made now lands too.
    const stalls: string[] = [];
    if (!(await landed('healthy-one-web', 'healthy-one-web-v2', 2, 'nginx:1.27')))
      stalls.push('healthy-one did not move to nginx:1.27');
    if (!(await landed('healthy-two-web', 'healthy-two-web-v1', 3, 'nginx:1.26')))
      stalls.push('healthy-two did not scale to 3');
    const changedAt = Date.now();
    expect(
      (await apply(rolloutApp('healthy-two', 'healthy-two-web', { image: 'nginx:1.26', targetSize: 1 })))
        .code,
    ).toBe(0);
    if (!(await landed('healthy-two-web', 'healthy-two-web-v1', 1, 'nginx:1.26', 60000)))
      stalls.push('healthy-two did not scale to 1 after the flood');
    console.log(`a healthy change after the flood landed in ${Date.now() - changedAt} ms`);

    // Not crashed: the same process, healthy, and no fatal error in its log.
    const health = await fetch(`${controller.url}/healthz`);
    expect({
      failed: rows
        .filter((r) => !r.verdict.ok)
        .map((r) => `${r.c.id}: ${r.verdict.outcome} ${r.verdict.message.slice(0, 300)}`),
      settled,
      stalls,
      samePid: controller.pid === pid && controller.child.exitCode === null,
      healthz: health.status,
      fatal: controller
        .output()
        .split('\n')
        .filter((l) => /"message":"fatal"|uncaught|unhandled/i.test(l)),
    }).toEqual({ failed: [], settled: true, stalls: [], samePid: true, healthz: 200, fatal: [] });
  }, 600000);
});
