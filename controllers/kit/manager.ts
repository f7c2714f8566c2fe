// Wires the runtime together: one client, one shared informer per watched kind, the controllers,
// probes and metrics, leader election, and an orderly shutdown.
//
// Start: probes → informers → wait for every cache → (leader election) → controllers.
// Stop (SIGTERM/SIGINT or stop()): queues shut down → in-flight reconciles finish → the lease is
// released → informers and probes stop. Caches fill before leadership is won so a new leader
// starts from warm caches.

import { hostname } from 'node:os';

import { realClock, type Clock } from './clock.js';
import { KubeClient, type ClientOptions } from './client.js';
import type { ClusterAccess } from './cluster-access.js';
import { Controller, type ControllerOptions, type Reconcile } from './controller.js';
import type { ResourceDescriptor } from './discovery.js';
import { EventRecorder } from './events.js';
import { HealthServer, DEFAULT_BIND_ADDRESS } from './health.js';
import { Informer, listWatchFor, stripManagedFields } from './informer.js';
import { LeaderElector, type LeaderElectionConfig } from './leader.js';
import { createLogger, errorMessage, type Logger } from './log.js';
import { RuntimeMetrics } from './metrics.js';
import type { KubeObject } from './objects.js';
import type { IndexFunc } from './store.js';

export interface LeaderElectionOptions {
  enabled: boolean;
  /** Lease name, e.g. `rollscale-controller`. */
  name: string;
  namespace: string;
  identity?: string;
  config?: Partial<LeaderElectionConfig>;
}

export interface ManagerOptions {
  client: KubeClient;
  /** Must be the instance the client reports into. */
  metrics: RuntimeMetrics;
  clock?: Clock;
  logger?: Logger;
  /** Probes and metrics; default 127.0.0.1:8080, `0` disables. */
  metricsAddress?: string;
  leaderElection?: LeaderElectionOptions;
  /** Workers for controllers that do not choose. Default 1. */
  defaultWorkers?: number;
  /**
   * Watch namespaced kinds in this namespace only (default: all namespaces). Tests run one
   * controller process per namespace so they never see each other's objects.
   */
  watchNamespace?: string;
}

export interface InformerRequest<T> {
  namespace?: string;
  labelSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  /**
   * Stores each object as `apply` returns it (after managedFields are dropped), e.g. only the
   * fields a controller reads of thousands of pods. Requests with another transform, or none,
   * get a cache of their own: `name` tells transforms apart.
   */
  transform?: { name: string; apply: (obj: T) => T };
}

function composeTransform<T extends KubeObject>(apply: (obj: T) => T): (obj: T) => T {
  return (obj) => apply(stripManagedFields(obj));
}

export class LeadershipLostError extends Error {
  constructor() {
    super('leader election lost');
    this.name = 'LeadershipLostError';
  }
}

export class Manager {
  readonly client: KubeClient;
  readonly metrics: RuntimeMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly defaultWorkers: number;
  readonly watchNamespace?: string;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller[] = [];
  private readonly recorders = new Map<string, EventRecorder>();
  private readonly health: HealthServer;
  private elector?: LeaderElector;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private cachesSynced = false;
  private controllersStarted = false;
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((resolve) => (this.requestStop = resolve));
  private finished?: Promise<void>;

  constructor(private readonly options: ManagerOptions) {
    this.client = options.client;
    this.metrics = options.metrics;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? createLogger();
    this.defaultWorkers = options.defaultWorkers ?? 1;
    this.watchNamespace = options.watchNamespace;
    this.health = new HealthServer({
      address: options.metricsAddress ?? DEFAULT_BIND_ADDRESS,
      registry: this.metrics.registry,
      ready: () => this.ready(),
      logger: this.logger,
    });
  }

  /** A manager with its own metrics registry and a client reporting into it. */
  static fromKubeConfig(
    kubeConfig: ClusterAccess,
    options: Omit<ManagerOptions, 'client' | 'metrics'> & { client?: Omit<ClientOptions, 'metrics'> } = {},
  ): Manager {
    const metrics = new RuntimeMetrics();
    const client = KubeClient.fromKubeConfig(kubeConfig, { ...options.client, metrics });
    return new Manager({ ...options, client, metrics });
  }

