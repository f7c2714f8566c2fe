// Runs cue.wasm either on the calling thread ("inline") or in a worker thread
// ("worker"). Both speak the same protocol: one JSON request string in, one
// JSON response string out (see go/engine/engine.go).

import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

import { CueRenderError, CueTimeoutError } from './errors.js';

// The project's TypeScript libs (ES2023, @types/node 20) do not declare the
// WebAssembly namespace; these are the only parts used here.
/** A compiled `WebAssembly.Module` (opaque; it can be posted to workers). */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The compiled module and loader script, shared by every engine using the same files. */
export interface WasmArtifacts {
  module: WasmModule;
  wasmExecSource: string;
  wasmBytes: number;
}

export interface Backend {
  /** Runs one request; resolves with the engine's JSON response. */
  call(request: string): Promise<string>;
  /** The engine's self-description (versions, limits); available after `start`. */
  readonly info: string;
  /** How many instances of the Go program have been started (1 + restarts). */
  readonly starts: number;
  close(): Promise<void>;
}

const artifactCache = new Map<string, Promise<WasmArtifacts>>();

let tiersConfigured = false;

/**
 * Compiles WebAssembly with V8's baseline compiler only, and each function on its first call.
 * cue.wasm is ~31 MB of code of which a render touches a fraction: eager optimizing compilation
 * keeps ~50 MB more resident and burns seconds of CPU tiering up, for renders that measured no
 * faster (≈2 ms either way). The flags are process-wide and read when a module is compiled, so
 * they are set once, before the first compile; nothing else in the process compiles wasm.
 */
function configureWasmTiers(): void {
  if (tiersConfigured) return;
  tiersConfigured = true;
  v8.setFlagsFromString('--liftoff-only');
  v8.setFlagsFromString('--wasm-lazy-compilation');
}

/** Reads and compiles cue.wasm once per path; later engines reuse the compiled module. */
export function loadArtifacts(wasmPath: string, wasmExecPath: string): Promise<WasmArtifacts> {
  const key = `${wasmPath}\0${wasmExecPath}`;
  let pending = artifactCache.get(key);
  if (!pending) {
    pending = (async () => {
      const [bytes, wasmExecSource] = await Promise.all([readFile(wasmPath), readFile(wasmExecPath, 'utf8')]);
      configureWasmTiers();
      const module = await wasm.compile(bytes);
      return { module, wasmExecSource, wasmBytes: bytes.byteLength };
    })();
    pending.catch(() => artifactCache.delete(key));
    artifactCache.set(key, pending);
  }
  return pending;
}

// Starts the Go program inside a fresh vm context whose only host objects are
// the few wasm_exec.js needs. Go's `js.Global()` is that context's global, so
// `cueRender` never lands on the real globalThis, wasm_exec.js's stub `fs`
// (which refuses every file operation) is what Go sees, and several engines
// can coexist. Kept as source text because the worker evaluates it too.
const LOADER_SOURCE = `(async function startCueWasm(vm, host, module, wasmExecSource) {
  // Whatever Go prints (only a fatal error's report, in practice) is kept, not
  // logged: the tail ends up in the error of the render that crashed.
  let printed = '';
  const capture = (...args) => {
    printed = (printed + args.join(' ') + '\\n').slice(-16384);
  };
  const sandbox = vm.createContext({
    console: { log: capture, warn: capture, error: capture, info: capture, debug: capture },
    crypto: host.crypto,
    performance: host.performance,
    TextEncoder: host.TextEncoder,
    TextDecoder: host.TextDecoder,
    setTimeout: host.setTimeout,
    clearTimeout: host.clearTimeout,
    WebAssembly: host.WebAssembly,
  });
  vm.runInContext(wasmExecSource, sandbox, { filename: 'wasm_exec.js' });
  const go = new sandbox.Go();
  go.argv = ['cue-wasm'];
  // A collection when the heap has grown by half (Go's default: doubled): the Go heap lives in
  // the wasm memory, which never shrinks, so its high-water mark is what the process keeps.
  go.env = { GOGC: '50' };
  let exitCode = null;
  go.exit = (code) => { exitCode = code; };
  const instance = await host.WebAssembly.instantiate(module, go.importObject);
  // run() resolves only when the Go program exits; main() registers its
  // functions and parks in select{} before run() returns control here.
  go.run(instance).catch(() => {});
  const render = sandbox.cueRender;
  const info = sandbox.cueEngineInfo;
  if (typeof render !== 'function' || typeof info !== 'function') {
    throw new Error('cue.wasm did not register cueRender/cueEngineInfo');
  }
  const died = () => {
    // Go's report starts with "fatal error: ..." or "panic: ..."; lead with it.
    const headline = (printed.match(/^(fatal error|panic|runtime):.*$/m) || [''])[0];
    const err = new Error('Go exited with code ' + exitCode + (headline ? ': ' + headline : ''));
    err.goOutput = printed;
    return err;
  };
  return {
    render(request) {
      if (go.exited) throw died();
      const response = render(request);
      // A fatal error inside the call (out of memory, stack overflow) ends the
      // Go program; the call then returns nothing instead of throwing.
      if (go.exited || typeof response !== 'string') throw died();
      return response;
    },
    info: info(),
    exited() { return go.exited; },
  };
})`;

