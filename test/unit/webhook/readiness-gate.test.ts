import {
  AdmissionReviewError,
  INJECT_LABEL,
  READINESS_GATE,
  needsOnlineCondition,
  onlineConditionPatch,
  readinessGatePatch,
  reviewPod,
} from '../../../controllers/webhook/index.js';

const optedIn = { metadata: { labels: { [INJECT_LABEL]: 'true' } }, spec: { containers: [{ name: 'app' }] } };

function review(operation: string, object: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'req-1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation, object, ...extra },
  };
}

function decodedPatch(answer: ReturnType<typeof reviewPod>): unknown {
  const patch = answer.response?.patch;
  return patch === undefined ? undefined : JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

describe('readinessGatePatch', () => {
  it('adds the readinessGates list to an opted-in pod without one', () => {
    expect(readinessGatePatch(optedIn)).toEqual([
      { op: 'add', path: '/spec/readinessGates', value: [{ conditionType: READINESS_GATE }] },
    ]);
  });

  it('appends to existing gates, and does nothing when the gate is there', () => {
    const withGates = { ...optedIn, spec: { readinessGates: [{ conditionType: 'other.io/ready' }] } };
    expect(readinessGatePatch(withGates)).toEqual([
      { op: 'add', path: '/spec/readinessGates/-', value: { conditionType: READINESS_GATE } },
    ]);
    expect(
      readinessGatePatch({ ...optedIn, spec: { readinessGates: [{ conditionType: READINESS_GATE }] } }),
    ).toEqual([]);
  });

  it('leaves pods alone that are not opted in (label absent or not "true")', () => {
    expect(readinessGatePatch({ spec: {} })).toEqual([]);
    expect(readinessGatePatch({ metadata: { labels: { [INJECT_LABEL]: 'false' } }, spec: {} })).toEqual([]);
  });
});

describe('reviewPod', () => {
  it('answers a CREATE of an opted-in pod with the JSON patch', () => {
    const answer = reviewPod(review('CREATE', optedIn));
    expect(answer).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'req-1', allowed: true, patchType: 'JSONPatch' },
    });
    expect(decodedPatch(answer)).toEqual([
      { op: 'add', path: '/spec/readinessGates', value: [{ conditionType: READINESS_GATE }] },
    ]);
  });

  it('allows everything else unchanged: other pods, updates, subresources', () => {
    for (const answer of [
      reviewPod(review('CREATE', { metadata: { labels: { app: 'x' } }, spec: {} })),
      reviewPod(review('UPDATE', optedIn)),
      reviewPod(review('CREATE', optedIn, { subResource: 'status' })),
      reviewPod(review('CREATE', optedIn, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } })),
    ]) {
      expect(answer.response).toEqual({ uid: 'req-1', allowed: true });
    }
  });

  it('rejects bodies that are not admission reviews', () => {
    expect(() => reviewPod({ kind: 'Pod' })).toThrow(AdmissionReviewError);
    expect(() => reviewPod({ kind: 'AdmissionReview' })).toThrow(/no request/);
    expect(() => reviewPod(null)).toThrow(AdmissionReviewError);
  });
});

describe('the online condition watcher', () => {
  const gated = (
    conditions: Array<{ type: string; status: string }> = [],
    extra: Record<string, unknown> = {},
  ) => ({
    metadata: { name: 'p', resourceVersion: '42', ...extra },
    spec: { readinessGates: [{ conditionType: READINESS_GATE }] },
    status: { phase: 'Pending', conditions },
  });

  it('acts only on pods with the gate and no condition yet', () => {
    expect(needsOnlineCondition(gated())).toBe(true);
    expect(needsOnlineCondition(gated([{ type: 'PodScheduled', status: 'True' }]))).toBe(true);
    // A False set by the IHPA (a cut-off pod) is never overwritten.
    expect(needsOnlineCondition(gated([{ type: READINESS_GATE, status: 'False' }]))).toBe(false);
    expect(needsOnlineCondition(gated([{ type: READINESS_GATE, status: 'True' }]))).toBe(false);
    expect(needsOnlineCondition({ metadata: {}, spec: {}, status: {} })).toBe(false);
    expect(needsOnlineCondition(gated([], { deletionTimestamp: '2024-01-01T00:00:00Z' }))).toBe(false);
  });

  it('writes the condition conditionally on the resourceVersion it decided on', () => {
    expect(onlineConditionPatch(gated(), new Date('2024-01-01T00:00:00.500Z'))).toEqual({
      metadata: { resourceVersion: '42' },
      status: {
        conditions: [{ type: READINESS_GATE, status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
      },
    });
  });
});
