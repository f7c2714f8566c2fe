// Helpers for the IHPA end-to-end tests: the seeds' NGINX StatefulSet, recorders that timestamp
// every change a watch reports (event-driven, no polling), and crons placed on the wall clock.
import { Watch } from '@kubernetes/client-node';
import { kubeConfig } from './support.js';

/**
 * The seeds' nginx-statefulset.yaml (a headless Service and a one-replica StatefulSet), with one
 * addition: the pod template carries the `kapacitystack.io/online` readiness gate. Kapacity adds
 * that gate with its admission webhook; our ihpa trait puts it in the template directly, and these
 * tests do the same so that they do not depend on the webhook.
 */
export const NGINX_STATEFULSET = `
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
    - port: 80
      name: nginx
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  serviceName: "nginx"
  selector:
    matchLabels:
      app: nginx
  replicas: 1
  template:
    metadata:
      labels:
        app: nginx
    spec:
      readinessGates:
        - conditionType: kapacitystack.io/online
      containers:
        - name: nginx
          image: nginx:1.14.2
          ports:
            - containerPort: 80
`;

export interface Recorded<T> {
  /** Wall-clock ms when the watch delivered the change. */
  at: number;
  type: string;
  object: T;
}

export interface Recorder<T> {
  readonly events: Recorded<T>[];
  /** Resolves once `predicate` holds for the events so far (checked on every new event). */
  until(predicate: (events: Recorded<T>[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  stop(): void;
}

/** Records every watch event on a collection path with its arrival time. */
export async function record<T extends { metadata?: { name?: string } }>(
  path: string,
  options: { labelSelector?: string; fieldSelector?: string } = {},
): Promise<Recorder<T>> {
  const events: Recorded<T>[] = [];
  const waiters: Array<() => void> = [];
  const watch = new Watch(kubeConfig());
  const query: Record<string, string> = {};
  if (options.labelSelector) query.labelSelector = options.labelSelector;
  if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
  const request = await watch.watch(
    path,
    query,
    (type, object: T) => {
      events.push({ at: Date.now(), type, object });
      for (const waiter of [...waiters]) waiter();
    },
    () => undefined,
  );
  return {
    events,
    until(predicate, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(events)) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    stop: () => request.abort(),
  };
}

export const MINUTE_MS = 60_000;

/** `<minute> * * * *` for the UTC minute that starts at `instantMs` (a minute boundary). */
export function hourlyCronAt(instantMs: number): string {
  return `${new Date(instantMs).getUTCMinutes()} * * * *`;
}

/** The next minute boundary at least `marginMs` after `nowMs`. */
export function nextMinuteBoundary(nowMs: number, marginMs: number): number {
  let boundary = Math.ceil(nowMs / MINUTE_MS) * MINUTE_MS;
  if (boundary - nowMs < marginMs) boundary += MINUTE_MS;
  return boundary;
}

export interface ReplicaProfileObject {
  metadata?: { name?: string; generation?: number };
  spec?: { onlineReplicas?: number; cutoffReplicas?: number; standbyReplicas?: number };
}

/** "online/cutoff/standby" of a ReplicaProfile. */
export const countsOf = (rp: ReplicaProfileObject) =>
  `${rp.spec?.onlineReplicas ?? 0}/${rp.spec?.cutoffReplicas ?? 0}/${rp.spec?.standbyReplicas ?? 0}`;

/** Each distinct ReplicaProfile spec, in order, with the time it was first seen. */
export function profileChanges(events: Recorded<ReplicaProfileObject>[]): { at: number; counts: string }[] {
  const changes: { at: number; counts: string }[] = [];
  for (const event of events) {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') continue;
    const counts = countsOf(event.object);
    if (changes.at(-1)?.counts !== counts) changes.push({ at: event.at, counts });
  }
  return changes;
}

/** Lines of the Events table of `kubectl describe`, as [type, reason, from, message]. */
export function describedEvents(describe: string): string[][] {
  const section = describe.split(/\nEvents:\s*\n/)[1] ?? '';
  return section
    .split('\n')
    .slice(2)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [type, reason, , from, ...message] = line.split(/\s{2,}/);
      return [type ?? '', reason ?? '', from ?? '', message.join('  ')];
    });
}
