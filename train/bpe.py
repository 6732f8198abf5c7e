"""GPT-2 byte-level BPE as GLIDE's UNets use it (vocab/encoder.json.gz + vocab/vocab.bpe.gz).

Our captions are lower-case ASCII, so the GPT-2 pre-tokenising regex is written with ASCII classes
(`\\p{L}` -> letters, `\\p{N}` -> digits); for ASCII input that is the same split. `encode` refuses
non-ASCII text rather than silently disagreeing with the runtime tokenizer. Checked against the
fixture ids by check_bpe() (run this file).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from pathlib import Path

VOCAB_DIR = Path(__file__).resolve().parent.parent / "vocab"
PAD_ID = 50256  # <|endoftext|>, pads captions (mask False)

_PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (printables map to themselves,
    the rest to code points 256+ in byte order)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class Gpt2Bpe:
    def __init__(self) -> None:
        with gzip.open(VOCAB_DIR / "encoder.json.gz", "rt", encoding="utf-8") as f:
            self.encoder: dict[str, int] = json.load(f)
        with gzip.open(VOCAB_DIR / "vocab.bpe.gz", "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")[1:]  # first line is a version header
        merges = [tuple(line.split()) for line in lines if line.strip()]
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.byte_map = _bytes_to_unicode()
        self._cache: dict[str, list[str]] = {}

    def _bpe(self, word: str) -> list[str]:
        if word in self._cache:
            return self._cache[word]
        parts = list(word)
        while len(parts) > 1:
            # Merge the adjacent pair with the lowest rank, everywhere it occurs.
            best = min(((self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))))
            if best[0] == 1 << 30:
                break
            a, b = parts[best[1]], parts[best[1] + 1]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[word] = parts
        return parts

    def encode(self, text: str) -> list[int]:
        """Ids of the lower-cased text, no start/end tokens (as GLIDE's tokenizer)."""
        if not text.isascii():
            raise ValueError(f"train/bpe.py handles ASCII captions only, got {text!r}")
        ids: list[int] = []
        for piece in _PAT.findall(text.lower()):
            mapped = "".join(self.byte_map[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[tok] for tok in self._bpe(mapped))
        return ids

    @staticmethod
    def padded_tokens_and_mask(ids: list[int], text_ctx: int = 128) -> tuple[list[int], list[bool]]:
        ids = ids[:text_ctx]
        pad = text_ctx - len(ids)
        return ids + [PAD_ID] * pad, [True] * len(ids) + [False] * pad


@lru_cache(maxsize=1)
def tokenizer() -> Gpt2Bpe:
    return Gpt2Bpe()


def check_bpe() -> int:
    """Compare with the fixture ids for every ASCII fixture prompt; returns the number checked."""
    import numpy as np

    root = VOCAB_DIR.parent / "test" / "fixtures" / "glide"
    prompts = [p["prompt"] for p in json.loads((root / "manifest.json").read_text())["tokenizer"]["prompts"]]
    flat = np.load(root / "tokenizer" / "bpe_ids_flat.npy")
    offsets = np.load(root / "tokenizer" / "bpe_ids_offsets.npy")
    checked = 0
    for i, prompt in enumerate(prompts):
        if not prompt.isascii():
            continue
        want = flat[offsets[i]:offsets[i + 1]].tolist()
        got = tokenizer().encode(prompt)
        if got != want:
            raise AssertionError(f"BPE mismatch for {prompt!r}: {got} != {want}")
        checked += 1
    return checked


if __name__ == "__main__":
    print(f"bpe: {check_bpe()} ASCII fixture prompts match")
