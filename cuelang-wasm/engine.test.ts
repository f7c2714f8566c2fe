// Exercises the wasm engine end to end. Needs cuelang-wasm/dist/cue.wasm:
// `npm test` builds it first (`npm run build:wasm`); when it is missing,
// createCueEngine fails with a message saying so.

import { readFileSync } from 'node:fs';

import {
  CueRenderError,
  CueTimeoutError,
  createCueEngine,
  type CueEngine,
  type JsonObject,
} from './index.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const webservice = fixture('webservice.cue');
const rollout = fixture('rollout.cue');

const seedContext: JsonObject = {
  name: 'express-server',
  namespace: 'default',
  appName: 'rollout-trait-test',
  appRevision: 'rollout-trait-test-v1',
  revision: 'express-server-v1',
};

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in fixture`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before[before.length - 1] as string).length + 1 };
}

async function renderError(promise: Promise<unknown>): Promise<CueRenderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CueRenderError) return err;
    throw err;
  }
  throw new Error('expected the render to fail');
}

const SLOW = 60_000;

describe('cue wasm engine (worker)', () => {
  let cue: CueEngine;

  beforeAll(async () => {
    cue = await createCueEngine();
  }, SLOW);

  afterAll(async () => {
    await cue?.close();
  });

  it('reports the CUE release it embeds', () => {
    const info = cue.info();
    expect(info.cueVersion).toMatch(/^v0\.\d+\.\d+/);
    expect(info.isolation).toBe('worker');
    expect(info.allowedImports).toContain('strings');
    expect(info.allowedImports).not.toContain('tool/exec');
  });

  it('renders the webservice Deployment from parameter.image, context.name and context.revision', async () => {
    const result = await cue.render(webservice, {
      parameter: { image: 'stefanprodan/podinfo:4.0.3' },
      context: seedContext,
    });
    const labels = {
      'app.oam.dev/name': 'rollout-trait-test',
      'app.oam.dev/component': 'express-server',
      'app.oam.dev/revision': 'express-server-v1',
    };
    expect(result.output).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'express-server', labels },
      spec: {
        selector: {
          matchLabels: {
            'app.oam.dev/name': 'rollout-trait-test',
            'app.oam.dev/component': 'express-server',
          },
        },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'express-server', image: 'stefanprodan/podinfo:4.0.3' }] },
        },
      },
    });
    expect(result.outputs).toEqual({});
    expect(result.patch).toBeUndefined();
    expect(result.patchKeys).toEqual({});
  });

  it('keeps field order as written in the template', async () => {
    const result = await cue.render(webservice, { parameter: { image: 'nginx' }, context: seedContext });
    expect(Object.keys(result.output ?? {})).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('renders auxiliary outputs: a Service for exposed ports', async () => {
    const result = await cue.render(webservice, {
      parameter: { image: 'nginx', ports: [{ port: 80, expose: true }, { port: 9090 }] },
      context: seedContext,
    });
    expect(result.outputs).toEqual({
      service: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'express-server' },
        spec: {
          selector: { 'app.oam.dev/component': 'express-server' },
          ports: [{ port: 80, targetPort: 80, name: 'port-80' }],
          type: 'ClusterIP',
        },
      },
    });
    const containers = (result.output?.['spec'] as { template: { spec: { containers: JsonObject[] } } })
      .template.spec.containers;
    expect(containers[0]?.['ports']).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'port-80' },
      { containerPort: 9090, protocol: 'TCP', name: 'port-9090' },
    ]);
  });

  it('renders the rollout trait of the seed Application into outputs.rollout', async () => {
    const parameter = { targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] };
    const result = await cue.render(rollout, { parameter, context: seedContext });
    expect(result.output).toBeUndefined();
    expect(result.outputs['rollout']).toEqual({
      apiVersion: 'standard.oam.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'express-server', namespace: 'default' },
      spec: {
        targetRevisionName: 'express-server-v1',
        componentName: 'express-server',
        rolloutPlan: {
          rolloutStrategy: 'IncreaseFirst',
          targetSize: 5,
          rolloutBatches: [{ replicas: 2 }, { replicas: 3 }],
        },
      },
    });

    const rollback = await cue.render(rollout, {
      parameter: { ...parameter, targetRevision: 'express-server-v1', batchPartition: 0 },
      context: { ...seedContext, revision: 'express-server-v2' },
    });
    const spec = rollback.outputs['rollout']?.['spec'] as JsonObject;
    expect(spec['targetRevisionName']).toBe('express-server-v1');
    expect((spec['rolloutPlan'] as JsonObject)['batchPartition']).toBe(0);
  });

  it('renders a patch and reports its +patchKey and +patchStrategy annotations by path', async () => {
    const template = `
