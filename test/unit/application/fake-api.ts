// A small in-memory API server for reconciler tests: server-side apply (stored as sent, with
// uid/resourceVersion/generation filled in), dry runs, status, Events, gets and deletes. Every
// request is recorded, so tests can count writes. Informer caches are filled from it on demand
// (`syncInto`), standing in for watches catching up.
import type { RecordedRequest, FakeReply } from '../kit/fake-transport.js';

export type { RecordedRequest, FakeReply };

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

function statusReply(code: number, reason: string, message: string): FakeReply {
  return {
    status: code,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message },
  };
}

/** `/apis/g/v/namespaces/ns/plural/name[/status]` → its parts. */
function parsePath(path: string): { collection: string; name?: string; subresource?: string } {
  const parts = path.split('/').filter(Boolean);
  const nsIndex = parts.indexOf('namespaces');
  const pluralIndex = nsIndex >= 0 ? nsIndex + 2 : parts[0] === 'api' ? 2 : 3;
  const collection = `/${parts.slice(0, pluralIndex + 1).join('/')}`;
  return { collection, name: parts[pluralIndex + 1], subresource: parts[pluralIndex + 2] };
}

export class FakeApi {
  /** collection path → name → object */
  readonly objects = new Map<string, Map<string, StoredObject>>();
  private version = 100;
  private uids = 0;
  /** Return a reply to refuse an apply (dry run included), e.g. a 422. */
  reject?: (obj: StoredObject) => FakeReply | undefined;

  put(collection: string, obj: StoredObject): StoredObject {
    const stored = structuredClone(obj);
    stored.metadata.uid ??= `uid-${++this.uids}`;
    stored.metadata.resourceVersion = String(++this.version);
    stored.metadata.generation ??= 1;
    const items = this.objects.get(collection) ?? new Map<string, StoredObject>();
    items.set(stored.metadata.name, stored);
    this.objects.set(collection, items);
    return stored;
  }

  get(collection: string, name: string): StoredObject | undefined {
    return this.objects.get(collection)?.get(name);
  }

  list(collection: string): StoredObject[] {
    return [...(this.objects.get(collection)?.values() ?? [])];
  }

  handle = (request: RecordedRequest): FakeReply => {
    const { collection, name, subresource } = parsePath(request.path);
    const existing = name ? this.get(collection, name) : undefined;
    const body = request.body as StoredObject | undefined;
    switch (request.method) {
      case 'GET':
        return existing ? { body: existing } : statusReply(404, 'NotFound', `${name} not found`);
      case 'POST': {
        if (!body) return statusReply(400, 'BadRequest', 'no body');
        return { status: 201, body: this.put(collection, body) };
      }
      case 'DELETE': {
        if (!existing || !name) return statusReply(404, 'NotFound', `${name} not found`);
        this.objects.get(collection)?.delete(name);
        return { body: { kind: 'Status', status: 'Success' } };
      }
      case 'PATCH': {
        if (!name || !body) return statusReply(400, 'BadRequest', 'no body');
        const isApply = request.headers['Content-Type'] === 'application/apply-patch+yaml';
        if (!isApply) {
          // Merge patch (Event counts, an Application's finalizers): shallow is enough here.
          if (!existing) return statusReply(404, 'NotFound', `${name} not found`);
          const patched = body.metadata as StoredObject['metadata'] | undefined;
          const metadata =
            patched?.['finalizers'] !== undefined
              ? { ...existing.metadata, finalizers: patched['finalizers'] }
              : existing.metadata;
          return { body: this.put(collection, { ...existing, ...body, metadata }) };
        }
        if (subresource === 'status') {
          if (!existing) return statusReply(404, 'NotFound', `${name} not found`);
          return { body: this.put(collection, { ...existing, status: body['status'] }) };
        }
        const refused = this.reject?.(body);
        if (refused) return refused;
        const metadata = {
          ...body.metadata,
          uid: existing?.metadata.uid,
          generation: existing ? (existing.metadata.generation ?? 1) + 1 : 1,
        };
        const next = { ...body, metadata, ...(existing?.['status'] ? { status: existing['status'] } : {}) };
        if (request.query.get('dryRun') === 'All') return { status: existing ? 200 : 201, body: next };
        return { status: existing ? 200 : 201, body: this.put(collection, next) };
      }
      default:
        return statusReply(405, 'MethodNotAllowed', request.method);
    }
  };
}
