/**
 * Random access to the members of a zip archive (via yauzl), without reading the archive whole: only the
 * central directory is parsed, and each member's data offset is computed so storages can be read in place.
 */
import yauzl from "yauzl";
import { BoundedFileReader } from "./bounded-reader.js";

/** An open zip archive. Close it with `close()`. */
export interface ZipArchive {
  readonly file: string;
  readonly fileSize: number;
  /** Members by their full name inside the archive. */
  readonly entries: Map<string, yauzl.Entry>;
  /** Absolute byte offset of a member's (stored) data in the file; checks that the data fits in the file. */
  dataOffset(entry: yauzl.Entry): Promise<number>;
  /** A member's (decompressed) bytes; refuses members larger than `maxBytes` before reading them. */
  readAll(entry: yauzl.Entry, maxBytes: number): Promise<Buffer>;
  close(): void;
}

/** Opens `file` as a zip archive (zip64 included); errors name the file. */
export async function openZip(file: string): Promise<ZipArchive> {
  let zip: yauzl.ZipFile;
  try {
    const reader = await BoundedFileReader.open(file);
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.size, {
        lazyEntries: true,
        autoClose: false,
        validateEntrySizes: true,
        strictFileNames: false,
      });
    } catch (err) {
      reader.close(() => {});
      throw err;
    }
  } catch (err) {
    throw new Error(`${file}: not a readable zip archive — the file is truncated or corrupt (${(err as Error).message})`);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on("entry", (e: yauzl.Entry) => {
        entries.set(e.fileName, e);
        zip.readEntry();
      });
      zip.on("end", () => resolve());
      zip.on("error", reject);
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw new Error(`${file}: corrupt zip central directory (${(err as Error).message})`);
  }
  return {
    file,
    fileSize: zip.fileSize,
    entries,
    async dataOffset(entry) {
      try {
        const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
        return fileDataStart;
      } catch (err) {
        throw new Error(`${file}: member ${entry.fileName} is truncated or corrupt (${(err as Error).message})`);
      }
    },
    async readAll(entry, maxBytes) {
      if (entry.uncompressedSize > maxBytes) {
        throw new Error(`${file}: member ${entry.fileName} is ${entry.uncompressedSize} bytes, more than the ${maxBytes} accepted`);
      }
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      } catch (err) {
        throw new Error(`${file}: member ${entry.fileName} is truncated or corrupt (${(err as Error).message})`);
      }
    },
    close() {
      zip.close();
    },
  };
}
