import { FakeClock } from '../../../controllers/kit/clock.js';
import {
  ExponentialBackoffRateLimiter,
  WorkQueue,
  type QueueMetrics,
} from '../../../controllers/kit/queue.js';
import { flush } from './fake-transport.js';

function settled<T>(promise: Promise<T>): { done: () => boolean; value: () => T | undefined } {
  let done = false;
  let value: T | undefined;
  void promise.then((v) => {
    done = true;
    value = v;
  });
  return { done: () => done, value: () => value };
}

describe('WorkQueue', () => {
  let clock: FakeClock;
  let queue: WorkQueue;

  beforeEach(() => {
    clock = new FakeClock();
    queue = new WorkQueue({ clock });
  });

  it('deduplicates keys that are queued and hands them out in order', async () => {
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.len()).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(queue.len()).toBe(0);
  });

  it('hands out low-priority keys only when no normal key is ready', async () => {
    queue.add('ns/low1', { lowPriority: true });
    queue.add('ns/a');
    queue.add('ns/low2', { lowPriority: true });
    queue.add('ns/b');
    expect(queue.len()).toBe(4);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(await queue.get()).toBe('ns/low1');
    expect(await queue.get()).toBe('ns/low2');
    expect(queue.len()).toBe(0);
  });

  it('promotes a low-priority key on a normal add, and hands it out once', async () => {
    queue.add('ns/a');
    queue.add('ns/low', { lowPriority: true });
    queue.add('ns/b');
    queue.add('ns/low');
    queue.add('ns/low', { lowPriority: true });
    expect(queue.len()).toBe(3);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(await queue.get()).toBe('ns/low');
    expect(queue.len()).toBe(0);
    queue.add('ns/c', { lowPriority: true });
    expect(await queue.get()).toBe('ns/c');
  });

  it('requeues a key re-added while processing in the lane its adds asked for', async () => {
    queue.add('ns/a');
    expect(await queue.get()).toBe('ns/a');
    queue.add('ns/a', { lowPriority: true });
    queue.add('ns/b');
    queue.done('ns/a');
    expect(await queue.get()).toBe('ns/b');
    expect(await queue.get()).toBe('ns/a');
    queue.add('ns/a', { lowPriority: true });
    queue.add('ns/a');
    queue.add('ns/z', { lowPriority: true });
    queue.done('ns/a');
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/z');
  });

  it('never hands a key being processed to a second worker', async () => {
    queue.add('ns/a');
    const first = await queue.get();
    expect(first).toBe('ns/a');

    queue.add('ns/a');
    expect(queue.len()).toBe(0);
    const second = settled(queue.get());
    await flush();
    expect(second.done()).toBe(false);

    queue.done('ns/a');
    await flush();
    expect(second.done()).toBe(true);
    expect(second.value()).toBe('ns/a');
  });

  it('queues a key re-added while processing exactly once after done', async () => {
    queue.add('ns/a');
    await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.done('ns/a');
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('ns/a');
    queue.done('ns/a');
    expect(queue.len()).toBe(0);
  });

  it('does not requeue a key on done when it was not re-added', async () => {
    queue.add('ns/a');
    await queue.get();
    queue.done('ns/a');
    expect(queue.len()).toBe(0);
    expect(queue.inFlight()).toBe(0);
  });

  it('hands a key added later to a waiting worker', async () => {
    const waiting = settled(queue.get());
    await flush();
    expect(waiting.done()).toBe(false);
    queue.add('ns/x');
    await flush();
    expect(waiting.value()).toBe('ns/x');
    expect(queue.len()).toBe(0);
  });

  it('adds a key after the addAfter delay on the clock', () => {
    queue.addAfter('ns/a', 100);
    expect(queue.len()).toBe(0);
    clock.advance(99);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(1);
  });

  it('keeps the earliest of several delays for one key and adds it once', async () => {
    queue.addAfter('ns/a', 100);
    queue.addAfter('ns/a', 50);
    queue.addAfter('ns/a', 80);
    expect(queue.pendingDelayed()).toBe(1);
    clock.advance(50);
    expect(queue.len()).toBe(1);
    expect(await queue.get()).toBe('ns/a');
    queue.done('ns/a');
    clock.advance(100);
    expect(queue.len()).toBe(0);
  });

  it('treats a non-positive delay as an immediate add', () => {
    queue.addAfter('ns/a', 0);
    expect(queue.len()).toBe(1);
  });

  it('backs off per key through the rate limiter on the clock', () => {
    queue.addRateLimited('ns/a');
    queue.addRateLimited('ns/b');
    clock.advance(4);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(queue.len()).toBe(2);
    expect(queue.numRequeues('ns/a')).toBe(1);

    queue.addRateLimited('ns/a'); // second failure: 10 ms
    expect(queue.numRequeues('ns/a')).toBe(2);
    queue.forget('ns/a');
    expect(queue.numRequeues('ns/a')).toBe(0);
    expect(queue.numRequeues('ns/b')).toBe(1);
  });

  it('releases every waiting worker on shutdown and ignores later adds', async () => {
    const w1 = settled(queue.get());
    const w2 = settled(queue.get());
    queue.addAfter('ns/later', 1000);
    queue.shutDown();
    await flush();
    expect(w1.done() && w2.done()).toBe(true);
    expect(w1.value()).toBeUndefined();
    expect(w2.value()).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);

    queue.add('ns/a');
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(queue.isShuttingDown()).toBe(true);
  });

  it('lets a worker finish its key after shutdown without requeueing it', async () => {
    queue.add('ns/a');
    await queue.get();
    queue.add('ns/a');
    queue.shutDown();
    queue.done('ns/a');
    expect(queue.len()).toBe(0);
    expect(queue.inFlight()).toBe(0);
  });

  it('reports depth, adds, retries and durations to its metrics hooks', async () => {
    const seen = {
      depth: [] as number[],
      added: 0,
      retried: 0,
      waited: [] as number[],
      worked: [] as number[],
    };
    const metrics: QueueMetrics = {
      depth: (n) => seen.depth.push(n),
      added: () => seen.added++,
      retried: () => seen.retried++,
      waited: (s) => seen.waited.push(s),
      worked: (s) => seen.worked.push(s),
    };
    const q = new WorkQueue({ clock, metrics });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(seen.added).toBe(2);
    expect(seen.depth.at(-1)).toBe(2);
    clock.advance(1500);
    expect(await q.get()).toBe('ns/a');
    expect(seen.waited).toEqual([1.5]);
    clock.advance(250);
    q.done('ns/a');
    expect(seen.worked).toEqual([0.25]);
    q.addRateLimited('ns/a');
    q.addAfter('ns/c', 10);
    expect(seen.retried).toBe(2);
    expect(seen.depth.at(-1)).toBe(1);
  });
});

