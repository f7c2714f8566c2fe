// The one REST client every part of the controller talks to the API server through, so that every
// request is counted (`rest_client_requests_total`) and can be observed (tests count writes).
// Objects are plain JSON; resources are described by `ResourceDescriptor`s.

import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

import {
  ResourceMapper,
  apiVersionOf,
  groupVersionPath,
  type DiscoveryDocument,
  type ResourceDescriptor,
} from './discovery.js';
import type { RuntimeMetrics } from './metrics.js';
import type { ClusterAccess } from './cluster-access.js';
import type { ApiStatus, KubeObject } from './objects.js';
import { OwnWrites } from './own-writes.js';

export type Verb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'apply' | 'patch' | 'delete' | 'discovery';

const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'update', 'apply', 'patch', 'delete']);

export function isWriteVerb(verb: Verb): boolean {
  return WRITE_VERBS.has(verb);
}

/** One finished request (or one that failed before a response), as reported to observers. */
export interface RequestRecord {
  verb: Verb;
  method: string;
  host: string;
  /** Path and query string. */
  path: string;
  /** HTTP status, or 0 when no response arrived. */
  code: number;
  resource?: ResourceDescriptor;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type RequestObserver = (record: RequestRecord) => void;

// ---------------------------------------------------------------------------------------------
// Errors

const DEFAULT_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An error response from the API server: HTTP status, machine reason, and the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: ApiStatus;

  constructor(status: number, body: ApiStatus, context: string) {
    const reason = body.reason || DEFAULT_REASONS[status] || 'Unknown';
    super(`${context}: ${status} ${reason}: ${body.message ?? '(no message)'}`);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

/** 410 Gone: the requested resourceVersion is too old (a watch must relist). */
export class GoneError extends ApiError {
  constructor(body: ApiStatus, context: string) {
    super(410, body, context);
    this.name = 'GoneError';
  }
}

function apiErrorFrom(status: number, body: ApiStatus, context: string): ApiError {
  return status === 410 ? new GoneError(body, context) : new ApiError(status, body, context);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.reason !== 'AlreadyExists';
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409 && e.reason === 'AlreadyExists';
}
export function isGone(e: unknown): boolean {
  return e instanceof GoneError;
}

// ---------------------------------------------------------------------------------------------
// Transport: one HTTP exchange; the client above it owns paths, bodies, errors and accounting.

export interface TransportRequest {
  method: string;
  /** Path and query, appended to the cluster server URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Abort when the whole exchange takes longer (non-streaming requests). */
  timeoutMs?: number;
  /** Abort when the connection stays silent this long (watches). */
  idleTimeoutMs?: number;
}

export interface TransportResponse {
  status: number;
  body: AsyncIterable<Buffer | string>;
  /** Tears the connection down (ends a watch). */
  close(): void;
}

export interface Transport {
  /** `host[:port]` of the API server, the `host` metric label. */
  readonly host: string;
  /** Resolves when the response headers arrive. */
  send(request: TransportRequest): Promise<TransportResponse>;
}

/**
 * HTTP(S) to the current cluster of a ClusterAccess (cluster-access.ts, or a client-node
 * KubeConfig). Credentials (token, client certificate, exec plugin, basic auth) are applied per
 * request; connections are pooled in one keep-alive agent, rebuilt only when the TLS material
 * changes (rotated certificates).
 */
export class KubeConfigTransport implements Transport {
  readonly host: string;
  private readonly server: string;
  private readonly proxied: boolean;
  private pooled?: { fingerprint: string; agent: http.Agent };

  constructor(private readonly kubeConfig: ClusterAccess) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.host = new URL(this.server).host;
    this.proxied = Boolean(cluster.proxyUrl);
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const url = new URL(this.server + request.path);
    const options: https.RequestOptions = { method: request.method, headers: { ...request.headers } };
    await this.kubeConfig.applyToHTTPSOptions(options);
    if (!this.proxied) options.agent = this.agentFor(options, url.protocol === 'http:');
    const signals = [request.signal, request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined];
    const active = signals.filter((s): s is AbortSignal => s !== undefined);
    if (active.length > 0) options.signal = active.length === 1 ? active[0] : AbortSignal.any(active);
    const send = url.protocol === 'http:' ? http.request : https.request;
    return new Promise<TransportResponse>((resolve, reject) => {
      const req = send(url, options, (res) => {
        resolve({ status: res.statusCode ?? 0, body: res, close: () => req.destroy() });
      });
      req.on('error', reject);
      if (request.idleTimeoutMs) {
        req.setTimeout(request.idleTimeoutMs, () => req.destroy(new Error('connection idle timeout')));
      }
      if (request.body !== undefined) req.write(request.body);
      req.end();
    });
  }

  private agentFor(options: https.RequestOptions, plain: boolean): http.Agent {
    const hash = createHash('sha256');
    for (const part of [options.ca, options.cert, options.key, options.pfx, options.passphrase]) {
      hash.update(JSON.stringify(Buffer.isBuffer(part) ? part.toString('base64') : (part ?? null)));
    }
    hash.update(`${String(options.rejectUnauthorized)}|${options.servername ?? ''}|${plain}`);
    const fingerprint = hash.digest('hex');
    if (this.pooled?.fingerprint !== fingerprint) {
      this.pooled?.agent.destroy();
      const agent = plain
        ? new http.Agent({ keepAlive: true })
        : new https.Agent({
            keepAlive: true,
            ca: options.ca,
            cert: options.cert,
            key: options.key,
            pfx: options.pfx,
            passphrase: options.passphrase,
            rejectUnauthorized: options.rejectUnauthorized,
            servername: options.servername,
          });
      this.pooled = { fingerprint, agent };
    }
    return this.pooled.agent;
  }
}

// ---------------------------------------------------------------------------------------------
// The client

export interface ClientOptions {
  metrics?: RuntimeMetrics;
  observer?: RequestObserver;
  /** Timeout for every non-watch request; default 30 s. */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export interface ListOptions {
  /** Omit for all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; default 500. */
  limit?: number;
  signal?: AbortSignal;
}

export interface ListResult<T> {
  items: T[];
  /** The collection's resourceVersion, to start a watch from. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Default true. */
  allowWatchBookmarks?: boolean;
  /** Server-side watch duration; the stream then ends normally. */
  timeoutSeconds?: number;
  /** Aborting ends the stream without an error. */
  signal?: AbortSignal;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  /** Skips the apiVersion/kind lookup. */
  resource?: ResourceDescriptor;
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'json' | 'strategic';

export interface PatchOptions {
  namespace?: string;
  /** Default merge. */
  type?: PatchType;
  subresource?: string;
  fieldManager?: string;
}

export interface WriteOptions {
  namespace?: string;
  fieldManager?: string;
  subresource?: string;
  dryRun?: boolean;
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** autoscaling/v1 Scale, as served by the `scale` subresource. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas: number; selector?: string };
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};
const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';
const DEFAULT_PAGE_SIZE = 500;

interface Call {
  verb: Verb;
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  resource?: ResourceDescriptor;
  namespace?: string;
  name?: string;
  subresource?: string;
  signal?: AbortSignal;
  watch?: { idleTimeoutMs: number };
}

export class KubeClient {
  readonly mapper: ResourceMapper;
  /** Versions written by each controller (see own-writes.ts); filled by every successful write. */
  readonly ownWrites = new OwnWrites();
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;

