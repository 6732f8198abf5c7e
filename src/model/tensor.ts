/** The dense tensor type of the model API and its argument checks. */

/** A dense float32 tensor, row-major (C order). */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Checks that `t` is a Tensor of rank `dims.length` whose sizes match `dims` where a number is given
 * (`null` accepts any positive size); returns its shape. `where` prefixes the error ("forward: x").
 */
export function checkTensor(where: string, t: unknown, dims: (number | null)[], layout: string): number[] {
  if (typeof t !== "object" || t === null || !Array.isArray((t as Tensor).shape)) {
    throw new TypeError(`${where} must be a tensor {shape, data: Float32Array} of shape ${layout}`);
  }
  const { shape, data } = t as Tensor;
  if (!(data instanceof Float32Array)) throw new TypeError(`${where}.data must be a Float32Array`);
  const ok =
    shape.length === dims.length &&
    shape.every((n, i) => Number.isInteger(n) && n > 0 && (dims[i] === null || dims[i] === n));
  if (!ok) throw new Error(`${where} must have shape ${layout}, got [${shape.join(", ")}]`);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (data.length !== numel) {
    throw new Error(`${where}.data has ${data.length} values but shape [${shape.join(", ")}] needs ${numel}`);
  }
  return shape;
}
