// Long fault test: the controller SIGKILLed at 20 moments, each right after a randomly chosen watch
// event, across a release, upgrades, a rollback, scale-only rollouts and an IHPA gray scale-down,
// and started again each time. The
// invariants hold on every watch event throughout, and every step ends equal to its spec.
// Replay a run with FAULT_SEED=<seed printed below>.
import { faultSeed } from './support/scenario.js';
import { killTable, runKillScenario } from './support/kill-scenario.js';
import { randomSuffix, sharedKube } from './support/kube.js';

const kube = sharedKube();

describe('controller killed with SIGKILL at random moments', () => {
  let ns: string;
  beforeAll(async () => {
    ns = `fault-kill-${randomSuffix()}`;
    await kube.kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  test('20 kills: invariants hold throughout and every step converges to its spec', async () => {
    const seed = faultSeed();
    const report = await runKillScenario({
      kube,
      namespace: ns,
      steps: 9,
      kills: 20,
      seed,
      log: (line) => console.log(`[seed ${seed}] ${line}`),
    });
    console.log(
      `kills (seed ${seed}):\n${killTable(report)}\ninvariants: ${report.monitor}; gray: ${report.grayMonitor}`,
    );
    expect({
      kills: report.kills.length,
      unconverged: report.unconverged,
      violations: report.violations,
    }).toEqual({ kills: 20, unconverged: {}, violations: [] });
    // Some kills must have landed mid-step, or the test proved little.
    expect(report.kills.filter((k) => k.midway).length).toBeGreaterThanOrEqual(5);
  }, 1_800_000);
});
