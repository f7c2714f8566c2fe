// Keeps what a namespace shows (objects of chosen kinds, and its Events) from watches, and waits
// for a condition over it: re-checked on every watch event, never on a timer.
import type { ObservedEvent, Observation } from './corpus.js';
import type { Kube, KubeObjectLike } from './kube.js';

export interface WatchedKind {
  kind: string;
  /** Collection path under the namespace, e.g. `apis/apps/v1/namespaces/{ns}/deployments`. */
  path: (namespace: string) => string;
}

export const KINDS = {
  Application: {
    kind: 'Application',
    path: (ns: string) => `/apis/core.oam.dev/v1beta1/namespaces/${ns}/applications`,
  },
  Rollout: {
    kind: 'Rollout',
    path: (ns: string) => `/apis/standard.oam.dev/v1alpha1/namespaces/${ns}/rollouts`,
  },
  IntelligentHorizontalPodAutoscaler: {
    kind: 'IntelligentHorizontalPodAutoscaler',
    path: (ns: string) =>
      `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/intelligenthorizontalpodautoscalers`,
  },
  ReplicaProfile: {
    kind: 'ReplicaProfile',
    path: (ns: string) => `/apis/autoscaling.kapacitystack.io/v1alpha1/namespaces/${ns}/replicaprofiles`,
  },
  Deployment: { kind: 'Deployment', path: (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments` },
  Lease: { kind: 'Lease', path: (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases` },
} satisfies Record<string, WatchedKind>;

interface EventObject extends KubeObjectLike {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

export class NamespaceObserver {
  readonly objects = new Map<string, Record<string, unknown>>();
  private readonly events = new Map<string, ObservedEvent>();
  private readonly handles: Array<{ stop(): void }> = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kube: Kube,
    readonly namespace: string,
    kinds: WatchedKind[],
  ) {
    for (const { kind, path } of kinds) {
      this.handles.push(
        kube.watch<KubeObjectLike>(path(namespace), {
          onReset: (items) => {
            for (const key of [...this.objects.keys()])
              if (key.startsWith(`${kind}/`)) this.objects.delete(key);
            for (const obj of items)
              this.objects.set(`${kind}/${obj.metadata?.name ?? ''}`, obj as Record<string, unknown>);
            this.changed();
          },
          onEvent: (type, obj) => {
            const key = `${kind}/${obj.metadata?.name ?? ''}`;
            if (type === 'DELETED') this.objects.delete(key);
            else this.objects.set(key, obj as Record<string, unknown>);
            this.changed();
          },
        }),
      );
    }
    const keep = (ev: EventObject) => {
      this.events.set(ev.metadata?.name ?? '', {
        type: ev.type ?? '',
        reason: ev.reason ?? '',
        message: ev.message ?? '',
        involvedObject: { kind: ev.involvedObject?.kind ?? '', name: ev.involvedObject?.name ?? '' },
      });
    };
    this.handles.push(
      kube.watch<EventObject>(`/api/v1/namespaces/${namespace}/events`, {
        // Expired Events still count as having happened: a reset only adds.
        onReset: (items) => {
          items.forEach(keep);
          this.changed();
        },
        onEvent: (type, ev) => {
          if (type === 'DELETED') return;
          keep(ev);
          this.changed();
        },
      }),
    );
  }

  /** Events about one object, oldest first as the watch delivered them. */
  eventsFor(kind: string, name: string): ObservedEvent[] {
    return [...this.events.values()].filter(
      (e) => e.involvedObject.kind === kind && e.involvedObject.name === name,
    );
  }

  snapshot(): Observation {
    return { objects: this.objects, events: [...this.events.values()] };
  }

  get<T>(kind: string, name: string): T | undefined {
    return this.objects.get(`${kind}/${name}`) as T | undefined;
  }

  /** Resolves true once `predicate` holds, false after `timeoutMs` (the caller reports what is missing). */
  until(predicate: (seen: Observation) => boolean, timeoutMs: number): Promise<boolean> {
    if (predicate(this.snapshot())) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate(this.snapshot())) return;
        cleanup();
        resolve(true);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(false);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  stop(): void {
    for (const h of this.handles) h.stop();
    for (const w of this.waiters) this.waiters.delete(w);
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