interface GoInstance {
  render(request: string): string;
  info: string;
  exited(): boolean;
}

type StartGo = (
  vmModule: typeof vm,
  host: typeof globalThis,
  module: WasmModule,
  wasmExecSource: string,
) => Promise<GoInstance>;

let startGoInThisThread: StartGo | undefined;

function startGo(artifacts: WasmArtifacts): Promise<GoInstance> {
  // Evaluated in the main realm (not a test sandbox) so that the vm module and
  // the host objects passed in agree.
  startGoInThisThread ??= vm.runInThisContext(LOADER_SOURCE, { filename: 'cue-wasm-loader.js' }) as StartGo;
  return startGoInThisThread(vm, globalThis, artifacts.module, artifacts.wasmExecSource);
}

/** Runs renders synchronously on the calling thread: fastest, but a slow template blocks the event loop. */
export class InlineBackend implements Backend {
  private instance: GoInstance;
  private startCount = 1;
  private closed = false;

  private constructor(
    private readonly artifacts: WasmArtifacts,
    instance: GoInstance,
  ) {
    this.instance = instance;
  }

  static async start(artifacts: WasmArtifacts): Promise<InlineBackend> {
    return new InlineBackend(artifacts, await startGo(artifacts));
  }

  get info(): string {
    return this.instance.info;
  }

  get starts(): number {
    return this.startCount;
  }