  /**
   * The shared informer for `resource` (one per resource, namespace and label selector). Indexers
   * asked for by several callers are added once, by name.
   */
  informer<T extends KubeObject>(
    resource: ResourceDescriptor,
    request: InformerRequest<T> = {},
  ): Informer<T> {
    if (resource.namespaced && request.namespace === undefined && this.watchNamespace) {
      request = { ...request, namespace: this.watchNamespace };
    }
    const key = JSON.stringify([
      resource.group,
      resource.version,
      resource.resource,
      request.namespace,
      request.labelSelector,
      request.transform?.name,
    ]);
    let informer = this.informers.get(key) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(
        listWatchFor<T>(this.client, resource, {
          namespace: request.namespace,
          labelSelector: request.labelSelector,
        }),
        {
          clock: this.clock,
          logger: this.logger,
          ...(request.transform ? { transform: composeTransform(request.transform.apply) } : {}),
        },
      );
      this.informers.set(key, informer as unknown as Informer<KubeObject>);
      if (this.state === 'running') informer.start();
    }
    for (const [name, fn] of Object.entries(request.indexers ?? {})) {
      if (!informer.store.hasIndexer(name)) informer.store.addIndexer(name, fn);
    }
    return informer;
  }

  /** Creates and registers a controller; it runs while this process leads. */
  controller(name: string, reconcile: Reconcile, options: ControllerOptions = {}): Controller {
    const controller = new Controller(name, reconcile, {
      workers: this.defaultWorkers,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      ownWrites: this.client.ownWrites,
      ...options,
    });
    this.add(controller);
    return controller;
  }

  add(controller: Controller): void {
    if (this.controllers.some((c) => c.name === controller.name)) {
      throw new Error(`a controller named ${controller.name} is already registered`);
    }
    this.controllers.push(controller);
    if (this.controllersStarted) controller.start();
  }

  /** The Event recorder for `component` (`source.component` of its Events). */
  eventRecorder(component: string): EventRecorder {
    let recorder = this.recorders.get(component);
    if (!recorder) {
      recorder = new EventRecorder(this.client, {
        component,
        host: hostname(),
        clock: this.clock,
        logger: this.logger,
      });
      this.recorders.set(component, recorder);
    }
    return recorder;
  }

  /** True once every informer has synced. */
  ready(): boolean {
    return this.cachesSynced && [...this.informers.values()].every((i) => i.hasSynced());
  }

  /**
   * Runs until stop() (resolves) or until leadership is lost (rejects with LeadershipLostError,
   * after the same orderly shutdown; the process should exit and be restarted).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('manager already started');
    this.state = 'running';
    let lost = false;
    this.finished = (async () => {
      try {
        await this.health.start();
        for (const informer of this.informers.values()) informer.start();
        if (!(await this.waitForCaches())) return;
        this.cachesSynced = true;
        this.logger.info('caches synced', { informers: this.informers.size });
        lost = (await this.lead()) === 'lost';
      } finally {
        await this.shutdown();
      }
    })();
    await this.finished;
    if (lost) throw new LeadershipLostError();
  }

  /** Requests a graceful shutdown and waits for it. */
  async stop(): Promise<void> {
    this.requestStop();
    if (this.state === 'new') this.state = 'stopped';
    await this.finished;
  }

  /**
   * First SIGTERM/SIGINT stops gracefully; a second one exits at once. Returns a function that
   * removes the handlers.
   */
  installSignalHandlers(): () => void {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      received++;
      if (received > 1) {
        this.logger.warn('second signal, exiting immediately', { signal });
        process.exit(1);
      }
      this.logger.info('shutting down', { signal });
      void this.stop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    return () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }

  private async waitForCaches(): Promise<boolean> {
    const all = Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    const outcome = await Promise.race([all, this.stopRequested.then(() => undefined)]);
    return outcome !== undefined && outcome.every(Boolean);
  }

  /** Runs controllers (under the lease when leader election is on) until stop or loss. */
  private async lead(): Promise<'stopped' | 'lost'> {
    const election = this.options.leaderElection;
    if (!election?.enabled) {
      this.startControllers();
      await this.stopRequested;
      return 'stopped';
    }
    const elector = new LeaderElector(this.client, {
      name: election.name,
      namespace: election.namespace,
      identity: election.identity,
      config: election.config,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      onStartedLeading: () => this.startControllers(),
      onStoppedLeading: () => void this.stopControllers(),
    });
    this.elector = elector;
    const outcome = await Promise.race([elector.run(), this.stopRequested.then(() => 'stop' as const)]);
    return outcome === 'lost' ? 'lost' : 'stopped';
  }

  private startControllers(): void {
    if (this.controllersStarted || this.state !== 'running') return;
    this.controllersStarted = true;
    for (const controller of this.controllers) controller.start();
  }

  private async stopControllers(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    this.requestStop();
    // Reconciles in flight finish before the lease is released, so no successor overlaps them.
    await this.stopControllers();
    await this.elector?.stop();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.health.stop().catch((error: unknown) => {
      this.logger.warn('stopping the probe server failed', { error: errorMessage(error) });
    });
    this.state = 'stopped';
    this.logger.info('manager stopped');
  }
}
