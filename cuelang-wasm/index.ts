// CUE render engine for KubeVela-style templates, backed by our own Go build
// of cuelang.org/go compiled to WebAssembly (see go/ and build.sh).
//
//   const cue = await createCueEngine();
//   const { output, outputs, patch, patchKeys } = await cue.render(template, { parameter, context });
//   const { isHealth, message } = await cue.evalStatus({ healthPolicy, customStatus }, { parameter, context });
//   await cue.close();
//
// Renders run in a worker thread by default: CUE evaluation is synchronous and
// cannot be interrupted, so a pathological template could otherwise block the
// controller's event loop indefinitely. The worker gets a per-render deadline
// and is replaced when it overruns.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { InlineBackend, WorkerBackend, loadArtifacts, type Backend } from './backend.js';
import { CueRenderError, type CueErrorItem, type CueErrorKind } from './errors.js';
import { LruCache } from './lru.js';

export { CueRenderError, CueTimeoutError } from './errors.js';
export type { CueErrorItem, CueErrorKind } from './errors.js';

export type JsonObject = { [key: string]: unknown };

export interface CueEngineOptions {
  /**
   * `worker` (default): renders run in a worker thread with a deadline.
   * `inline`: renders run synchronously on the calling thread (no deadline);
   * for tools and benchmarks, not for the controller.
   */
  isolation?: 'worker' | 'inline';
  /** Deadline per render in worker mode, from the moment the worker starts it. Default 5000 ms. */
  timeoutMs?: number;
  /**
   * Render results kept in the LRU cache; 0 disables caching. Default 2048: a controller renders
   * each of its Applications' components and traits again on every reconcile, and a cache smaller
   * than that working set misses on every one of them once there are more than a few hundred.
   */
  cacheSize?: number;
  /**
   * evalStatus results kept in their own LRU cache (default 256; 0 disables it). They depend on
   * live objects, so they rarely repeat; a cache of their own keeps them from evicting renders.
   */
  statusCacheSize?: number;
  /** Path of cue.wasm; default: `$CUE_WASM_PATH`, else `cuelang-wasm/dist/cue.wasm`. */
  wasmPath?: string;
  /** Path of wasm_exec.js; default: next to cue.wasm. */
  wasmExecPath?: string;
}

export interface RenderInput {
  /** The component's or trait's `properties`. */
  parameter?: unknown;
  /** KubeVela's `context`: name, namespace, appName, appRevision, revision, output, outputs, ... */
  context?: JsonObject;
}

export interface RenderResult {
  /** The workload (component templates). */
  output?: JsonObject;
  /** Auxiliary objects by name (`{}` when the template has none). */
  outputs: Record<string, JsonObject>;
  /** A trait's patch to merge into the workload. */
  patch?: JsonObject;
  /**
   * `// +patchKey=<key>` annotations inside `patch`, by dotted path relative to
   * `patch` (e.g. `spec.template.spec.containers`; list elements add `[]`, e.g.
   * `spec.template.spec.containers[].env`). Lists at these paths merge by key.
   */
  patchKeys: Record<string, string>;
  /** `// +patchStrategy=<strategy>` annotations, keyed like patchKeys. */
  patchStrategies: Record<string, string>;
}

export interface StatusSnippets {
  /** CUE defining `isHealth: bool` (a definition's `status.healthPolicy`). */
  healthPolicy?: string;
  /** CUE defining `message: string` (a definition's `status.customStatus`). */
  customStatus?: string;
}

export interface StatusResult {
  /** Present when a healthPolicy was given. */
  isHealth?: boolean;
  /** Present when a customStatus was given. */
  message?: string;
}

export interface CueEngineInfo {
  cueVersion: string;
  goVersion: string;
  maxTemplateBytes: number;
  maxInputBytes: number;
  allowedImports: string[];
  wasmBytes: number;
  isolation: 'worker' | 'inline';
}

export interface CueEngineStats {
  /** Requests that reached the wasm engine. */
  wasmCalls: number;
  cacheHits: number;
  cacheMisses: number;
  /** Go instances started, including replacements after timeouts or crashes. */
  engineStarts: number;
}