  async call(request: string): Promise<string> {
    if (this.closed) throw closedError();
    if (this.instance.exited()) {
      this.instance = await startGo(this.artifacts);
      this.startCount++;
    }
    try {
      return this.instance.render(request);
    } catch (err) {
      throw crashedError(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

// The worker is an eval'd CommonJS script so that it runs the same way under
// tsx, jest (whose module sandbox a worker file could not share) and compiled
// output, without a separate build step.
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const startCueWasm = vm.runInThisContext(workerData.loaderSource, { filename: 'cue-wasm-loader.js' });
startCueWasm(vm, globalThis, workerData.module, workerData.wasmExecSource).then(
  (engine) => {
    parentPort.postMessage({ type: 'ready', info: engine.info });
    parentPort.on('message', (job) => {
      let response;
      try {
        response = engine.render(job.request);
      } catch (err) {
        parentPort.postMessage({ type: 'fatal', id: job.id, message: String((err && err.message) || err), output: err && err.goOutput });
        process.exit(1);
        return;
      }
      parentPort.postMessage({ type: 'result', id: job.id, response });
    });
  },
  (err) => {
    parentPort.postMessage({ type: 'fatal', message: String((err && err.stack) || err) });
    process.exit(1);
  },
);
`;

type WorkerMessage =
  | { type: 'ready'; info: string }
  | { type: 'result'; id: number; response: string }
  | { type: 'fatal'; id?: number; message: string; output?: string };

interface Job {
  id: number;
  request: string;
  resolve(response: string): void;
  reject(err: Error): void;
}

interface LiveWorker {
  worker: Worker;
  ready: Promise<string>;
}

/**
 * Runs renders one at a time in a worker thread. Each render has a deadline
 * measured from the moment the worker receives it; past it the worker is
 * terminated (CUE cannot be interrupted otherwise), the render fails with
 * CueTimeoutError, and a fresh worker takes the remaining queue.
 */
export class WorkerBackend implements Backend {
  private live: LiveWorker | undefined;
  private readonly queue: Job[] = [];
  private running: { job: Job; timer: ReturnType<typeof setTimeout> | undefined } | undefined;
  private nextId = 1;
  private startCount = 0;
  private closed = false;
  private lastInfo = '';

  private constructor(
    private readonly artifacts: WasmArtifacts,
    private readonly timeoutMs: number,
  ) {}

  static async start(artifacts: WasmArtifacts, timeoutMs: number): Promise<WorkerBackend> {
    const backend = new WorkerBackend(artifacts, timeoutMs);
    await backend.ensureWorker().ready;
    backend.idle();
    return backend;
  }

  get info(): string {
    return this.lastInfo;
  }

  get starts(): number {
    return this.startCount;
  }

  call(request: string): Promise<string> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(closedError());
    if (this.running) {
      clearTimeout(this.running.timer);
      this.running.job.reject(closedError());
      this.running = undefined;
    }
    const live = this.live;
    this.live = undefined;
    if (live) await live.worker.terminate();
  }

  private ensureWorker(): LiveWorker {
    if (this.live) return this.live;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        loaderSource: LOADER_SOURCE,
        module: this.artifacts.module,
        wasmExecSource: this.artifacts.wasmExecSource,
      },
      // The worker has no business with the parent's environment.
      env: {},
    });
    this.startCount++;
    let markReady!: (info: string) => void;
    let failStart!: (err: Error) => void;
    const ready = new Promise<string>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    // A start failure is reported through the job that waits for it.
    ready.catch(() => {});
    const live: LiveWorker = { worker, ready };
    worker.on('message', (msg: WorkerMessage) => {
      if (this.live !== live) return;
      if (msg.type === 'ready') {
        this.lastInfo = msg.info;
        markReady(msg.info);
      } else if (msg.type === 'result') {
        this.finish(msg.id, msg.response);
      } else {
        this.crash(live, Object.assign(new Error(msg.message), { goOutput: msg.output }));
        failStart(new Error(msg.message));
      }
    });
    worker.on('error', (err) => {
      if (this.live === live) this.crash(live, err);
      failStart(err);
    });
    worker.on('exit', (code) => {
      const err = new Error(`CUE worker exited with code ${code}`);
      if (this.live === live) this.crash(live, err);
      failStart(err);
    });
    this.live = live;
    return live;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) {
      this.idle();
      return;
    }
    // The job owns the worker from now on, even while the worker is starting.
    const running: { job: Job; timer: ReturnType<typeof setTimeout> | undefined } = { job, timer: undefined };
    this.running = running;
    const live = this.ensureWorker();
    live.worker.ref();
    live.ready.then(
      () => {
        if (this.running !== running || this.live !== live) return; // closed or crashed meanwhile
        running.timer = setTimeout(() => this.timeout(live), this.timeoutMs);
        live.worker.postMessage({ id: job.id, request: job.request });
      },
      (err: Error) => {
        if (this.running !== running) return;
        // A worker that cannot start fails the job waiting for it, so a broken
        // module cannot respawn workers forever.
        this.running = undefined;
        if (this.live === live) this.live = undefined;
        job.reject(crashedError(err));
        this.pump();
      },
    );
  }

  private finish(id: number, response: string): void {
    const running = this.running;
    if (!running || running.job.id !== id) return;
    clearTimeout(running.timer);
    this.running = undefined;
    running.job.resolve(response);
    this.pump();
  }

  private timeout(live: LiveWorker): void {
    const running = this.running;
    if (!running || this.live !== live) return;
    this.running = undefined;
    this.live = undefined;
    void live.worker.terminate();
    running.job.reject(new CueTimeoutError(this.timeoutMs));
    this.pump();
  }

  private crash(live: LiveWorker, err: Error): void {
    if (this.live !== live) return;
    this.live = undefined;
    void live.worker.terminate();
    const running = this.running;
    this.running = undefined;
    if (running) {
      clearTimeout(running.timer);
      running.job.reject(crashedError(err));
    }
    this.pump();
  }

  /** An idle worker must not keep the process alive. */
  private idle(): void {
    if (!this.running && this.queue.length === 0) this.live?.worker.unref();
  }
}

function closedError(): CueRenderError {
  return new CueRenderError('closed', { message: 'the CUE engine is closed' });
}

function crashedError(err: unknown): CueRenderError {
  const message = err instanceof Error ? err.message : String(err);
  const first = { message: `the CUE engine crashed: ${message}` };
  // Go's own report (stack traces of a fatal error), when it printed one.
  const output = (err as { goOutput?: unknown } | undefined)?.goOutput;
  return new CueRenderError(
    'crashed',
    first,
    typeof output === 'string' && output ? [first, { message: output }] : [first],
  );
}
