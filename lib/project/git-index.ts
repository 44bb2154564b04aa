/**
 * Git's index (`.git/index`, gitformat-index(5)) read without running git: the paths it tracks. A snapshot of the
 * work tree needs only which tracked files are gone and which paths are staged (git.ts), and starting git from Node
 * costs a third of `node -e 0` (loading child_process, forking Node, git itself), where reading a small index costs
 * next to nothing (`farm-bench`). Pure: the caller reads the bytes.
 */

export interface GitIndex {
  /** The entries git compares with the work tree: not skip-worktree (sparse checkout) nor assume-unchanged. */
  checkedOut: string[];
  /** Every path the index holds, as one digest: equal digests, the same paths staged. */
  pathsDigest: string;
}

/** SHA-1 object names: a repository of another object format sets an extension, and git is asked there. */
const HASH_BYTES = 20;
const FLAGS_AT = 40 + HASH_BYTES;
const ASSUME_UNCHANGED = 0x8000;
const EXTENDED = 0x4000;
const NAME_LENGTH = 0x0fff;
const SKIP_WORKTREE = 0x4000;

/**
 * The index's entries, or `undefined` for anything this reader does not take whole: another version, a required
 * extension (split index, sparse index), a truncated or malformed file. Git is asked there.
 */
export function parseGitIndex(bytes: Buffer): GitIndex | undefined {
  const checkedOut: string[] = [];
  const pathsDigest = walkIndex(bytes, (names, start, end) => checkedOut.push(names.toString('utf8', start, end)));
  return pathsDigest === undefined ? undefined : { checkedOut, pathsDigest };
}

/** `parseGitIndex`'s digest alone, without making a string of every path. */
export function gitIndexDigest(bytes: Buffer): string | undefined {
  return walkIndex(bytes);
}

/** The digest of the index's paths, handing each checked-out one to `onCheckedOut` as a range of bytes. */
function walkIndex(bytes: Buffer, onCheckedOut?: (names: Buffer, start: number, end: number) => void): string | undefined {
  if (bytes.length < 12 + HASH_BYTES || bytes.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = bytes.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = bytes.readUInt32BE(8);
  const end = bytes.length - HASH_BYTES;
  const digest = new PathsDigest();
  // Each name as a range of `names`: the index itself, or for version 4 (names built on the previous one) a copy.
  // No Buffer per entry: making one cost more than all the rest of an entry (10,000 entries in ~40 ms, cold).
  let names = bytes;
  let nameStart = 0;
  let nameEnd = 0;
  let built = Buffer.alloc(version === 4 ? 4096 : 0);
  let at = 12;
  for (let index = 0; index < count; index++) {
    if (at + FLAGS_AT + 4 > end) return undefined;
    const flags = (bytes[at + FLAGS_AT]! << 8) | bytes[at + FLAGS_AT + 1]!;
    const extended = (flags & EXTENDED) !== 0;
    if (extended && version < 3) return undefined;
    const extendedFlags = extended ? (bytes[at + FLAGS_AT + 2]! << 8) | bytes[at + FLAGS_AT + 3]! : 0;
    const nameAt = at + FLAGS_AT + 2 + (extended ? 2 : 0);
    if (version === 4) {
      // The name is the previous one less its last `strip` bytes, then what follows up to a NUL; no padding.
      const varint = readVarint(bytes, nameAt, end);
      if (!varint || varint.value > nameEnd) return undefined;
      const nul = bytes.indexOf(0, varint.next);
      if (nul === -1 || nul >= end) return undefined;
      const kept = nameEnd - varint.value;
      if (kept + nul - varint.next > built.length) built = Buffer.concat([built.subarray(0, kept)], 2 * (kept + nul - varint.next));
      nameEnd = kept + bytes.copy(built, kept, varint.next, nul);
      names = built;
      at = nul + 1;
    } else {
      const length = flags & NAME_LENGTH;
      const nul = length < NAME_LENGTH ? nameAt + length : bytes.indexOf(0, nameAt);
      if (nul === -1 || nul >= end || bytes[nul] !== 0) return undefined;
      nameStart = nameAt;
      nameEnd = nul;
      // Padded with 1 to 8 NULs to a multiple of 8 bytes from the entry's start.
      at += (nul - at + 8) & ~7;
    }
    digest.add(names, nameStart, nameEnd);
    if ((flags & ASSUME_UNCHANGED) === 0 && (extendedFlags & SKIP_WORKTREE) === 0) onCheckedOut?.(names, nameStart, nameEnd);
  }
  // Extensions: one whose signature starts with A-Z may be ignored; any other changes what the entries mean.
  while (at < end) {
    if (at + 8 > end) return undefined;
    const first = bytes[at]!;
    if (first < 0x41 || first > 0x5a) return undefined;
    at += 8 + bytes.readUInt32BE(at + 4);
  }
  if (at !== end) return undefined;
  return `${count}:${digest.value()}`;
}

/** Git's offset varint (varint.c): each further byte adds one before shifting, so no value has two spellings. */
function readVarint(bytes: Buffer, at: number, end: number): { value: number; next: number } | undefined {
  let byte = bytes[at++]!;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    if (at >= end || value > 0xffffff) return undefined;
    byte = bytes[at++]!;
    value = ((value + 1) << 7) + (byte & 0x7f);
  }
  return at > end ? undefined : { value, next: at };
}

/** FNV-1a over the names, each ended by a NUL: enough to tell that the set of staged paths changed. */
class PathsDigest {
  private hash = 0x811c9dc5;

  add(bytes: Buffer, start: number, end: number): void {
    let hash = this.hash;
    for (let index = start; index < end; index++) hash = Math.imul(hash ^ bytes[index]!, 0x01000193);
    this.hash = Math.imul(hash, 0x01000193);
  }

  value(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }
}
