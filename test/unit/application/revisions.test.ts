// Component revisions: what they hold, the hash, naming and reuse, and the history limit.
import { ApplicationError } from '../../../controllers/application/errors.js';
import {
  chooseRevision,
  referencedRevisions,
  revisionData,
  revisionHash,
  revisionNumberFromName,
  revisionsToCollect,
} from '../../../controllers/application/revisions.js';
import { APP_UID, revision } from './fixtures.js';

const workload = (image: string, name = 'express-server') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'x', labels: { app: 'a' }, uid: 'u', resourceVersion: '9' },
  spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
  status: { replicas: 3 },
});

describe('revisionData and revisionHash', () => {
  test('keep apiVersion, kind, labels, annotations and spec; drop name, namespace and status', () => {
    expect(revisionData(workload('a'))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { labels: { app: 'a' } },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'a' }] } } },
    });
  });

  test('the hash ignores the workload name and key order, and follows the spec', () => {
    const a = revisionHash(revisionData(workload('a', 'express-server-v1')));
    const renamed = revisionHash(revisionData(workload('a', 'express-server-v2')));
    const reordered = revisionHash(
      revisionData({
        spec: workload('a').spec,
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { labels: { app: 'a' } },
      }),
    );
    expect(renamed).toBe(a);
    expect(reordered).toBe(a);
    expect(revisionHash(revisionData(workload('b')))).not.toBe(a);
  });
});

describe('chooseRevision', () => {
  test('the first revision of a component is <component>-v1, revision 1', () => {
    expect(
      chooseRevision({ component: 'express-server', hash: 'h1', appUid: APP_UID, revisions: [] }),
    ).toEqual({
      name: 'express-server-v1',
      number: 1,
      hash: 'h1',
    });
  });

  test('an equal spec reuses its revision; a new one gets N+1 after the highest', () => {
    const revisions = [
      revision('express-server-v1', { number: 1, hash: 'h1' }),
      revision('express-server-v3', { number: 3, hash: 'h3' }),
      revision('other-v7', { component: 'other', number: 7, hash: 'h9' }),
    ];
    const reused = chooseRevision({ component: 'express-server', hash: 'h1', appUid: APP_UID, revisions });
    expect(reused.name).toBe('express-server-v1');
    expect(reused.number).toBe(1);
    expect(reused.existing).toBe(revisions[0]);
    const fresh = chooseRevision({ component: 'express-server', hash: 'h4', appUid: APP_UID, revisions });
    expect(fresh).toEqual({ name: 'express-server-v4', number: 4, hash: 'h4' });
  });

  test('a revision with the same hash owned by another Application is not reused', () => {
    const revisions = [revision('express-server-v1', { number: 1, hash: 'h1', uid: 'someone-else' })];
    const decision = chooseRevision({ component: 'express-server', hash: 'h1', appUid: APP_UID, revisions });
    expect(decision.name).toBe('express-server-v2');
    expect(decision.existing).toBeUndefined();
  });

  test('numbering counts externally named revisions and skips names already taken', () => {
    const revisions = [
      revision('express-server-v1', { number: 1, hash: 'h1' }),
      revision('express-server-v2', { number: 5, hash: 'h2' }),
      revision('express-server-v6', { component: 'unrelated', number: 1, hash: 'hx' }),
    ];
    const decision = chooseRevision({ component: 'express-server', hash: 'h7', appUid: APP_UID, revisions });
    expect(decision).toEqual({ name: 'express-server-v7', number: 7, hash: 'h7' });
  });

  test('externalRevision names a new revision numbered after the highest', () => {
    const revisions = [revision('express-server-v1', { number: 1, hash: 'h1' })];
    expect(
      chooseRevision({
        component: 'express-server',
        externalRevision: 'release-a',
        hash: 'h2',
        appUid: APP_UID,
        revisions,
      }),
    ).toEqual({ name: 'release-a', number: 2, hash: 'h2' });
  });

  test('externalRevision of an existing revision with the same hash reuses it', () => {
    const revisions = [revision('express-server-v2', { number: 2, hash: 'h2' })];
    const decision = chooseRevision({
      component: 'express-server',
      externalRevision: 'express-server-v2',
      hash: 'h2',
      appUid: APP_UID,
      revisions,
    });
    expect(decision.name).toBe('express-server-v2');
    expect(decision.existing).toBe(revisions[0]);
  });

  test('externalRevision of an existing revision with another hash is a RevisionConflict', () => {
    const revisions = [revision('express-server-v2', { number: 2, hash: 'h2' })];
    const attempt = () =>
      chooseRevision({
        component: 'express-server',
        externalRevision: 'express-server-v2',
        hash: 'h3',
        appUid: APP_UID,
        revisions,
      });
    expect(attempt).toThrow(ApplicationError);
    expect(attempt).toThrow(
      /^component "express-server": externalRevision "express-server-v2" already exists with a different spec \(hash h2, this spec h3\)/,
    );
  });

  test('externalRevision naming another component or owner is a RevisionConflict', () => {
    const theirs = [revision('shared', { number: 1, hash: 'h', uid: 'other' })];
    expect(() =>
      chooseRevision({
        component: 'express-server',
        externalRevision: 'shared',
        hash: 'h',
        appUid: APP_UID,
        revisions: theirs,
      }),
    ).toThrow(/another owner/);
    const otherComponent = [revision('shared', { component: 'db', number: 1, hash: 'h' })];
    expect(() =>
      chooseRevision({
        component: 'express-server',
        externalRevision: 'shared',
        hash: 'h',
        appUid: APP_UID,
        revisions: otherComponent,
      }),
    ).toThrow(/revision of component "db"/);
  });

  test('revisionNumberFromName reads only <component>-v<N>', () => {
    expect(revisionNumberFromName('express-server-v12', 'express-server')).toBe(12);
    expect(revisionNumberFromName('express-server-v0', 'express-server')).toBeUndefined();
    expect(revisionNumberFromName('express-server-vx', 'express-server')).toBeUndefined();
    expect(revisionNumberFromName('other-v1', 'express-server')).toBeUndefined();
  });
});

