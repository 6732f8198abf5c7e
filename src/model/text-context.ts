/** TextContext: a batch's text embeddings held natively, computed once per sample. */
import { native, type NativeAddon, type NativeTextHandle } from "../native.js";

/** Text conditioning computed once (`GlideModel.prepareText`) and reused by every forward of a sample. */
export interface TextContext {
  /** Rows (prompts) it holds; a forward using it must have this batch. */
  readonly batch: number;
  /** Frees the native tensors now (otherwise they go with garbage collection). */
  dispose(): void;
}

/** The implementation behind TextContext; `owner` identifies the model that prepared it, `addon` the addon
 *  that holds it. */
export class NativeTextContext implements TextContext {
  private disposed = false;

  constructor(
    readonly batch: number,
    readonly owner: object,
    private readonly handle: NativeTextHandle,
    private readonly addon: NativeAddon = native,
  ) {}

  /** The native handle, or an error if disposed. */
  nativeHandle(where: string): NativeTextHandle {
    if (this.disposed) throw new Error(`${where}: the TextContext has been disposed`);
    return this.handle;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.addon.textDispose(this.handle);
  }
}
