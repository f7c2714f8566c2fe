/**
 * Kubernetes resource quantities ("300m", "1.5", "64Mi", "2e3") as exact integer milli-units,
 * the unit the HPA arithmetic works in. Fractions of a milli-unit round up, as Kubernetes'
 * `MilliValue()` does.
 */

/** A quantity as written in a manifest, or a plain number in base units (1 = one core). */
export type Quantity = string | number;

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const QUANTITY_PATTERN =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const DECIMAL_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_EXPONENT: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Division rounding toward positive infinity. */
function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator > 0n ? quotient + 1n : quotient;
}

/**
 * The quantity in milli-units, exactly (`"300m"` → 300n, `1.5` → 1500n, `"1Ki"` → 1024000n).
 * @throws QuantityError for text that is not a Kubernetes quantity.
 */
export function quantityToMilli(quantity: Quantity): bigint {
  let text: string;
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity)) throw new QuantityError(`invalid quantity ${quantity}`);
    text = String(quantity);
  } else {
    text = quantity.trim();
  }
  const match = QUANTITY_PATTERN.exec(text);
  if (match === null) throw new QuantityError(`invalid quantity "${text}"`);
  const [, sign, number, suffix, exponent] = match as unknown as [string, string, string, string?, string?];

  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0');
  // Milli-units: one extra factor of 10^3 on top of the written decimal exponent.
  let decimalExponent = 3 - fraction.length;
  if (suffix !== undefined && suffix in BINARY_EXPONENT) {
    numerator *= 1n << BigInt(BINARY_EXPONENT[suffix] as number);
  } else if (suffix !== undefined) {
    decimalExponent += DECIMAL_EXPONENT[suffix] as number;
  } else if (exponent !== undefined) {
    decimalExponent += Number(exponent);
  }
  let denominator = 1n;
  if (decimalExponent >= 0) numerator *= 10n ** BigInt(decimalExponent);
  else denominator = 10n ** BigInt(-decimalExponent);

  // Rounding toward positive infinity: up for positive values, toward zero for negative ones.
  return sign === '-' ? -(numerator / denominator) : ceilDiv(numerator, denominator);
}
