// Small pure helpers of the kit: clock, labels, flags, object keys, bind addresses.

import { FakeClock, sleep } from '../../../controllers/kit/clock.js';
import { FlagError, parseFlags, type FlagDefinition } from '../../../controllers/kit/flags.js';
import { parseBindAddress } from '../../../controllers/kit/health.js';
import { matchesSelector, parseSelector, selectorToString } from '../../../controllers/kit/labels.js';
import {
  formatMicroTime,
  formatTime,
  objectKey,
  parseApiVersion,
  splitKey,
} from '../../../controllers/kit/objects.js';
import { flush } from './fake-transport.js';

describe('FakeClock', () => {
  it('fires due timers in due order, ties in scheduling order, with now() at each due time', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now().getTime()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now().getTime()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now().getTime()}`), 20);
    clock.setTimeout(() => fired.push('late'), 31);
    clock.advance(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now().getTime()).toBe(30);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerIn()).toBe(1);
  });

  it('fires timers scheduled by a firing timer within the same advance, and honours cancel', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now().getTime()), 5), 5);
    const cancelled = clock.setTimeout(() => fired.push(-1), 7);
    cancelled.cancel();
    clock.advance(10);
    expect(fired).toEqual([10]);
    expect(() => clock.advance(-1)).toThrow();
  });

  it('sleep resolves on the clock, or early on abort', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    void sleep(clock, 100).then(() => (woke = true));
    clock.advance(99);
    await flush();
    expect(woke).toBe(false);
    clock.advance(1);
    await flush();
    expect(woke).toBe(true);

    const abort = new AbortController();
    let aborted = false;
    void sleep(clock, 1000, abort.signal).then(() => (aborted = true));
    abort.abort();
    await flush();
    expect(aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'app.oam.dev/name': 'shop' };

  it('parses and matches the string form', () => {
    expect(matchesSelector(labels, '')).toBe(true);
    expect(matchesSelector(labels, 'app=web')).toBe(true);
    expect(matchesSelector(labels, 'app==web,tier=front')).toBe(true);
    expect(matchesSelector(labels, 'app!=web')).toBe(false);
    expect(matchesSelector(labels, 'missing!=x')).toBe(true);
    expect(matchesSelector(labels, 'tier in (back, front)')).toBe(true);
    expect(matchesSelector(labels, 'tier notin (back,front)')).toBe(false);
    expect(matchesSelector(labels, 'app.oam.dev/name')).toBe(true);
    expect(matchesSelector(labels, '!canary')).toBe(true);
    expect(matchesSelector(labels, '!app')).toBe(false);
    expect(matchesSelector(undefined, 'app')).toBe(false);
    expect(() => parseSelector('a in (b')).toThrow(/unbalanced/);
    expect(() => parseSelector('a b c')).toThrow(/cannot parse/);
  });

  it('matches the structured form and renders it as a string that means the same', () => {
    const selector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In' as const, values: ['front', 'edge'] },
        { key: 'canary', operator: 'DoesNotExist' as const },
      ],
    };
    expect(matchesSelector(labels, selector)).toBe(true);
    expect(matchesSelector({ ...labels, canary: 'y' }, selector)).toBe(false);
    expect(matchesSelector(labels, {})).toBe(true);
    const text = selectorToString(selector);
    expect(text).toBe('app=web,tier in (front,edge),!canary');
    expect(matchesSelector(labels, text)).toBe(true);
    expect(matchesSelector({ ...labels, tier: 'back' }, text)).toBe(false);
  });
});

describe('parseFlags', () => {
  const spec = {
    install: { type: 'boolean', default: false, help: '' },
    'leader-elect': { type: 'boolean', default: true, help: '' },
    'metrics-addr': { type: 'string', default: '127.0.0.1:8080', help: '' },
    workers: { type: 'integer', default: 1, min: 1, help: '' },
  } satisfies Record<string, FlagDefinition>;

  it('returns defaults and accepts every boolean and value spelling', () => {
    expect(parseFlags([], spec)).toEqual({
      install: false,
      'leader-elect': true,
      'metrics-addr': '127.0.0.1:8080',
      workers: 1,
    });
    expect(
      parseFlags(['--install', '--leader-elect=false', '--metrics-addr', ':9090', '--workers=4'], spec),
    ).toEqual({ install: true, 'leader-elect': false, 'metrics-addr': ':9090', workers: 4 });
    expect(parseFlags(['--no-leader-elect'], spec)['leader-elect']).toBe(false);
  });

  it('rejects unknown flags, missing values, bad integers and bad booleans', () => {
    expect(() => parseFlags(['--nope'], spec)).toThrow(FlagError);
    expect(() => parseFlags(['--metrics-addr'], spec)).toThrow(/needs a value/);
    expect(() => parseFlags(['--workers=two'], spec)).toThrow(/integer/);
    expect(() => parseFlags(['--workers=0'], spec)).toThrow(/at least 1/);
    expect(() => parseFlags(['--install=maybe'], spec)).toThrow(/true or false/);
    expect(() => parseFlags(['stray'], spec)).toThrow(/unexpected argument/);
  });
});

describe('object helpers', () => {
  it('keys objects by namespace/name and splits keys back', () => {
    expect(objectKey({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
    expect(objectKey({ metadata: { name: 'n1' } })).toBe('n1');
    expect(splitKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(splitKey('n1')).toEqual({ name: 'n1' });
    expect(() => splitKey('a/b/c')).toThrow(/malformed/);
    expect(() => splitKey('/a')).toThrow(/malformed/);
    expect(() => objectKey({ metadata: {} })).toThrow(/no metadata.name/);
  });

  it('parses apiVersions and formats API timestamps', () => {
    expect(parseApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' });
    expect(parseApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    const t = new Date('2024-05-01T10:00:00.123Z');
    expect(formatTime(t)).toBe('2024-05-01T10:00:00Z');
    expect(formatMicroTime(t)).toBe('2024-05-01T10:00:00.123000Z');
  });

  it('parses bind addresses', () => {
    expect(parseBindAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseBindAddress(':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(parseBindAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseBindAddress('0')).toBeUndefined();
    expect(() => parseBindAddress('localhost')).toThrow(/host:port/);
    expect(() => parseBindAddress('h:70000')).toThrow(/invalid port/);
  });
});
