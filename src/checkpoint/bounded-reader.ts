/**
 * The file reader behind our zip archives. yauzl's own file reader passes positions from the archive's
 * records straight to `fs.read`, which *throws* (inside a callback, so nothing can catch it and the process
 * dies) for a position past 2^53 — a single crafted zip64 record took the server down. This reader refuses
 * any read outside the file with an ordinary error that yauzl reports like any other corrupt archive.
 */
import fs from "node:fs";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import yauzl from "yauzl";

/** Random access to one open file, every read checked against the file's size. */
export class BoundedFileReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {
    super();
  }

  /** Opens `file` for reading. */
  static async open(file: string): Promise<BoundedFileReader> {
    const fd = await promisify(fs.open)(file, "r");
    try {
      return new BoundedFileReader(fd, (await promisify(fs.fstat)(fd)).size);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  private outside(start: number, end: number): Error | null {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > this.size) {
      return new Error(`the archive points at bytes ${start}..${end}, outside the ${this.size}-byte file`);
    }
    return null;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    const bad = this.outside(position, position + length);
    if (bad) {
      setImmediate(() => callback(bad, 0));
      return;
    }
    fs.read(this.fd, buffer, offset, length, position, (err, bytesRead) => callback(err, bytesRead));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const bad = this.outside(start, end);
    if (bad) {
      const failed = new Readable({ read() {} });
      setImmediate(() => failed.destroy(bad));
      return failed;
    }
    // Not fs.createReadStream: destroying one closes its descriptor even with autoClose off, and yauzl
    // destroys every stream it is done with while the archive stays open.
    let pos = start;
    const stream: Readable = new Readable({
      highWaterMark: 1 << 16,
      read: (size) => {
        const n = Math.min(size, end - pos);
        if (n <= 0) {
          stream.push(null);
          return;
        }
        const chunk = Buffer.allocUnsafe(n);
        fs.read(this.fd, chunk, 0, n, pos, (err, got) => {
          if (err || got === 0) {
            stream.destroy(err ?? new Error(`unexpected end of file at byte ${pos}`));
            return;
          }
          pos += got;
          stream.push(chunk.subarray(0, got));
        });
      },
    });
    return stream;
  }

  override close(callback: (err: Error | null) => void): void {
    fs.close(this.fd, (err) => callback(err ?? null));
  }
}