describe('ExponentialBackoffRateLimiter', () => {
  it('doubles from 5 ms per failure of a key', () => {
    const limiter = new ExponentialBackoffRateLimiter();
    expect([1, 2, 3, 4, 5].map(() => limiter.when('k'))).toEqual([5, 10, 20, 40, 80]);
    expect(limiter.when('other')).toBe(5);
  });

  it('caps the delay at 1000 s', () => {
    const limiter = new ExponentialBackoffRateLimiter();
    const delays = Array.from({ length: 40 }, () => limiter.when('k'));
    // 5 ms · 2^17 = 655.36 s is the last uncapped step; 2^18 would exceed 1000 s.
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[39]).toBe(1_000_000);
    expect(Math.max(...delays)).toBe(1_000_000);
  });

  it('starts over after forget', () => {
    const limiter = new ExponentialBackoffRateLimiter();
    limiter.when('k');
    limiter.when('k');
    limiter.forget('k');
    expect(limiter.numRequeues('k')).toBe(0);
    expect(limiter.when('k')).toBe(5);
  });

  it('does not overflow for huge failure counts', () => {
    const limiter = new ExponentialBackoffRateLimiter(5, 1000);
    let last = 0;
    for (let i = 0; i < 2000; i++) last = limiter.when('k');
    expect(last).toBe(1000);
  });
});
