// Long fault test: a person interferes with rollouts in flight (kubectl scale on the target and on
// the source, kubectl delete of the target). The controller restores the batch's levels, recreates
// the target, says so in Events on the Rollout, and every rollout still ends as its spec says;
// the invariants hold except while the person's own change breaks them.
import { runHumanScenario } from './support/human-scenario.js';
import { randomSuffix, sharedKube } from './support/kube.js';

const kube = sharedKube();

describe('a person changing workloads mid-rollout', () => {
  let ns: string;
  beforeAll(async () => {
    ns = `fault-human-${randomSuffix()}`;
    await kube.kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  test('hand scaling is undone and deleting the target recreates it, each told in an Event', async () => {
    const report = await runHumanScenario(kube, ns, (line) => console.log(line));
    console.log(`invariants: ${report.monitor}`);
    expect({
      interventions: report.interventions.map((i) => ({
        what: i.what,
        restored: i.restoredInMs !== undefined,
      })),
      unconverged: report.unconverged,
      violations: report.violations,
    }).toEqual({
      interventions: [
        { what: 'kubectl scale deploy web-v2 --replicas=0 (target, mid-rollout)', restored: true },
        { what: 'kubectl scale deploy web-v1 --replicas=1 (source, mid-rollout)', restored: true },
        { what: 'kubectl scale deploy web-v1 --replicas=5 (source, mid-rollout)', restored: true },
        { what: 'kubectl delete deploy web-v3 (the target, mid-rollout)', restored: true },
      ],
      unconverged: {},
      violations: [],
    });
  }, 600_000);
});
