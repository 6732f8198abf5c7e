/** glide-studio public API. */
export { native } from "./native.js";