export interface CueEngine {
  /**
   * Renders a component or trait template. Results are cached by a hash of
   * (template, inputs) and are deeply frozen: the same inputs return the same
   * object, so copy (`structuredClone`) before modifying.
   * @throws CueRenderError (CueTimeoutError when the deadline passes)
   */
  render(template: string, input: RenderInput): Promise<RenderResult>;
  /** Evaluates a definition's health policy and/or custom status against live objects in `context.output(s)`. */
  evalStatus(snippets: StatusSnippets, input: RenderInput): Promise<StatusResult>;
  info(): CueEngineInfo;
  stats(): CueEngineStats;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_SIZE = 2048;
const DEFAULT_STATUS_CACHE_SIZE = 256;

/** Error kinds that depend only on the inputs, so caching them is safe. */
const DETERMINISTIC_KINDS: ReadonlySet<CueErrorKind> = new Set([
  'request',
  'limit',
  'syntax',
  'import',
  'eval',
  'incomplete',
]);

export async function createCueEngine(options: CueEngineOptions = {}): Promise<CueEngine> {
  const isolation = options.isolation ?? 'worker';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  const wasmPath = options.wasmPath ?? process.env['CUE_WASM_PATH'] ?? defaultWasmPath();
  const wasmExecPath = options.wasmExecPath ?? join(dirname(wasmPath), 'wasm_exec.js');
  for (const file of [wasmPath, wasmExecPath]) {
    if (!existsSync(file)) {
      throw new Error(`${file} not found: build the CUE engine first with \`npm run build:wasm\``);
    }
  }
  const artifacts = await loadArtifacts(wasmPath, wasmExecPath);
  const backend: Backend =
    isolation === 'worker'
      ? await WorkerBackend.start(artifacts, timeoutMs)
      : await InlineBackend.start(artifacts);
  const engineInfo = {
    ...(JSON.parse(backend.info) as Omit<CueEngineInfo, 'wasmBytes' | 'isolation'>),
    wasmBytes: artifacts.wasmBytes,
    isolation,
  };
  return new Engine(
    backend,
    new LruCache(options.cacheSize ?? DEFAULT_CACHE_SIZE),
    new LruCache(options.statusCacheSize ?? DEFAULT_STATUS_CACHE_SIZE),
    engineInfo,
  );
}

/** Where build.sh puts cue.wasm, seen from this file in the source tree or in the compiled `dist/`. */
function defaultWasmPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'dist', 'cue.wasm'),
    resolve(here, '..', '..', 'cuelang-wasm', 'dist', 'cue.wasm'),
  ];
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

interface WireResponse {
  ok: boolean;
  result?: unknown;
  error?: { kind: CueErrorKind; errors?: CueErrorItem[] } & CueErrorItem;
}

class Engine implements CueEngine {
  private readonly counters = { wasmCalls: 0, cacheHits: 0, cacheMisses: 0 };

  constructor(
    private readonly backend: Backend,
    private readonly cache: LruCache<string, Promise<unknown>>,
    private readonly statusCache: LruCache<string, Promise<unknown>>,
    private readonly engineInfo: CueEngineInfo,
  ) {}

  render(template: string, input: RenderInput): Promise<RenderResult> {
    const request = JSON.stringify({
      mode: 'render',
      template,
      parameter: input.parameter ?? null,
      context: input.context ?? null,
    });
    return this.run(this.cache, request, (result) => {
      const r = result as Partial<RenderResult>;
      return {
        ...r,
        outputs: r.outputs ?? {},
        patchKeys: r.patchKeys ?? {},
        patchStrategies: r.patchStrategies ?? {},
      };
    });
  }

  evalStatus(snippets: StatusSnippets, input: RenderInput): Promise<StatusResult> {
    const request = JSON.stringify({
      mode: 'status',
      healthPolicy: snippets.healthPolicy ?? '',
      customStatus: snippets.customStatus ?? '',
      parameter: input.parameter ?? null,
      context: input.context ?? null,
    });
    return this.run(this.statusCache, request, (result) => result as StatusResult);
  }

  info(): CueEngineInfo {
    return { ...this.engineInfo, allowedImports: [...this.engineInfo.allowedImports] };
  }

  stats(): CueEngineStats {
    return { ...this.counters, engineStarts: this.backend.starts };
  }

  close(): Promise<void> {
    this.cache.clear();
    this.statusCache.clear();
    return this.backend.close();
  }

  private run<T>(
    cache: LruCache<string, Promise<unknown>>,
    request: string,
    shape: (result: unknown) => T,
  ): Promise<T> {
    const caching = cache.capacity > 0;
    const key = caching ? createHash('sha256').update(request).digest('base64') : '';
    const cached = caching ? cache.get(key) : undefined;
    if (cached) {
      this.counters.cacheHits++;
      return cached as Promise<T>;
    }
    if (caching) this.counters.cacheMisses++;
    this.counters.wasmCalls++;
    // The promise itself is cached, so concurrent identical renders share one evaluation.
    const pending = this.backend.call(request).then((raw) => {
      let response: WireResponse;
      try {
        response = JSON.parse(raw) as WireResponse;
      } catch (err) {
        throw new CueRenderError('internal', { message: `unreadable engine response: ${String(err)}` });
      }
      if (!response.ok || response.error) throw toRenderError(response.error);
      return deepFreeze(shape(response.result));
    });
    if (!caching) return pending;
    cache.set(key, pending);
    pending.catch((err: unknown) => {
      if (!(err instanceof CueRenderError && DETERMINISTIC_KINDS.has(err.kind))) cache.delete(key);
    });
    return pending;
  }
}

function toRenderError(error: WireResponse['error']): CueRenderError {
  if (!error)
    return new CueRenderError('internal', { message: 'the CUE engine returned neither result nor error' });
  const first: CueErrorItem = { message: error.message };
  if (error.path) first.path = error.path;
  if (error.file) first.file = error.file;
  if (error.line) first.line = error.line;
  if (error.column) first.column = error.column;
  return new CueRenderError(error.kind, first, error.errors?.length ? error.errors : [first]);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
