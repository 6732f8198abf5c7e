/** Element types of the weights we load. Other dtypes (int64 buffers, float64) are refused on read. */
export type WeightDType = "float32" | "float16" | "bfloat16";

/** Where one tensor lives in a checkpoint file, so native code can `pread` it without a JS copy. */
export interface TensorEntry {
  /** State-dict key, e.g. `input_blocks.4.0.in_layers.2.weight`. */
  name: string;
  dtype: WeightDType;
  shape: number[];
  /** Strides in elements (row-major contiguous for every tensor `torch.save` writes from a state dict). */
  strides: number[];
  /** Absolute byte offset in the file of the tensor's first element (storage offset applied). */
  offset: number;
  /** Bytes available in the backing storage from `offset` (for bounds checks). */
  storageBytes: number;
}

/** Every tensor of one checkpoint file, by name. Built by `readCheckpointIndex`. */
export interface CheckpointIndex {
  file: string;
  format: "pytorch" | "safetensors";
  tensors: Map<string, TensorEntry>;
}

/** Bytes per element of each weight dtype. */
export const DTYPE_BYTES: Record<WeightDType, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Number of elements of a shape (1 for a scalar). */
export function shapeNumel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major (C order) strides in elements for `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** True when `strides` are the row-major strides of `shape` (size-1 dims may carry any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  const want = contiguousStrides(shape);
  return shape.every((n, i) => n === 1 || strides[i] === want[i]);
}

/**
 * Elements spanned in storage by a strided view: 1 + Σ (shape[i]-1)·stride[i] (0 for an empty tensor).
 * The bytes a reader must have from `offset` are `extent · itemsize`.
 */
export function storageExtent(shape: readonly number[], strides: readonly number[]): number {
  if (shape.some((n) => n === 0)) return 0;
  return 1 + shape.reduce((acc, n, i) => acc + (n - 1) * strides[i], 0);
}
