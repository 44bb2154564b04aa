/**
 * Synthetic values in the shapes of real ones, from a seeded generator: the same corpus on every run, and no value
 * that was ever issued by anyone. Built at run time so that no scanner takes this folder for a leak.
 */

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = DIGITS + LOWER + UPPER;

export interface Synthetic {
  pick(alphabet: string, length: number): string;
  digits(length: number): string;
  hex(length: number): string;
  lower(length: number): string;
  upperAlnum(length: number): string;
  lowerAlnum(length: number): string;
  alnum(length: number): string;
  /** Standard base64 characters, no padding. */
  base64(length: number): string;
  /** URL-safe base64 characters, no padding. */
  base64url(length: number): string;
  /** RFC 4648 base32, as in AWS ids and Azure DevOps tokens. */
  base32(length: number): string;
  /** The bech32 alphabet, as in age keys. */
  bech32(length: number): string;
  uuid(): string;
  /** A password a person might choose: letters, digits and one symbol. */
  password(): string;
}

/** mulberry32: small, fast and good enough to look random; a fixed seed gives a fixed corpus. */
export function synthetic(seed: number): Synthetic {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (alphabet: string, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(next() * alphabet.length));
    return out;
  };
  const hex = (length: number) => pick('0123456789abcdef', length);
  return {
    pick,
    digits: (length) => pick(DIGITS, length),
    hex,
    lower: (length) => pick(LOWER, length),
    upperAlnum: (length) => pick(UPPER + DIGITS, length),
    lowerAlnum: (length) => pick(LOWER + DIGITS, length),
    alnum: (length) => pick(ALNUM, length),
    base64: (length) => pick(ALNUM + '+/', length),
    base64url: (length) => pick(ALNUM + '-_', length),
    base32: (length) => pick(UPPER + '234567', length),
    bech32: (length) => pick('QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L', length),
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
    password: () => `${pick(UPPER, 1)}${pick(LOWER, 5)}${pick(DIGITS, 3)}${pick('!#%^*+?', 1)}${pick(LOWER, 2)}`,
  };
}
