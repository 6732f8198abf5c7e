/** Image files and tensors: PNG I/O, IMAGE/MASK layouts, resampling. */
export * from "./png.js";
export * from "./tensor.js";
export { resizeImage, RESIZE_METHODS, type ResizeMethod } from "./resize.js";
export * from "./read.js";
