"""CLIP's SimpleTokenizer (vocab/bpe_simple_vocab_16e6.txt.gz) for the noised CLIP's text encoder.

Word-final `</w>` BPE over the byte alphabet, vocabulary 49408 (start 49406, end 49407). As in
bpe.py, the pre-tokenising regex uses ASCII classes and `encode` refuses non-ASCII text (our
captions are ASCII, for which ftfy and HTML unescaping change nothing). Checked against the fixture
ids by check_clip_bpe() (run this file).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache

from bpe import VOCAB_DIR, _bytes_to_unicode

START_ID, END_ID = 49406, 49407
_PAT = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+""")


class ClipBpe:
    def __init__(self) -> None:
        with gzip.open(VOCAB_DIR / "bpe_simple_vocab_16e6.txt.gz", "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
        self.byte_map = _bytes_to_unicode()
        # Base vocabulary order: the printable bytes (which map to themselves) first, then the
        # remapped ones in the order they were given code points 256, 257, ...
        vocab = sorted(self.byte_map.values(), key=lambda ch: (ord(ch) >= 256, ord(ch)))
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self._cache: dict[str, list[str]] = {}

    def _bpe(self, token: str) -> list[str]:
        if token in self._cache:
            return self._cache[token]
        parts = list(token[:-1]) + [token[-1] + "</w>"]
        while len(parts) > 1:
            rank, i = min((self.ranks.get(pair, 1 << 30), i) for i, pair in enumerate(zip(parts, parts[1:])))
            if rank == 1 << 30:
                break
            a, b = parts[i], parts[i + 1]
            merged, j = [], 0
            while j < len(parts):
                if j + 1 < len(parts) and parts[j] == a and parts[j + 1] == b:
                    merged.append(a + b)
                    j += 2
                else:
                    merged.append(parts[j])
                    j += 1
            parts = merged
        self._cache[token] = parts
        return parts

    def encode(self, text: str) -> list[int]:
        if not text.isascii():
            raise ValueError(f"train/clip_bpe.py handles ASCII captions only, got {text!r}")
        text = " ".join(text.split()).lower()
        ids: list[int] = []
        for piece in _PAT.findall(text):
            mapped = "".join(self.byte_map[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(mapped))
        return ids

    @staticmethod
    def padded_tokens_and_len(ids: list[int], ctx: int = 77) -> tuple[list[int], int]:
        toks = [START_ID] + ids[: ctx - 2] + [END_ID]
        return toks + [0] * (ctx - len(toks)), len(toks)


@lru_cache(maxsize=1)
def clip_tokenizer() -> ClipBpe:
    return ClipBpe()


def check_clip_bpe() -> int:
    import numpy as np

    root = VOCAB_DIR.parent / "test" / "fixtures" / "glide"
    prompts = json.loads((root / "manifest.json").read_text())["tokenizer"]["prompts"]
    flat = np.load(root / "tokenizer" / "clip_ids_flat.npy")
    offsets = np.load(root / "tokenizer" / "clip_ids_offsets.npy")
    checked = 0
    for i, p in enumerate(prompts):
        text = p["prompt"]
        # Only plain ASCII without HTML entities: the cases where ftfy/unescape are no-ops.
        if not text.isascii() or "&" in text or p["ftfy_changes_text"]:
            continue
        want = flat[offsets[i]:offsets[i + 1]].tolist()
        got = clip_tokenizer().encode(text)
        if got != want:
            raise AssertionError(f"CLIP BPE mismatch for {text!r}: {got} != {want}")
        checked += 1
    return checked


if __name__ == "__main__":
    print(f"clip bpe: {check_clip_bpe()} ASCII fixture prompts match")