describe('revision history', () => {
  const many = (count: number) =>
    Array.from({ length: count }, (_, i) =>
      revision(`express-server-v${i + 1}`, { number: i + 1, hash: `h${i + 1}` }),
    );

  test('nothing is collected within the limit', () => {
    expect(
      revisionsToCollect({ components: ['express-server'], owned: many(10), limit: 10, keep: new Set() }),
    ).toEqual([]);
  });

  test('the oldest beyond the limit are collected, skipping referenced ones', () => {
    const collected = revisionsToCollect({
      components: ['express-server'],
      owned: many(13),
      limit: 10,
      keep: new Set(['express-server-v1']),
    });
    expect(collected).toEqual(['express-server-v2', 'express-server-v3', 'express-server-v4']);
  });

  test('a fully referenced history is kept even beyond the limit', () => {
    const owned = many(3);
    expect(
      revisionsToCollect({
        components: ['express-server'],
        owned,
        limit: 1,
        keep: new Set(owned.map((r) => r.metadata.name)),
      }),
    ).toEqual([]);
  });

  test('every revision of a component the Application no longer has is collected', () => {
    const owned = [...many(2), revision('gone-v1', { component: 'gone', number: 1, hash: 'g' })];
    expect(revisionsToCollect({ components: ['express-server'], owned, limit: 10, keep: new Set() })).toEqual(
      ['gone-v1'],
    );
  });

  test('references come from Rollouts (spec and status) and workload revision labels', () => {
    const refs = referencedRevisions(
      [
        {
          spec: { targetRevisionName: 'a-v3', sourceRevisionName: 'a-v2' },
          status: { lastTargetRevision: 'a-v1' },
        },
        { status: { LastSourceRevision: 'a-v0' } },
      ],
      [{ metadata: { labels: { 'app.oam.dev/revision': 'a-v5' } } }, { metadata: {} }],
    );
    expect([...refs].sort()).toEqual(['a-v0', 'a-v1', 'a-v2', 'a-v3', 'a-v5']);
  });
});
