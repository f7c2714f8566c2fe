// Lengths of time as the algorithm's flags write them: Kapacity's / pandas' forms (`24H`, `7D`,
// `10min`, `30T`, `90S`, a bare unit meaning one of it) and Go durations (`10m`, `1h30m`, `1d`).

import { parseDuration } from '../../controllers/metrics/duration.js';

const PANDAS_UNIT_MS: Readonly<Record<string, number>> = {
  D: 86_400_000,
  H: 3_600_000,
  min: 60_000,
  T: 60_000,
  S: 1000,
};

/** Milliseconds in `text`; throws an Error naming the text when it is neither form. */
export function parsePeriod(text: string): number {
  const trimmed = text.trim();
  const pandas = /^(\d*)\s*(D|H|min|T|S)$/.exec(trimmed);
  if (pandas) {
    const count = pandas[1] === '' ? 1 : Number(pandas[1]);
    return count * (PANDAS_UNIT_MS[pandas[2] as string] as number);
  }
  try {
    return parseDuration(trimmed);
  } catch {
    throw new Error(`invalid length of time ${JSON.stringify(text)} (e.g. 24H, 7D, 10min, 90s, 1h30m)`);
  }
}
