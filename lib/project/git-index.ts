/**
 * Git's index (`.git/index`, gitformat-index(5)) read without running git: the paths it tracks. A session start
 * needs only which tracked files are gone from the work tree, and starting git from Node costs a third of
 * `node -e 0` (loading child_process, forking Node, git itself), where reading a small index costs next to nothing
 * (`farm-bench`). Pure: the caller reads the bytes.
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
  if (bytes.length < 12 + HASH_BYTES || bytes.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = bytes.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = bytes.readUInt32BE(8);
  const end = bytes.length - HASH_BYTES;
  const checkedOut: string[] = [];
  const digest = new PathsDigest();
  let previous: Buffer = Buffer.alloc(0);
  let at = 12;
  for (let index = 0; index < count; index++) {
    if (at + FLAGS_AT + 2 > end) return undefined;
    const flags = bytes.readUInt16BE(at + FLAGS_AT);
    const extended = (flags & EXTENDED) !== 0;
    if (extended && version < 3) return undefined;
    const extendedFlags = extended ? bytes.readUInt16BE(at + FLAGS_AT + 2) : 0;
    const nameAt = at + FLAGS_AT + 2 + (extended ? 2 : 0);
    let name: Buffer;
    if (version === 4) {
      // The name is the previous one less its last `strip` bytes, then what follows up to a NUL; no padding.
      const varint = readVarint(bytes, nameAt, end);
      if (!varint || varint.value > previous.length) return undefined;
      const nul = bytes.indexOf(0, varint.next);
      if (nul === -1 || nul >= end) return undefined;
      name = Buffer.concat([previous.subarray(0, previous.length - varint.value), bytes.subarray(varint.next, nul)]);
      at = nul + 1;
    } else {
      const length = flags & NAME_LENGTH;
      const nul = length < NAME_LENGTH ? nameAt + length : bytes.indexOf(0, nameAt);
      if (nul === -1 || nul >= end || bytes[nul] !== 0) return undefined;
      name = bytes.subarray(nameAt, nul);
      // Padded with 1 to 8 NULs to a multiple of 8 bytes from the entry's start.
      at += (nul - at + 8) & ~7;
    }
    previous = name;
    digest.add(name);
    if ((flags & ASSUME_UNCHANGED) === 0 && (extendedFlags & SKIP_WORKTREE) === 0) {
      checkedOut.push(name.toString('utf8'));
    }
  }
  // Extensions: one whose signature starts with A-Z may be ignored; any other changes what the entries mean.
  while (at < end) {
    if (at + 8 > end) return undefined;
    const first = bytes[at]!;
    if (first < 0x41 || first > 0x5a) return undefined;
    at += 8 + bytes.readUInt32BE(at + 4);
  }
  if (at !== end) return undefined;
  return { checkedOut, pathsDigest: `${count}:${digest.value()}` };
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

  add(name: Buffer): void {
    let hash = this.hash;
    for (let index = 0; index <= name.length; index++) hash = Math.imul(hash ^ (name[index] ?? 0), 0x01000193);
    this.hash = hash;
  }

  value(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }
}
