// BytePairEncoder's merge semantics on small hand-made merge lists, where the reference's behaviour (lowest
// rank first, every occurrence merged in one left-to-right pass, then rescan) can be worked out by hand.
import test from "node:test";
import assert from "node:assert/strict";
import { BytePairEncoder } from "glide-studio";

test("overlapping occurrences merge greedily from the left", () => {
  const bpe = new BytePairEncoder([["a", "a"]]);
  assert.deepEqual(bpe.encodeWord("aaa"), ["aa", "a"]);
  assert.deepEqual(bpe.encodeWord("aaaa"), ["aa", "aa"]);
});

test("all occurrences of a pair merge before any pair they create", () => {
  // Reference: x a b a b → (a,b) everywhere → x ab ab → (ab,ab) [rank 0] → x abab.
  // Merging one occurrence at a time would take (x,ab) [rank 1] first and end with xab ab.
  const bpe = new BytePairEncoder([["ab", "ab"], ["x", "ab"], ["a", "b"]]);
  assert.deepEqual(bpe.encodeWord("xabab"), ["x", "abab"]);
});

test("lower ranks win and unknown pairs stop merging", () => {
  const bpe = new BytePairEncoder([["b", "c"], ["a", "b"], ["a", "bc"]]);
  assert.deepEqual(bpe.encodeWord("abc"), ["abc"]); // (b,c) first, then (a,bc)
  assert.deepEqual(bpe.encodeWord("abd"), ["ab", "d"]);
  assert.deepEqual(bpe.encodeWord("d"), ["d"]);
  assert.deepEqual(bpe.encodeWord(""), []);
});

test("the end-of-word marker joins the last symbol, and pinned words bypass merging", () => {
  const bpe = new BytePairEncoder([["a", "b</w>"], ["a", "b"]], { endOfWord: "</w>" });
  assert.deepEqual(bpe.encodeWord("ab"), ["ab</w>"]);
  assert.deepEqual(bpe.encodeWord("aba"), ["ab", "a</w>"]);
  assert.deepEqual(bpe.encodeWord("a"), ["a</w>"]);
  bpe.pin("<x>", ["<x>"]);
  assert.deepEqual(bpe.encodeWord("<x>"), ["<x>"]);
  assert.equal(bpe.size, 2);
});
