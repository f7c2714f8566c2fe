// The fault tests' own arithmetic and parsing, checked without a cluster: a wrong helper would
// make a fault test pass vacuously (bounds that never bite, a corpus case judged on the wrong
// object, an audit check that cannot see an overlap, a quantile off by a bucket).
import { join } from 'node:path';
import { quantile } from '../../../bench/scale.js';
import { repoRoot } from '../../e2e/support.js';
import { judge, loadCorpus, parseCase } from '../../faults/support/corpus.js';
import { caughtUp, largestBatch, stepBounds } from '../../faults/support/invariants.js';
import { auditWrites, writeOverlaps, writeRequests } from '../../faults/support/leader-scenario.js';
import { rolloutStory, seededRandom } from '../../faults/support/scenario.js';

describe('caughtUp: a workload whose controller has acted on its latest spec', () => {
  const workload = (generation: number, observed: number, spec: number, status: number) => ({
    metadata: { name: 'web-v1', generation },
    spec: { replicas: spec },
    status: { observedGeneration: observed, replicas: status },
  });
  test('true only when the latest generation is observed and the pods match the spec', () => {
    expect(caughtUp(workload(3, 3, 2, 2))).toBe(true);
    // The person's scale to 5 was seen, the restore to 2 not yet: pods may still be added.
    expect(caughtUp(workload(4, 3, 2, 2))).toBe(false);
    // The restore was seen but the extra pods are not gone yet.
    expect(caughtUp(workload(4, 4, 2, 5))).toBe(false);
    expect(caughtUp({ metadata: { name: 'fresh', generation: 1 }, spec: { replicas: 1 } })).toBe(false);
  });
});

describe('invariant bounds', () => {
  it('an upgrade keeps its size ready and adds at most one batch', () => {
    expect(stepBounds(4, 4, 2)).toEqual({ floor: 4, ceiling: 6 });
    expect(stepBounds(4, 4, 3, 1)).toEqual({ floor: 3, ceiling: 7 });
  });
  it('a scale keeps the smaller size ready and never passes the larger plus a batch', () => {
    expect(stepBounds(6, 3, largestBatch(6, 3, [1, 2]))).toEqual({ floor: 3, ceiling: 8 });
    expect(stepBounds(0, 4, largestBatch(0, 4))).toEqual({ floor: 0, ceiling: 8 });
  });
});

