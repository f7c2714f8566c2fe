// A minimal DER (ASN.1 Distinguished Encoding Rules) encoder: exactly the types an X.509 v3
// certificate needs. Node can create keys and signatures and parse certificates, but not build
// one; this fills that gap without a dependency or an external `openssl` process.

export type Der = Buffer;

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A tag-length-value with `tag` as the full identifier octet. */
export function tlv(tag: number, content: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export function sequence(...items: Der[]): Der {
  return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Der[]): Der {
  return tlv(0x31, Buffer.concat(items));
}

export function boolean(value: boolean): Der {
  return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/** INTEGER from unsigned big-endian bytes (a leading zero is added when the top bit is set). */
export function unsignedInteger(bytes: Buffer): Der {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let content = bytes.subarray(start);
  if (content.length === 0) content = Buffer.from([0]);
  if ((content[0] as number) & 0x80) content = Buffer.concat([Buffer.from([0]), content]);
  return tlv(0x02, content);
}

export function smallInteger(value: number): Der {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new Error(`unsupported integer ${value}`);
  return unsignedInteger(Buffer.from([value >> 8, value & 0xff]));
}

/** OBJECT IDENTIFIER from dotted form (`2.5.4.3`). */
export function oid(dotted: string): Der {
  const arcs = dotted.split('.').map((a) => {
    const n = Number(a);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid OID ${dotted}`);
    return n;
  });
  if (arcs.length < 2) throw new Error(`invalid OID ${dotted}`);
  const bytes: number[] = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [];
    let n = arc;
    do {
      base128.unshift(n % 128);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < base128.length - 1; i++) base128[i] = (base128[i] as number) | 0x80;
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

export function utf8String(text: string): Der {
  return tlv(0x0c, Buffer.from(text, 'utf8'));
}

export function octetString(content: Buffer): Der {
  return tlv(0x04, content);
}

/** BIT STRING whose content is whole bytes (signatures, key identifiers). */
export function bitString(content: Buffer, unusedBits = 0): Der {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), content]));
}

/**
 * A named-bit-list BIT STRING (KeyUsage): bit 0 is the most significant bit of the first byte,
 * trailing zero bits are dropped as DER requires.
 */
export function namedBits(bits: readonly number[]): Der {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits)
    bytes[Math.floor(bit / 8)] = (bytes[Math.floor(bit / 8)] as number) | (0x80 >> (bit % 8));
  return bitString(bytes, 7 - (highest % 8));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 requires; second precision, UTC. */
export function time(date: Date): Der {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

/** [n] EXPLICIT wrapping of a constructed value. */
export function explicit(tagNumber: number, inner: Der): Der {
  return tlv(0xa0 | tagNumber, inner);
}

/** [n] IMPLICIT primitive (e.g. GeneralName dNSName [2], iPAddress [7], keyIdentifier [0]). */
export function implicitPrimitive(tagNumber: number, content: Buffer): Der {
  return tlv(0x80 | tagNumber, content);
}
