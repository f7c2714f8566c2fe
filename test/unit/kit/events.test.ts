import { FakeClock } from '../../../controllers/kit/clock.js';
import { KubeClient } from '../../../controllers/kit/client.js';
import { EventRecorder, truncateMessage, type CoreEvent } from '../../../controllers/kit/events.js';
import { FakeTransport, status, type RecordedRequest } from './fake-transport.js';

const ihpa = {
  apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
  kind: 'IntelligentHorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', resourceVersion: '5' },
};

/** Events API: POST creates, PATCH bumps, both echo; `gone` names make PATCH answer 404. */
function eventsServer(gone: Set<string> = new Set()) {
  return (req: RecordedRequest) => {
    if (req.method === 'POST') return { status: 201, body: req.body };
    if (req.method === 'PATCH') {
      const name = req.path.split('/').at(-1) ?? '';
      if (gone.has(name)) return status(404, 'NotFound', `events "${name}" not found`);
      return { body: req.body };
    }
    return status(405, 'MethodNotAllowed', req.method);
  };
}

describe('EventRecorder', () => {
  it('creates a core/v1 Event with the involved object, source component and count 1', async () => {
    const transport = new FakeTransport(eventsServer());
    const clock = new FakeClock(new Date('2024-05-01T10:00:00.123Z'));
    const recorder = new EventRecorder(new KubeClient(transport), {
      component: 'ihpa_controller',
      clock,
      host: 'node-1',
    });
    await recorder.normal(ihpa, 'UpdateReplicaProfile', 'Updated replica profile');
    expect(transport.requests).toHaveLength(1);
    const req = transport.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/api/v1/namespaces/prod/events');
    const event = req.body as CoreEvent;
    expect(event.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(event).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'prod' },
      involvedObject: {
        apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
        kind: 'IntelligentHorizontalPodAutoscaler',
        name: 'web',
        namespace: 'prod',
        uid: 'u-1',
      },
      reason: 'UpdateReplicaProfile',
      message: 'Updated replica profile',
      type: 'Normal',
      source: { component: 'ihpa_controller', host: 'node-1' },
      count: 1,
      firstTimestamp: '2024-05-01T10:00:00Z',
      lastTimestamp: '2024-05-01T10:00:00Z',
    });
  });

  it('bumps count and lastTimestamp for a repeat instead of creating another Event', async () => {
    const transport = new FakeTransport(eventsServer());
    const clock = new FakeClock(new Date('2024-05-01T10:00:00Z'));
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'ihpa_controller', clock });
    await recorder.warning(ihpa, 'FailedGetMetrics', 'no metrics');
    const name = (transport.requests[0]!.body as CoreEvent).metadata.name;
    clock.advance(60_000);
    await recorder.warning(ihpa, 'FailedGetMetrics', 'no metrics');
    clock.advance(60_000);
    await recorder.warning(ihpa, 'FailedGetMetrics', 'no metrics');
    expect(transport.requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH']);
    expect(transport.requests[2]!.path).toBe(`/api/v1/namespaces/prod/events/${name}`);
    expect(transport.requests[2]!.headers['Content-Type']).toBe('application/merge-patch+json');
    expect(transport.requests[2]!.body).toEqual({ count: 3, lastTimestamp: '2024-05-01T10:02:00Z' });
  });

  it('keeps different reasons, messages, types and objects apart', async () => {
    const transport = new FakeTransport(eventsServer());
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'c', clock: new FakeClock() });
    await recorder.warning(ihpa, 'A', 'm');
    await recorder.warning(ihpa, 'B', 'm');
    await recorder.warning(ihpa, 'A', 'other');
    await recorder.normal(ihpa, 'A', 'm');
    await recorder.warning({ ...ihpa, metadata: { ...ihpa.metadata, uid: 'u-2' } }, 'A', 'm');
    expect(transport.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'POST', 'POST']);
    const names = transport.requests.map((r) => (r.body as CoreEvent).metadata.name);
    expect(new Set(names).size).toBe(5);
  });

  it('starts a new Event when the aggregated one has expired', async () => {
    const gone = new Set<string>();
    const transport = new FakeTransport(eventsServer(gone));
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'c', clock: new FakeClock() });
    await recorder.warning(ihpa, 'A', 'm');
    gone.add((transport.requests[0]!.body as CoreEvent).metadata.name);
    await recorder.warning(ihpa, 'A', 'm');
    expect(transport.requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'POST']);
    expect((transport.requests[2]!.body as CoreEvent).count).toBe(1);
  });

  it('serializes concurrent repeats so they aggregate rather than race', async () => {
    const transport = new FakeTransport(eventsServer());
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'c', clock: new FakeClock() });
    await Promise.all([
      recorder.warning(ihpa, 'A', 'm'),
      recorder.warning(ihpa, 'A', 'm'),
      recorder.warning(ihpa, 'A', 'm'),
    ]);
    expect(transport.requests.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH']);
  });

  it('never rejects when the API server refuses the Event', async () => {
    const transport = new FakeTransport(() => status(403, 'Forbidden', 'events is forbidden'));
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'c', clock: new FakeClock() });
    await expect(recorder.warning(ihpa, 'A', 'm')).resolves.toBeUndefined();
  });

  it('puts Events about cluster-scoped objects in default and truncates long messages', async () => {
    const transport = new FakeTransport(eventsServer());
    const recorder = new EventRecorder(new KubeClient(transport), { component: 'c', clock: new FakeClock() });
    await recorder.normal(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } },
      'A',
      'x'.repeat(5000),
    );
    expect(transport.requests[0]!.path).toBe('/api/v1/namespaces/default/events');
    const message = (transport.requests[0]!.body as CoreEvent).message;
    expect(message).toHaveLength(1024);
    expect(message.endsWith('...')).toBe(true);
    expect(truncateMessage('short')).toBe('short');
  });
});