  constructor(
    private readonly transport: Transport,
    private readonly options: ClientOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'rollscale-controller';
    this.mapper = new ResourceMapper(async (path) => {
      try {
        return await this.getPath<DiscoveryDocument>(path, 'discovery');
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    });
  }

  /** `kubeConfig`: a client-node KubeConfig, or a lighter ClusterAccess (cluster-access.ts). */
  static fromKubeConfig(kubeConfig: ClusterAccess, options: ClientOptions = {}): KubeClient {
    return new KubeClient(new KubeConfigTransport(kubeConfig), options);
  }

  get host(): string {
    return this.transport.host;
  }

  async get<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    name: string,
    namespace?: string,
    options: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.json<T>({
      verb: 'get',
      method: 'GET',
      path: resourcePath(resource, namespace, name, options.subresource),
      resource,
      namespace,
      name,
      subresource: options.subresource,
      signal: options.signal,
    });
  }

  /** Like `get`, but undefined when the object does not exist. */
  async tryGet<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(resource, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * Every object of `resource`, fetched in pages. When a continue token expires mid-way the list
   * restarts unpaged, so the result is always one consistent snapshot. Items get apiVersion and
   * kind filled in (the server omits them inside lists of built-in kinds).
   */
  async list<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    options: ListOptions = {},
  ): Promise<ListResult<T>> {
    try {
      return await this.listPaged<T>(resource, options, options.limit ?? DEFAULT_PAGE_SIZE);
    } catch (e) {
      if (!isGone(e)) throw e;
      return this.listPaged<T>(resource, options, undefined);
    }
  }

