import { closeSync, readSync } from 'node:fs';
import { Decompress } from 'fzstd';
import { MAX_LINE_BYTES, openWithoutBlocking, type LinesRead } from '../lines.js';

/**
 * The lines of a compressed rollout (`.jsonl.zst`) from decompressed byte `from` on, each handed to `onLine`
 * (stop early by returning true), decompressed a chunk at a time: neither the file nor its text is ever held whole,
 * and a line over MAX_LINE_BYTES is skipped as the plain reader skips it. Node 20 has no zstd, so this is fzstd's
 * streaming decompressor (pure JavaScript). The offset returned is past the last complete line, or the text's whole
 * length when `from` lies beyond it (the caller then knows the file is not the one it read before). With
 * `finalLine`, a last line without a newline is handed over too when it is complete JSON; the offset stays before it.
 */
export function readCompressedLines(path: string, from: number, onLine: (line: Buffer) => boolean | void, finalLine: boolean): LinesRead {
  const splitter = new LineSplitter(from, onLine);
  const decompressor = new Decompress((chunk) => splitter.push(chunk));
  // Never waiting on a FIFO planted at the rollout's name, as the plain reader never does.
  const { fd } = openWithoutBlocking(path);
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
      // A copy: fzstd may keep a reference to a chunk it has not finished with.
      decompressor.push(Uint8Array.prototype.slice.call(buffer, 0, bytesRead), bytesRead === 0);
      if (bytesRead === 0 || splitter.stopped) break;
    }
  } finally {
    closeSync(fd);
  }
  return splitter.finish(finalLine);
}

/** Cuts decompressed text into lines, from a byte offset on, holding only the line being cut. */
class LineSplitter {
  stopped = false;
  /** Decompressed bytes seen so far. */
  private position = 0;
  private lineStart: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private skipped = 0;

  constructor(
    private readonly from: number,
    private readonly onLine: (line: Buffer) => boolean | void,
  ) {
    this.lineStart = from;
  }

  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const chunkStart = this.position;
    this.position += bytes.length;
    if (this.position <= this.from) return;
    let at = Math.max(0, this.from - chunkStart);
    for (let nl = bytes.indexOf(0x0a, at); nl !== -1; nl = bytes.indexOf(0x0a, at)) {
      this.hold(bytes.subarray(at, nl));
      const line = Buffer.concat(this.pending, this.pendingBytes);
      const wasSkipping = this.skipping;
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = false;
      this.lineStart = chunkStart + nl + 1;
      at = nl + 1;
      if (!wasSkipping && this.onLine(line) === true) {
        this.stopped = true;
        return;
      }
    }
    this.hold(bytes.subarray(at));
  }

  finish(finalLine: boolean): LinesRead {
    if (this.position < this.from) return { offset: this.position, skipped: 0 };
    if (finalLine && !this.stopped && !this.skipping && this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending, this.pendingBytes);
      try {
        JSON.parse(line.toString('utf8'));
        this.onLine(line);
      } catch {
        // Not complete: left for a later read.
      }
    }
    return { offset: this.lineStart, skipped: this.skipped };
  }

  /** Keeps part of the line being cut, unless the line has grown past MAX_LINE_BYTES (then it is skipped). */
  private hold(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.pendingBytes + part.length > MAX_LINE_BYTES) {
      this.skipping = true;
      this.skipped++;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    // A copy: the decompressor reuses its output buffer.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }
}
