// Kubernetes Events (core/v1) about the objects a controller manages. A repeat of the same
// (object, type, reason, message) bumps `count` and `lastTimestamp` on the existing Event instead
// of creating another, so a reconcile loop that keeps hitting one problem leaves one Event.
// Recording never throws: an Event is diagnostics and must not fail a reconcile.

import { realClock, type Clock } from './clock.js';
import { isNotFound, type KubeClient } from './client.js';
import { builtin } from './discovery.js';
import { errorMessage, silentLogger, type Logger } from './log.js';
import { formatTime, type KubeObject } from './objects.js';

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

export interface CoreEvent extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: EventType;
  source: { component: string; host?: string };
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  reportingComponent?: string;
  reportingInstance?: string;
}

export interface EventRecorderOptions {
  /** `source.component`, e.g. `ihpa_controller`. */
  component: string;
  /** `source.host` / reportingInstance; optional. */
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** How many distinct events are remembered for aggregation. Default 4096. */
  maxCacheEntries?: number;
}

// The API server rejects very long messages; keep them well inside its limits.
const MAX_MESSAGE_LENGTH = 1024;

export function referenceTo(obj: KubeObject): ObjectReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name,
    namespace: obj.metadata?.namespace,
    uid: obj.metadata?.uid,
  };
}

/** Events about the same thing saying the same: the unit of aggregation. */
export function aggregationKey(
  component: string,
  ref: ObjectReference,
  type: EventType,
  reason: string,
  message: string,
): string {
  return JSON.stringify([
    component,
    ref.apiVersion,
    ref.kind,
    ref.namespace,
    ref.name,
    ref.uid,
    type,
    reason,
    message,
  ]);
}

export function truncateMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...`;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
}

export class EventRecorder {
  readonly component: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxCacheEntries: number;
  /** Most recently used last (Map keeps insertion order). */
  private readonly recorded = new Map<string, Recorded>();
  /** Per aggregation key, the write in progress: writes of one key are serialized. */
  private readonly pending = new Map<string, Promise<void>>();
  private sequence = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.component = options.component;
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger()).child({ eventSource: options.component });
    this.maxCacheEntries = options.maxCacheEntries ?? 4096;
  }

  normal(obj: KubeObject, reason: string, message: string): Promise<void> {
    return this.event(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): Promise<void> {
    return this.event(obj, 'Warning', reason, message);
  }

  /** Records an Event; resolves when written (or when writing failed and was logged). */
  event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const ref = referenceTo(obj);
    const text = truncateMessage(message);
    const key = aggregationKey(this.component, ref, type, reason, text);
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, ref, type, reason, text));
    this.pending.set(key, next);
    void next.finally(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
    return next;
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string) {
    const now = formatTime(this.clock.now());
    try {
      const seen = this.recorded.get(key);
      if (seen) {
        try {
          await this.client.patch(
            builtin.Event,
            seen.name,
            { count: seen.count + 1, lastTimestamp: now },
            { namespace: seen.namespace },
          );
          this.remember(key, { ...seen, count: seen.count + 1 });
          return;
        } catch (error) {
          // The Event was garbage-collected (Events expire after an hour): start a new one.
          if (!isNotFound(error)) throw error;
        }
      }
      const created = await this.client.create<CoreEvent>(
        builtin.Event,
        this.newEvent(ref, type, reason, message, now),
      );
      this.remember(key, { name: created.metadata.name, namespace: created.metadata.namespace, count: 1 });
    } catch (error) {
      this.logger.warn('could not record event', { reason, object: ref.name, error: errorMessage(error) });
    }
  }

  private newEvent(
    ref: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    now: string,
  ): CoreEvent {
    // Events of cluster-scoped objects live in `default`, as elsewhere in Kubernetes.
    const namespace = ref.namespace || 'default';
    const name = `${ref.name ?? 'unknown'}.${this.uniqueSuffix()}`;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: this.options.host
        ? { component: this.component, host: this.options.host }
        : { component: this.component },
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      reportingComponent: this.component,
      reportingInstance: this.options.host,
    };
  }

  /** Hex of the time in nanoseconds, made unique within the process. */
  private uniqueSuffix(): string {
    const nanos = BigInt(this.clock.now().getTime()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    return nanos.toString(16);
  }

  private remember(key: string, entry: Recorded): void {
    this.recorded.delete(key);
    this.recorded.set(key, entry);
    while (this.recorded.size > this.maxCacheEntries) {
      const oldest = this.recorded.keys().next().value;
      if (oldest === undefined) break;
      this.recorded.delete(oldest);
    }
  }
}