  private async listPaged<T extends KubeObject>(
    resource: ResourceDescriptor,
    options: ListOptions,
    limit: number | undefined,
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.json<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>({
        verb: 'list',
        method: 'GET',
        path: resourcePath(resource, options.namespace),
        query: {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit,
          continue: continueToken,
        },
        resource,
        namespace: options.namespace,
        signal: options.signal,
      });
      for (const item of page.items ?? []) items.push(withTypeMeta(item, resource));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  /**
   * Streams watch events. ERROR events and non-200 responses throw `ApiError` (`GoneError` for
   * 410: relist). The stream ends normally when the server closes it or `signal` aborts.
   */
  async *watch<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const timeoutSeconds = options.timeoutSeconds;
    const call: Call = {
      verb: 'watch',
      method: 'GET',
      path: resourcePath(resource, options.namespace),
      query: {
        watch: true,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds,
      },
      resource,
      namespace: options.namespace,
      signal: options.signal,
      // A connection that stays silent well past the server-side timeout is dead.
      watch: { idleTimeoutMs: ((timeoutSeconds ?? 1800) + 60) * 1000 },
    };
    let response: TransportResponse;
    try {
      response = await this.exchange(call);
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    }
    try {
      if (response.status !== 200) {
        throw apiErrorFrom(response.status, parseStatus(await readBody(response)), describe(call));
      }
      const decoder = new StringDecoder('utf8');
      let buffered = '';
      for await (const chunk of response.body) {
        buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line) yield parseWatchLine<T>(line, call);
        }
      }
      const rest = (buffered + decoder.end()).trim();
      if (rest) yield parseWatchLine<T>(rest, call);
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    } finally {
      response.close();
    }
  }

  async create<T extends KubeObject>(
    resource: ResourceDescriptor,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    const namespace = options.namespace ?? obj.metadata?.namespace;
    return this.json<T>({
      verb: 'create',
      method: 'POST',
      path: resourcePath(resource, namespace, undefined, undefined, true),
      query: { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined },
      body: obj,
      resource,
      namespace,
      name: obj.metadata?.name,
    });
  }

  /** PUT; with metadata.resourceVersion set this is a compare-and-swap (409 on conflict). */
  async update<T extends KubeObject>(
    resource: ResourceDescriptor,
    obj: T,
    options: WriteOptions = {},
  ): Promise<T> {
    const namespace = options.namespace ?? obj.metadata?.namespace;
    const name = requireName(obj);
    return this.json<T>({
      verb: 'update',
      method: 'PUT',
      path: resourcePath(resource, namespace, name, options.subresource),
      query: { fieldManager: options.fieldManager, dryRun: options.dryRun ? 'All' : undefined },
      body: obj,
      resource,
      namespace,
      name,
      subresource: options.subresource,
    });
  }

  /** Server-side apply of `obj` (JSON is valid YAML, so the body is the object as JSON). */
  async apply<T extends KubeObject>(obj: T, options: ApplyOptions): Promise<T> {
    return this.serverSideApply(obj, options, undefined);
  }

  /** Server-side apply to the status subresource. */
  async applyStatus<T extends KubeObject>(obj: T, options: ApplyOptions): Promise<T> {
    return this.serverSideApply(obj, options, 'status');
  }

  private async serverSideApply<T extends KubeObject>(
    obj: T,
    options: ApplyOptions,
    subresource: string | undefined,
  ): Promise<T> {
    const resource = options.resource ?? (await this.mapper.resourceForObject(obj));
    const name = requireName(obj);
    const namespace = obj.metadata?.namespace;
    return this.json<T>({
      verb: 'apply',
      method: 'PATCH',
      path: resourcePath(resource, namespace, name, subresource),
      query: {
        fieldManager: options.fieldManager,
        force: options.force ? true : undefined,
        dryRun: options.dryRun ? 'All' : undefined,
      },
      body: obj,
      contentType: APPLY_CONTENT_TYPE,
      resource,
      namespace,
      name,
      subresource,
    });
  }

  /** Merge patch (default), JSON patch (an array of operations) or strategic merge patch. */
  async patch<T extends KubeObject = KubeObject>(
    resource: ResourceDescriptor,
    name: string,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const type = options.type ?? 'merge';
    if (type === 'json' && !Array.isArray(patch)) throw new Error('a JSON patch is an array of operations');
    return this.json<T>({
      verb: 'patch',
      method: 'PATCH',
      path: resourcePath(resource, options.namespace, name, options.subresource),
      query: { fieldManager: options.fieldManager },
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      resource,
      namespace: options.namespace,
      name,
      subresource: options.subresource,
    });
  }

  async delete(resource: ResourceDescriptor, name: string, options: DeleteOptions = {}): Promise<void> {
    const body =
      options.propagationPolicy || options.preconditions || options.gracePeriodSeconds !== undefined
        ? {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            propagationPolicy: options.propagationPolicy,
            preconditions: options.preconditions,
            gracePeriodSeconds: options.gracePeriodSeconds,
          }
        : undefined;
    await this.json<unknown>({
      verb: 'delete',
      method: 'DELETE',
      path: resourcePath(resource, options.namespace, name),
      body,
      resource,
      namespace: options.namespace,
      name,
    });
  }

  async getScale(resource: ResourceDescriptor, name: string, namespace?: string): Promise<Scale> {
    return this.get<Scale>(resource, name, namespace, { subresource: 'scale' });
  }

