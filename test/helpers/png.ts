import { inflateSync } from 'node:zlib';

/** A decoded PNG: `channels` bytes a pixel (3 RGB, 4 RGBA), rows top to bottom. */
export interface Png {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decodes the PNGs a browser writes for a screenshot (8-bit RGB or RGBA, not interlaced), so a test can look at
 * the pixels rather than trust that a file of some size was written. Throws on any other kind of file.
 */
export function decodePng(bytes: Buffer): Png {
  if (!bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  const data: Buffer[] = [];
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8]!, colour: body[9]!, interlace: body[12]! };
    }
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header) throw new Error('a PNG without IHDR');
  const { width, height, depth, colour, interlace } = header;
  if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
    throw new Error(`a PNG of a kind this reader leaves out (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
  }
  const channels = colour === 6 ? 4 : 3;
  return { width, height, channels, pixels: unfilter(inflateSync(Buffer.concat(data)), width * channels, height, channels) };
}

/** Undoes the per-row filters (PNG spec, section 9). */
function unfilter(raw: Buffer, stride: number, height: number, channels: number): Buffer {
  const out = Buffer.alloc(stride * height);
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)]!;
    const line = raw.subarray(row * (stride + 1) + 1, (row + 1) * (stride + 1));
    const at = row * stride;
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? out[at + i - channels]! : 0;
      const up = row > 0 ? out[at + i - stride]! : 0;
      const upLeft = row > 0 && i >= channels ? out[at + i - stride - channels]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter} in row ${row}`);
      out[at + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const [toLeft, toUp, toUpLeft] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;
  return toUp <= toUpLeft ? up : upLeft;
}

/** How many different RGB colours the image holds, and the share of its pixels that are not `background`. */
export function pixelStats(png: Png, background = [255, 255, 255]): { colours: number; inked: number } {
  const colours = new Set<number>();
  let inked = 0;
  for (let at = 0; at < png.pixels.length; at += png.channels) {
    const [r, g, b] = [png.pixels[at]!, png.pixels[at + 1]!, png.pixels[at + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r !== background[0] || g !== background[1] || b !== background[2]) inked++;
  }
  return { colours: colours.size, inked: inked / (png.width * png.height) };
}
