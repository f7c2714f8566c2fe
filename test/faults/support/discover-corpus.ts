// Development aid (not a test): applies every corpus file to a fresh namespace of the shared
// cluster with the controllers running, waits, and prints what happened to each object, so a
// case's header can be written from what was observed (and judged right or wrong).
//   tsx test/faults/support/discover-corpus.ts [seconds]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startController } from '../../e2e/controller-process.js';
import { repoRoot } from '../../e2e/support.js';
import { expand } from './corpus.js';
import { randomSuffix, sharedKube, sleep } from './kube.js';
import { IHPA_TARGET } from './healthy.js';

const kube = sharedKube();
const dir = join(repoRoot, 'test', 'fixtures', 'bad');
const waitSeconds = Number(process.argv[2] ?? 60);
const ns = `bad-disc-${randomSuffix()}`;
await kube.kubectlOk(['create', 'namespace', ns]);
await kube.kubectlOk([
  'apply',
  '--server-side',
  '--force-conflicts',
  '-f',
  join(repoRoot, 'definitions', 'generated'),
]);
await kube.kubectlOk(['apply', '-n', ns, '-f', '-'], IHPA_TARGET);
const controller = await startController({
  controllers: ['application', 'rollout', 'ihpa', 'replicaprofile'],
  namespace: ns,
});
console.log(`namespace ${ns}, controller pid ${controller.pid}`);
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()) {
  const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8')).filter((d) => d.contents !== null);
  for (const doc of docs) {
    const res = await kube.kubectl(
      ['apply', '--server-side', '--force-conflicts', '-n', ns, '-f', '-'],
      expand(doc.toString()),
    );
    const kind = String(doc.get('kind'));
    console.log(
      `${file} ${kind} -> ${res.code === 0 ? 'accepted' : 'REFUSED ' + res.stderr.trim().slice(0, 400)}`,
    );
  }
}
await sleep(waitSeconds * 1000);
const events = JSON.parse(await kube.kubectlOk(['get', 'events', '-n', ns, '-o', 'json'])) as {
  items: {
    type: string;
    reason: string;
    message: string;
    count?: number;
    involvedObject: { kind: string; name: string };
  }[];
};
for (const e of events.items)
  console.log(
    `EVENT ${e.involvedObject.kind}/${e.involvedObject.name} ${e.type} ${e.reason} x${e.count ?? 1}: ${e.message.slice(0, 300)}`,
  );
for (const kind of [
  'applications.core.oam.dev',
  'rollouts.standard.oam.dev',
  'intelligenthorizontalpodautoscalers.autoscaling.kapacitystack.io',
]) {
  const list = JSON.parse(await kube.kubectlOk(['get', kind, '-n', ns, '-o', 'json'])) as {
    items: {
      kind: string;
      metadata: { name: string };
      status?: Record<string, unknown> & {
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
    }[];
  };
  for (const o of list.items) {
    const s = o.status ?? {};
    console.log(`OBJ ${o.kind}/${o.metadata.name} phase=${String(s.status ?? s.rollingState ?? '')}`);
    for (const c of s.conditions ?? [])
      console.log(`   ${c.type}=${c.status} ${c.reason}: ${(c.message ?? '').slice(0, 300)}`);
  }
}
const healthz = await fetch(`${controller.url}/healthz`);
console.log(`healthz ${healthz.status}; controller alive ${controller.child.exitCode === null}`);
console.log(
  controller
    .output()
    .split('\n')
    .filter((l) => /"level":"(error|warn)"/.test(l))
    .slice(-40)
    .join('\n'),
);
await controller.stop();
await kube.kubectl(['delete', 'namespace', ns, '--wait=false']);
process.exit(0);