patch: spec: template: spec: {
	// +patchKey=name
	containers: [{
		name: context.name
		// +patchKey=name
		env: [{name: "LOG_LEVEL", value: parameter.level}]
	}]
	// +patchStrategy=retainKeys
	strategy: type: "Recreate"
}
parameter: level: *"info" | "debug"
`;
    const result = await cue.render(template, { parameter: { level: 'debug' }, context: seedContext });
    expect(result.patch).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'express-server', env: [{ name: 'LOG_LEVEL', value: 'debug' }] }],
            strategy: { type: 'Recreate' },
          },
        },
      },
    });
    expect(result.patchKeys).toEqual({
      'spec.template.spec.containers': 'name',
      'spec.template.spec.containers[].env': 'name',
    });
    expect(result.patchStrategies).toEqual({ 'spec.template.spec.strategy': 'retainKeys' });
  });

  it('points a parameter type conflict at the parameter declaration', async () => {
    const err = await renderError(cue.render(webservice, { parameter: { image: 42 }, context: seedContext }));
    const declared = positionOf(webservice, 'image: string');
    expect(err.kind).toBe('eval');
    expect(err.path).toBe('parameter.image');
    expect(err.file).toBe('template');
    expect(err.line).toBe(declared.line);
    expect(err.column).toBe(declared.column + 'image: '.length);
    expect(err.cueMessage).toMatch(/conflicting values/);
    expect(err.message).toContain(`parameter.image: `);
    expect(err.message).toContain(`line ${declared.line}`);
  });

  it('reports a failed parameter constraint', async () => {
    const err = await renderError(
      cue.render(webservice, {
        parameter: { image: 'nginx', ports: [{ port: 70000 }] },
        context: seedContext,
      }),
    );
    expect(err.kind).toBe('eval');
    expect(err.path).toBe('parameter.ports.0.port');
    expect(err.line).toBe(positionOf(webservice, 'port:     int').line);
  });

  it('reports a syntax error with line and column', async () => {
    const err = await renderError(cue.render('output: {\n  replicas: 1\n  image: \n}\n', {}));
    expect(err.kind).toBe('syntax');
    expect([err.line, err.column]).toEqual([4, 1]);
  });

  it('refuses tool/exec, module paths and non-whitelisted packages', async () => {
    const exec = await renderError(cue.render('import "tool/exec"\n\noutput: {}\n', {}));
    expect(exec.kind).toBe('import');
    expect(exec.message).toMatch(/"tool\/exec" is not allowed: tool packages perform I\/O/);
    expect([exec.line, exec.column]).toEqual([1, 8]);

    const module = await renderError(cue.render('import "github.com/acme/defs"\noutput: defs.x\n', {}));
    expect(module.kind).toBe('import');
    expect(module.message).toMatch(/modules and registries are not supported/);

    const net = await renderError(cue.render('import "net"\noutput: {}\n', {}));
    expect(net.kind).toBe('import');
  });

  it('evaluates whitelisted standard packages', async () => {
    const result = await cue.render(
      'import (\n\t"strings"\n\t"encoding/base64"\n)\noutput: {name: strings.ToUpper(context.name), b64: base64.Encode(null, "hi")}\n',
      { context: seedContext },
    );
    expect(result.output).toEqual({ name: 'EXPRESS-SERVER', b64: 'aGk=' });
  });

  it('reports a non-concrete output value with its path and position', async () => {
    const template = 'output: {\n\tkind: "Deployment"\n\tspec: replicas: int\n}\n';
    const err = await renderError(cue.render(template, {}));
    expect(err.kind).toBe('incomplete');
    expect(err.path).toBe('output.spec.replicas');
    expect([err.line, err.column]).toEqual([3, 18]);
  });

  it('rejects templates over the size cap before evaluating them', async () => {
    const err = await renderError(cue.render(`output: {}\n${'// padding\n'.repeat(30_000)}`, {}));
    expect(err.kind).toBe('limit');
    expect(err.message).toMatch(/more than the 262144 allowed/);
  });

  it('evaluates healthPolicy and customStatus against the live workload', async () => {
    const snippets = {
      healthPolicy: fixture('webservice.health.cue'),
      customStatus: fixture('webservice.status.cue'),
    };
    const live = (ready?: number): JsonObject => ({
      ...seedContext,
      output: { spec: { replicas: 3 }, status: ready === undefined ? {} : { readyReplicas: ready } },
    });
    expect(await cue.evalStatus(snippets, { context: live(2) })).toEqual({
      isHealth: false,
      message: 'Ready:2/3',
    });
    expect(await cue.evalStatus(snippets, { context: live(3) })).toEqual({
      isHealth: true,
      message: 'Ready:3/3',
    });
    expect(await cue.evalStatus(snippets, { context: live() })).toEqual({
      isHealth: false,
      message: 'Ready:0/3',
    });

    const inline = await cue.evalStatus(
      { healthPolicy: 'isHealth: context.output.status.readyReplicas == context.output.spec.replicas' },
      { context: live(3) },
    );
    expect(inline).toEqual({ isHealth: true });
  });

  it('evaluates the rollout trait status from context.outputs', async () => {
    const snippets = {
      healthPolicy: fixture('rollout.health.cue'),
      customStatus: fixture('rollout.status.cue'),
    };
    const context = {
      ...seedContext,
      outputs: { rollout: { status: { batchRollingState: 'batchReady', rollingState: 'rolloutSucceed' } } },
    };
    expect(await cue.evalStatus(snippets, { context })).toEqual({
      isHealth: true,
      message: 'rolloutSucceed',
    });
  });

  it('fails a status snippet that reads a missing live field', async () => {
    const err = await renderError(
      cue.evalStatus(
        { healthPolicy: 'isHealth: context.output.status.readyReplicas > 0' },
        { context: { output: {} } },
      ),
    );
    expect(err.kind).toBe('incomplete');
    expect(err.file).toBe('healthPolicy');
    expect(err.line).toBe(1);
  });
});

describe('render cache', () => {
  let cue: CueEngine;

  beforeAll(async () => {
    cue = await createCueEngine({ cacheSize: 2 });
  }, SLOW);

  afterAll(async () => {
    await cue?.close();
  });

  it('returns the same frozen object for the same inputs without calling wasm again', async () => {
    const input = { parameter: { image: 'nginx:1' }, context: seedContext };
    const first = await cue.render(webservice, input);
    const callsAfterFirst = cue.stats().wasmCalls;
    const second = await cue.render(webservice, {
      parameter: { image: 'nginx:1' },
      context: { ...seedContext },
    });
    expect(second).toBe(first);
    expect(cue.stats().wasmCalls).toBe(callsAfterFirst);
    expect(cue.stats().cacheHits).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(first.output?.['metadata'])).toBe(true);
    expect(() => {
      (first.output as JsonObject)['kind'] = 'StatefulSet';
    }).toThrow(TypeError);

    const other = await cue.render(webservice, { parameter: { image: 'nginx:2' }, context: seedContext });
    expect(other).not.toBe(first);
    expect(cue.stats().wasmCalls).toBe(callsAfterFirst + 1);
  });

  it('shares one evaluation between concurrent identical renders', async () => {
    const before = cue.stats().wasmCalls;
    const input = { parameter: { image: 'nginx:concurrent' }, context: seedContext };
    const [a, b] = await Promise.all([cue.render(webservice, input), cue.render(webservice, input)]);
    expect(a).toBe(b);
    expect(cue.stats().wasmCalls).toBe(before + 1);
  });

  it('evicts the least recently used entry beyond its capacity', async () => {
    const render = (image: string) => cue.render(webservice, { parameter: { image }, context: seedContext });
    await render('a');
    await render('b');
    await render('a'); // a is now the most recent
    await render('c'); // evicts b
    const before = cue.stats().wasmCalls;
    await render('a');
    expect(cue.stats().wasmCalls).toBe(before);
    await render('b');
    expect(cue.stats().wasmCalls).toBe(before + 1);
  });

  it('keeps evalStatus results in a cache of their own, so they never evict renders', async () => {
    const input = { parameter: { image: 'nginx:kept' }, context: seedContext };
    const first = await cue.render(webservice, input);
    const policy = { healthPolicy: 'isHealth: context.output.status.readyReplicas == 1' };
    for (const ready of [0, 1, 2]) {
      await cue.evalStatus(policy, {
        context: { ...seedContext, output: { status: { readyReplicas: ready } } },
      });
    }
    const before = cue.stats().wasmCalls;
    expect(await cue.render(webservice, input)).toBe(first);
    expect(cue.stats().wasmCalls).toBe(before);
    // Repeated statuses are served from their cache.
    await cue.evalStatus(policy, { context: { ...seedContext, output: { status: { readyReplicas: 2 } } } });
    expect(cue.stats().wasmCalls).toBe(before);
  });

  it('caches deterministic errors too', async () => {
    const before = cue.stats().wasmCalls;
    const first = await renderError(cue.render('output: {', {}));
    const second = await renderError(cue.render('output: {', {}));
    expect(second).toBe(first);
    expect(cue.stats().wasmCalls).toBe(before + 1);
  });
});

describe('runaway templates', () => {
  let cue: CueEngine;

  beforeAll(async () => {
    cue = await createCueEngine({ timeoutMs: 2000, cacheSize: 0 });
  }, SLOW);

  afterAll(async () => {
    await cue?.close();
  });

  it(
    'stops a render at the deadline, replaces the worker and keeps serving',
    async () => {
      // 2.5 billion comprehension steps in constant memory: hours of CPU.
      const runaway = `import "list"
