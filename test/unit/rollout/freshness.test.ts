import { isNewerVersion, WriteMemory } from '../../../controllers/rollout/freshness.js';
import type { KubeObject } from '../../../controllers/kit/objects.js';

const obj = (
  resourceVersion: string,
  uid = 'u1',
  replicas = 1,
): KubeObject & { spec: { replicas: number } } => ({
  metadata: { name: 'w', resourceVersion, uid },
  spec: { replicas },
});

describe('isNewerVersion', () => {
  it('compares the decimal revisions the API server hands out, beyond 2^53', () => {
    expect(isNewerVersion('101', '99')).toBe(true);
    expect(isNewerVersion('99', '101')).toBe(false);
    expect(isNewerVersion('100', '100')).toBe(false);
    expect(isNewerVersion('9007199254740993', '9007199254740992')).toBe(true);
  });

  it('trusts the cache when versions are not decimal, and an empty cache is behind any write', () => {
    expect(isNewerVersion('abc', '1')).toBe(false);
    expect(isNewerVersion('5', 'xyz')).toBe(false);
    expect(isNewerVersion('5', '')).toBe(true);
  });
});

describe('WriteMemory', () => {
  it('stands in for the cache until the informer has seen the write', () => {
    const memory = new WriteMemory<KubeObject>();
    memory.wrote('Deployment/ns/w', obj('120', 'u1', 5));
    expect(memory.view('Deployment/ns/w', obj('100'), '110')).toEqual({
      object: obj('120', 'u1', 5),
      behind: true,
    });
    // The informer moved past the write: the cache is the truth again and the entry is dropped.
    expect(memory.view('Deployment/ns/w', obj('120', 'u1', 5), '120')).toEqual({
      object: obj('120', 'u1', 5),
      behind: false,
    });
    expect(memory.size).toBe(0);
  });

  it('stands in for an object the cache has not seen created yet', () => {
    const memory = new WriteMemory<KubeObject>();
    memory.wrote('Deployment/ns/w', obj('50'));
    expect(memory.view('Deployment/ns/w', undefined, '40')).toEqual({ object: obj('50'), behind: true });
  });

  it('hides a deleted object until the cache drops it', () => {
    const memory = new WriteMemory<KubeObject>();
    memory.deleted('Deployment/ns/w', 'u1');
    expect(memory.view('Deployment/ns/w', obj('10', 'u1'), '10')).toEqual({
      object: undefined,
      behind: true,
    });
    // A new object of the same name (another UID) is seen as it is.
    expect(memory.view('Deployment/ns/w', obj('11', 'u2'), '11')).toEqual({
      object: obj('11', 'u2'),
      behind: false,
    });
  });

  it('forgets by prefix', () => {
    const memory = new WriteMemory<KubeObject>();
    memory.wrote('Rollout/ns/a', obj('1'));
    memory.wrote('Rollout/other/a', obj('1'));
    memory.forget('Rollout/ns/');
    expect(memory.size).toBe(1);
  });

  it('keeps at most `limit` entries, dropping the oldest', () => {
    const memory = new WriteMemory<KubeObject>(2);
    memory.wrote('a', obj('1'));
    memory.wrote('b', obj('1'));
    memory.wrote('c', obj('1'));
    expect(memory.size).toBe(2);
    expect(memory.view('a', undefined, '0')).toEqual({ object: undefined, behind: false });
    expect(memory.view('c', undefined, '0').behind).toBe(true);
  });
});
