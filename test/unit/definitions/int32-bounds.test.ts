// The API server stores 2^31 in a field declared `type: integer, format: int32` (the format is
// not enforced), and every reader of the object then fails or wraps the number. So every int32
// field of every CRD here carries explicit bounds within int32, the ones the API server does
// enforce, and its refusal names the field (`spec.maxReplicas in body should be less than or
// equal to 2147483647`). The addon ships copies of the same CRDs (deploy/generate.ts keeps them
// equal; `npm run check:deploy`).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

interface Schema {
  type?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  anyOf?: Schema[];
}

const dir = fileURLToPath(new URL('../../../definitions/crds/', import.meta.url));
const addonDir = fileURLToPath(new URL('../../../addons/rollscale/resources/', import.meta.url));

/** Every schema node under `schema` as `[dotted path, node]`. */
function walk(schema: Schema, path: string): Array<[string, Schema]> {
  const found: Array<[string, Schema]> = [[path, schema]];
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    found.push(...walk(child, `${path}.${name}`));
  if (typeof schema.additionalProperties === 'object')
    found.push(...walk(schema.additionalProperties, `${path}.*`));
  if (schema.items) found.push(...walk(schema.items, `${path}[]`));
  for (const [i, option] of (schema.anyOf ?? []).entries()) found.push(...walk(option, `${path}|${i}`));
  return found;
}

function int32Fields(file: string): Array<[string, Schema]> {
  const crd = parse(readFileSync(file, 'utf8')) as {
    spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
  };
  return crd.spec.versions.flatMap((v) =>
    walk(v.schema.openAPIV3Schema, v.name).filter(([, node]) => node.format === 'int32'),
  );
}

const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('int32 fields are bounded to int32', () => {
  test.each(files)('%s', (file) => {
    const unbounded = int32Fields(`${dir}${file}`)
      .filter(
        ([, node]) =>
          node.type !== 'integer' ||
          node.minimum === undefined ||
          node.maximum === undefined ||
          node.minimum < INT32_MIN ||
          node.maximum > INT32_MAX,
      )
      .map(([path]) => path);
    expect(unbounded).toEqual([]);
  });

  test('the IHPA replica fields are among them, and refuse 2^31', () => {
    const fields = new Map(
      int32Fields(`${dir}autoscaling.kapacitystack.io_intelligenthorizontalpodautoscalers.yaml`),
    );
    for (const path of [
      'v1alpha1.spec.minReplicas',
      'v1alpha1.spec.maxReplicas',
      'v1alpha1.spec.portraitProviders[].static.replicas',
      'v1alpha1.spec.portraitProviders[].cron.crons[].replicas',
      'v1alpha1.spec.portraitProviders[].priority',
    ]) {
      expect([path, fields.get(path)?.maximum]).toEqual([path, INT32_MAX]);
    }
    expect(fields.get('v1alpha1.spec.minReplicas')?.minimum).toBe(0);
    expect(fields.get('v1alpha1.spec.portraitProviders[].priority')?.minimum).toBe(INT32_MIN);
  });

  test('the addon ships the same CRDs', () => {
    for (const file of files.filter((f) => !f.startsWith('core.oam.dev'))) {
      const plural = (parse(readFileSync(`${dir}${file}`, 'utf8')) as { spec: { names: { plural: string } } })
        .spec.names.plural;
      expect([file, readFileSync(`${addonDir}crd-${plural}.yaml`, 'utf8')]).toEqual([
        file,
        readFileSync(`${dir}${file}`, 'utf8'),
      ]);
    }
  });
});