n: 50000
output: count: len([for i in list.Range(0, n, 1) for j in list.Range(0, n, 1) if i*j < 0 {i}])
`;
      const ahead = cue.render(webservice, { parameter: { image: 'ahead' }, context: seedContext });
      const stopped = renderError(cue.render(runaway, {}));
      const behind = cue.render(webservice, { parameter: { image: 'behind' }, context: seedContext });

      const err = await stopped;
      expect(err).toBeInstanceOf(CueTimeoutError);
      expect(err.kind).toBe('timeout');
      // Served by the first worker before the runaway, and by its replacement after it.
      expect((await ahead).output?.['kind']).toBe('Deployment');
      expect((await behind).output?.['kind']).toBe('Deployment');

      const afterwards = await cue.render(webservice, {
        parameter: { image: 'nginx' },
        context: seedContext,
      });
      expect(afterwards.output?.['kind']).toBe('Deployment');
      expect(cue.stats().engineStarts).toBe(2);
    },
    SLOW,
  );
});

describe('engine set-up', () => {
  it(
    'runs inline with the same results as in a worker',
    async () => {
      const inline = await createCueEngine({ isolation: 'inline' });
      try {
        const result = await inline.render(webservice, {
          parameter: { image: 'nginx' },
          context: seedContext,
        });
        expect(result.output?.['metadata']).toEqual(
          expect.objectContaining({ name: 'express-server' }) as unknown as JsonObject,
        );
        expect(inline.info().isolation).toBe('inline');
      } finally {
        await inline.close();
      }
    },
    SLOW,
  );

  it('says how to build the engine when cue.wasm is missing', async () => {
    await expect(createCueEngine({ wasmPath: '/nonexistent/cue.wasm' })).rejects.toThrow(
      /npm run build:wasm/,
    );
  });

  it(
    'rejects renders after close',
    async () => {
      const cue = await createCueEngine();
      await cue.close();
      const err = await renderError(
        cue.render(webservice, { parameter: { image: 'nginx' }, context: seedContext }),
      );
      expect(err.kind).toBe('closed');
    },
    SLOW,
  );
});
