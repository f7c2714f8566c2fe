import { KubeClient } from '../../../controllers/kit/client.js';
import {
  findCondition,
  isConditionTrue,
  removeCondition,
  reportError,
  setCondition,
  type Condition,
} from '../../../controllers/kit/conditions.js';
import { EventRecorder } from '../../../controllers/kit/events.js';
import { FakeClock } from '../../../controllers/kit/clock.js';
import { createLogger } from '../../../controllers/kit/log.js';
import { FakeTransport } from './fake-transport.js';
import { Writable } from 'node:stream';
import winston from 'winston';

const T1 = new Date('2024-05-01T10:00:00.000Z');
const T2 = new Date('2024-05-01T11:30:00.000Z');

describe('setCondition', () => {
  it('appends a new condition stamped with now', () => {
    const result = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Ok', message: 'fine' },
      T1,
    );
    expect(result).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Ok',
        message: 'fine',
        lastTransitionTime: '2024-05-01T10:00:00Z',
      },
    ]);
  });

  it('keeps lastTransitionTime when only reason or message change', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Waiting', message: 'a' }, T1);
    const after = setCondition(
      before,
      { type: 'Ready', status: 'False', reason: 'Blocked', message: 'b' },
      T2,
    );
    expect(after).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Blocked',
        message: 'b',
        lastTransitionTime: '2024-05-01T10:00:00Z',
      },
    ]);
  });

  it('moves lastTransitionTime when the status changes', () => {
    const before = setCondition([], { type: 'Ready', status: 'False' }, T1);
    const after = setCondition(before, { type: 'Ready', status: 'True' }, T2);
    expect(after[0]?.lastTransitionTime).toBe('2024-05-01T11:30:00Z');
  });

  it('replaces in place, leaves other conditions alone and does not mutate its input', () => {
    const before: Condition[] = [
      { type: 'Applied', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' },
      { type: 'Ready', status: 'False', lastTransitionTime: '2024-01-01T00:00:00Z' },
      { type: 'Synced', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' },
    ];
    const snapshot = structuredClone(before);
    const after = setCondition(before, { type: 'Ready', status: 'True', observedGeneration: 4 }, T2);
    expect(before).toEqual(snapshot);
    expect(after.map((c) => c.type)).toEqual(['Applied', 'Ready', 'Synced']);
    expect(after[1]).toEqual({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: '2024-05-01T11:30:00Z',
      observedGeneration: 4,
    });
    expect(after[0]).toBe(before[0]);
  });

  it('returns the same array when nothing changed', () => {
    const before = setCondition(
      [],
      { type: 'Ready', status: 'True', reason: 'Ok', observedGeneration: 2 },
      T1,
    );
    expect(
      setCondition(before, { type: 'Ready', status: 'True', reason: 'Ok', observedGeneration: 2 }, T2),
    ).toBe(before);
    expect(
      setCondition(before, { type: 'Ready', status: 'True', reason: 'Ok', observedGeneration: 3 }, T2),
    ).not.toBe(before);
  });

  it('finds, tests and removes conditions', () => {
    const conditions = setCondition([], { type: 'Ready', status: 'True' }, T1);
    expect(findCondition(conditions, 'Ready')?.status).toBe('True');
    expect(isConditionTrue(conditions, 'Ready')).toBe(true);
    expect(isConditionTrue(conditions, 'Other')).toBe(false);
    expect(removeCondition(conditions, 'Ready')).toEqual([]);
    expect(removeCondition(conditions, 'Other')).toBe(conditions);
  });
});

/** Collects the JSON lines a logger writes. */
function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'debug' });
  logger.clear().add(new winston.transports.Stream({ stream }));
  return { logger, lines };
}

describe('reportError', () => {
  it('logs, records a Warning Event and returns the condition set to False', async () => {
    const http = new FakeTransport((req) => ({ status: 201, body: req.body }));
    const recorder = new EventRecorder(new KubeClient(http), {
      component: 'ihpa_controller',
      clock: new FakeClock(T1),
    });
    const { logger, lines } = capturingLogger();
    const object = {
      apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
      kind: 'IntelligentHorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'prod', uid: 'u1', generation: 7 },
    };

    const conditions = await reportError({
      object,
      error: new Error('replica profile is invalid'),
      reason: 'InvalidSpec',
      conditionType: 'Ready',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
      now: T2,
      recorder,
      logger,
    });

    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidSpec',
        message: 'replica profile is invalid',
        lastTransitionTime: '2024-05-01T11:30:00Z',
        observedGeneration: 7,
      },
    ]);
    expect(http.requests).toHaveLength(1);
    expect(http.requests[0]?.body).toMatchObject({
      type: 'Warning',
      reason: 'InvalidSpec',
      message: 'replica profile is invalid',
      involvedObject: {
        kind: 'IntelligentHorizontalPodAutoscaler',
        name: 'web',
        namespace: 'prod',
        uid: 'u1',
      },
      source: { component: 'ihpa_controller' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      message: 'replica profile is invalid',
      reason: 'InvalidSpec',
    });
    expect(typeof lines[0]?.['timestamp']).toBe('string');
  });
});