  /** Sets spec.replicas through the scale subresource (works for any scalable kind). */
  async patchScale(
    resource: ResourceDescriptor,
    name: string,
    namespace: string | undefined,
    replicas: number,
  ) {
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`invalid replica count ${replicas}`);
    return this.patch<Scale>(resource, name, { spec: { replicas } }, { namespace, subresource: 'scale' });
  }

  /** GET of an arbitrary API path (discovery documents, /version). */
  async getPath<T = unknown>(path: string, verb: Verb = 'get'): Promise<T> {
    return this.json<T>({ verb, method: 'GET', path });
  }

  // -------------------------------------------------------------------------------------------

  private async json<T>(call: Call): Promise<T> {
    const response = await this.exchange(call);
    let text: string;
    try {
      text = await readBody(response);
    } finally {
      response.close();
    }
    if (response.status < 200 || response.status >= 300) {
      throw apiErrorFrom(response.status, parseStatus(text), describe(call));
    }
    const result = (text ? JSON.parse(text) : undefined) as T;
    if (call.verb !== 'delete' && isWriteVerb(call.verb) && call.query?.dryRun === undefined) {
      this.ownWrites.record(result);
    }
    return result;
  }

  /** Sends `call` and does the accounting once the status is known (or the request failed). */
  private async exchange(call: Call): Promise<TransportResponse> {
    const path = call.path + queryString(call.query);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.userAgent };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['Content-Type'] = call.contentType ?? 'application/json';
      // Explicit length: Node sends a DELETE body unframed otherwise, and the server then reads it
      // as the start of the next request on the kept-alive connection.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    let code = 0;
    try {
      const response = await this.transport.send({
        method: call.method,
        path,
        headers,
        body,
        signal: call.signal,
        timeoutMs: call.watch ? undefined : this.requestTimeoutMs,
        idleTimeoutMs: call.watch?.idleTimeoutMs,
      });
      code = response.status;
      return response;
    } finally {
      this.record(call, path, code);
    }
  }

  private record(call: Call, path: string, code: number): void {
    this.options.metrics?.restClientRequests.inc({
      code: code === 0 ? '<error>' : String(code),
      method: call.method,
      host: this.transport.host,
    });
    const observer = this.options.observer;
    if (!observer) return;
    try {
      observer({
        verb: call.verb,
        method: call.method,
        host: this.transport.host,
        path,
        code,
        resource: call.resource,
        namespace: call.namespace,
        name: call.name,
        subresource: call.subresource,
      });
    } catch {
      // An observer is diagnostics; it must never break a request.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** URL path of a collection, an object, or an object's subresource. */
export function resourcePath(
  resource: ResourceDescriptor,
  namespace?: string,
  name?: string,
  subresource?: string,
  requireNamespace = name !== undefined,
): string {
  let path = groupVersionPath(resource.group, resource.version);
  if (resource.namespaced) {
    if (namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    else if (requireNamespace) throw new Error(`${resource.kind} is namespaced: a namespace is required`);
  }
  path += `/${resource.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

function queryString(query: Call['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function withTypeMeta<T extends KubeObject>(item: T, resource: ResourceDescriptor): T {
  if (item.apiVersion && item.kind) return item;
  return { ...item, apiVersion: item.apiVersion ?? apiVersionOf(resource), kind: item.kind ?? resource.kind };
}

function requireName(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind ?? 'object'} has no metadata.name`);
  return name;
}

async function readBody(response: TransportResponse): Promise<string> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for await (const chunk of response.body) text += typeof chunk === 'string' ? chunk : decoder.write(chunk);
  return text + decoder.end();
}

function parseStatus(text: string): ApiStatus {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed as ApiStatus;
  } catch {
    // Not JSON (a proxy's error page, say): keep the start of the text as the message.
  }
  return { message: text.slice(0, 500) || undefined };
}

function parseWatchLine<T>(line: string, call: Call): WatchEvent<T> {
  const event = JSON.parse(line) as { type?: string; object?: unknown };
  if (event.type === 'ERROR') {
    const status = (event.object ?? {}) as ApiStatus;
    throw apiErrorFrom(status.code ?? 500, status, describe(call));
  }
  if (
    event.type !== 'ADDED' &&
    event.type !== 'MODIFIED' &&
    event.type !== 'DELETED' &&
    event.type !== 'BOOKMARK'
  ) {
    throw new Error(`${describe(call)}: unexpected watch event type ${String(event.type)}`);
  }
  return { type: event.type, object: event.object as T };
}

function describe(call: Call): string {
  const what = call.resource
    ? `${call.resource.resource}${call.subresource ? `/${call.subresource}` : ''}` +
      (call.name ? ` ${call.namespace ? `${call.namespace}/` : ''}${call.name}` : '')
    : call.path;
  return `${call.verb} ${what}`;
}