describe('the rollout story', () => {
  it('releases, upgrades, rolls back and scales, each step naming the revision left behind', () => {
    const story = rolloutStory('web', 8);
    expect(story.map((s) => [s.kind, s.revision, s.app.targetSize, s.image])).toEqual([
      ['release', 'web-v1', 4, 'nginx:1.21'],
      ['upgrade', 'web-v2', 4, 'nginx:1.22'],
      ['upgrade', 'web-v3', 4, 'nginx:1.23'],
      ['rollback', 'web-v2', 4, 'nginx:1.22'],
      ['scale-up', 'web-v2', 6, 'nginx:1.22'],
      ['scale-down', 'web-v2', 3, 'nginx:1.22'],
      ['upgrade', 'web-v4', 3, 'nginx:1.24'],
      ['scale-up', 'web-v4', 5, 'nginx:1.24'],
    ]);
    // The rollback keeps the component's latest properties and pins the older revision.
    expect(story[3]?.app).toMatchObject({ image: 'nginx:1.23', targetRevision: 'web-v2' });
    expect(story[1]?.bounds).toEqual({ floor: 3, ceiling: 7 });
  });
  it('draws the same kill moments from the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('the hostile corpus', () => {
  it('has at least 40 cases, each with a header the runner understands', () => {
    const cases = loadCorpus(join(repoRoot, 'test', 'fixtures', 'bad'));
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect(c.documents.length).toBeGreaterThan(0);
  });
  it('expands ${repeat} to the full size', () => {
    const c = parseCase(
      'x.yaml',
      '# Hostile input: big.\n# expect: refused /no/\nv: "${repeat:a:1048576}"\n',
    );
    expect(c.documents[0]?.length).toBeGreaterThan(1048576);
  });
  it('judges a warning on the named object only', () => {
    const c = parseCase(
      'x.yaml',
      '# Hostile input: x.\n# expect: warning Rollout/r1 SpecInvalid /sum to 2/\nkind: Rollout\n',
    );
    const ok = [{ code: 0, stderr: '' }];
    const event = (name: string) => ({
      type: 'Warning',
      reason: 'SpecInvalid',
      message: 'rolloutBatches sum to 2',
      involvedObject: { kind: 'Rollout', name },
    });
    expect(judge(c, ok, { objects: new Map(), events: [event('r1')] }).ok).toBe(true);
    expect(judge(c, ok, { objects: new Map(), events: [event('r2')] }).ok).toBe(false);
    expect(judge(c, [{ code: 1, stderr: 'refused' }], { objects: new Map(), events: [event('r1')] }).ok).toBe(
      false,
    );
  });
  it('judges a refusal by the last document only, the earlier ones accepted', () => {
    const c = parseCase(
      'x.yaml',
      '# Hostile input: x.\n# expect: refused /Invalid value/\na: 1\n---\nb: 2\n',
    );
    const refused = { code: 1, stderr: 'spec.x: Invalid value: 3' };
    expect(judge(c, [{ code: 0, stderr: '' }, refused], { objects: new Map(), events: [] }).ok).toBe(true);
    expect(judge(c, [refused, refused], { objects: new Map(), events: [] }).ok).toBe(false);
  });
});

describe('who wrote when', () => {
  const line = (user: string, verb: string, at: string, namespace = 'ns') =>
    JSON.stringify({
      stage: 'ResponseComplete',
      verb,
      user: { username: user },
      objectRef: { namespace, resource: 'deployments', name: 'web' },
      requestReceivedTimestamp: at,
    });
  it('finds no overlap when one replica stops writing before the other starts', () => {
    const log = [
      line('replica-a', 'patch', '2024-01-01T00:00:01Z'),
      line('replica-a', 'update', '2024-01-01T00:00:02Z'),
      line('replica-b', 'get', '2024-01-01T00:00:03Z'),
      line('replica-b', 'update', '2024-01-01T00:00:20Z'),
      line('replica-a', 'patch', '2024-01-01T00:00:30Z', 'elsewhere'),
    ].join('\n');
    const writes = auditWrites(log, 'ns', ['replica-a', 'replica-b']);
    expect(writes.map((w) => `${w.user} ${w.verb}`)).toEqual([
      'replica-a patch',
      'replica-a update',
      'replica-b update',
    ]);
    expect(writeOverlaps(writes)).toEqual([]);
  });
  it('reports a replica writing while the other still does', () => {
    const log = [
      line('replica-a', 'patch', '2024-01-01T00:00:01Z'),
      line('replica-b', 'update', '2024-01-01T00:00:02Z'),
      line('replica-a', 'patch', '2024-01-01T00:00:03Z'),
    ].join('\n');
    expect(writeOverlaps(auditWrites(log, 'ns', ['replica-a', 'replica-b']))).toHaveLength(1);
  });
  it('counts write requests from the metrics text', () => {
    const metrics = [
      'rest_client_requests_total{code="200",method="GET",host="h"} 40',
      'rest_client_requests_total{code="200",method="PATCH",host="h"} 3',
      'rest_client_requests_total{code="201",method="POST",host="h"} 2',
    ].join('\n');
    expect(writeRequests(metrics)).toBe(5);
  });
});

describe('histogram quantiles over scrape deltas', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile does', () => {
    const before = new Map([
      [0.01, 0],
      [0.1, 0],
      [Number.POSITIVE_INFINITY, 0],
    ]);
    const after = new Map([
      [0.01, 50],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(quantile(0.5, before, after)).toBeCloseTo(0.01);
    expect(quantile(0.75, before, after)).toBeCloseTo(0.055);
    expect(quantile(0.99, before, after)).toBeCloseTo(0.0982);
  });
  it('counts only what happened between the scrapes', () => {
    const before = new Map([
      [0.01, 100],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    const after = new Map([
      [0.01, 100],
      [0.1, 110],
      [Number.POSITIVE_INFINITY, 110],
    ]);
    expect(quantile(0.5, before, after)).toBeCloseTo(0.055);
  });
});
