// A rollout trait's batch value outside int-or-percent: CUE refuses it as an "empty disjunction";
// the Application's error names the component, the trait, the field as users write it
// (rolloutBatches[i].replicas) and the rule the value breaks, in the batch engine's words.
// Needs cuelang-wasm/dist/cue.wasm (`npm run build:wasm`).
import { createCueEngine, type CueEngine } from '../../../cuelang-wasm/index.js';
import { ApplicationError } from '../../../controllers/application/errors.js';
import { parameterField } from '../../../controllers/application/parameter-errors.js';
import { renderComponent } from '../../../controllers/application/render.js';
import type { ApplicationComponent, JsonObject } from '../../../controllers/application/types.js';
import { intOrPercentProblem } from '../../../controllers/engine/index.js';
import { application, environment } from './fixtures.js';

let engine: CueEngine;
beforeAll(async () => {
  engine = await createCueEngine({ isolation: 'inline' });
});
afterAll(async () => {
  await engine.close();
});

async function renderFailure(batches: JsonObject[]): Promise<ApplicationError> {
  const component: ApplicationComponent = {
    name: 'web',
    type: 'webservice',
    properties: { image: 'nginx:1.27' },
    traits: [{ type: 'rollout', properties: { targetSize: 4, rolloutBatches: batches } }],
  };
  try {
    await renderComponent(application([component]), component, environment(engine));
  } catch (error) {
    if (error instanceof ApplicationError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}

describe('int-or-percent batch values refused by the rollout trait', () => {
  test('"150%": the component, the field and "a percentage must be between 0% and 100%"', async () => {
    const error = await renderFailure([{ replicas: 1 }, { replicas: '150%' }]);
    expect(error.reason).toBe('RenderError');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'component "web": trait "rollout": rolloutBatches[1].replicas is 150%, a percentage must be between 0% and 100%',
    );
    expect(error.message).not.toMatch(/disjunction/);
  });

  test.each([
    [{ replicas: -1 }, 'rolloutBatches[0].replicas is -1, it must not be negative'],
    [
      { replicas: '5' },
      'rolloutBatches[0].replicas is "5" is neither an integer nor a percentage like "20%"',
    ],
    [{ replicas: 2.5 }, 'rolloutBatches[0].replicas is 2.5 is not a whole number'],
    [
      { replicas: true },
      'rolloutBatches[0].replicas is true, it must be a whole number or a percentage like "20%"',
    ],
    [{ replicas: '-5%' }, 'rolloutBatches[0].replicas is -5%, it must not be negative'],
    [
      { replicas: '007%' },
      'rolloutBatches[0].replicas is "007%", it must be a whole number of at least 0 or a percentage from "0%" to "100%"',
    ],
    [
      { replicas: 1, maxUnavailable: '101%' },
      'rolloutBatches[0].maxUnavailable is 101%, a percentage must be between 0% and 100%',
    ],
  ])('%j', async (batch, reason) => {
    const error = await renderFailure([batch as JsonObject]);
    expect(error.message).toBe(`component "web": trait "rollout": ${reason}`);
  });

  test("other disjunctions keep CUE's message", async () => {
    const component: ApplicationComponent = {
      name: 'web',
      type: 'webservice',
      properties: { image: 'nginx:1.27' },
      traits: [
        {
          type: 'ihpa',
          properties: {
            maxReplicas: 3,
            scaleMode: 'Sometimes',
            portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 1 } }],
          },
        },
      ],
    };
    const error = await renderComponent(application([component]), component, environment(engine)).then(
      () => undefined,
      (e: unknown) => e as ApplicationError,
    );
    expect(error?.message).toMatch(/^component "web": trait "ihpa": parameter\.scaleMode: /);
  });
});

describe('helpers', () => {
  test('parameter paths read as users write them', () => {
    expect(parameterField('parameter.rolloutBatches.1.replicas')).toBe('rolloutBatches[1].replicas');
    expect(parameterField('parameter.a.0.b.12')).toBe('a[0].b[12]');
    expect(parameterField('parameter.targetSize')).toBe('targetSize');
  });

  test('the engine describes one value', () => {
    expect(intOrPercentProblem('f', '100%')).toBeUndefined();
    expect(intOrPercentProblem('f', 0)).toBeUndefined();
    expect(intOrPercentProblem('f', '150%')).toBe('f is 150%, a percentage must be between 0% and 100%');
    expect(intOrPercentProblem('f', null)).toBe(
      'f is null, it must be a whole number or a percentage like "20%"',
    );
  });
});
