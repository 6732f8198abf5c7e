import test from "node:test";
import assert from "node:assert/strict";
import { native } from "glide-studio";

test("native addon loads and reports its thread count", () => {
  assert.ok(native.threadCount() >= 1);
});
