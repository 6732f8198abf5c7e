"""Procedural captioned scenes for the demo GLIDE family: flat shapes on flat backgrounds.

Every example is a pure function of (seed, index): `scene(seed, index)` draws the attributes,
`render(scene, size)` rasterises them (4x supersampled, box-filtered), `caption(scene, rng)` writes
the sentence from the grammar below. Nothing is stored; the same index always gives the same image.

Grammar (lower case, as the tokenizer lower-cases anyway):
  single : "a [SIZE] COLOUR SHAPE [POSITION] [on a BG background]"
  pair   : "a COLOUR SHAPE RELATION a COLOUR SHAPE [on a BG background]"
  ("an" before a vowel: "an orange square")
  SIZE small | large;  COLOUR red | green | blue | yellow | purple | orange;
  SHAPE circle | square | triangle;  POSITION in the top left | in the top right | in the bottom left |
  in the bottom right | in the center;  RELATION left of | right of | above | below;
  BG white | black | gray.
Bracketed parts are dropped independently (probability OPTIONAL_DROP) in training captions so the
models also learn partial descriptions; evaluation captions are always complete.

Held-out split: a fixed, seeded 10% of the complete single-object attribute tuples and 5% of the
pair tuples never occur in training scenes (whatever the caption says); `heldout_captions()` lists
them for evaluation.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (240, 210, 40),
    "purple": (140, 60, 190),
    "orange": (245, 140, 30),
}
BACKGROUNDS = {"white": (245, 245, 245), "black": (20, 20, 20), "gray": (128, 128, 128)}
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": 0.28, "large": 0.48}  # object side / image side
# Centre of each named position, as fractions of the image side (x, y), y downwards.
POSITIONS = {
    "in the top left": (0.28, 0.28),
    "in the top right": (0.72, 0.28),
    "in the bottom left": (0.28, 0.72),
    "in the bottom right": (0.72, 0.72),
    "in the center": (0.5, 0.5),
}
RELATIONS = ("left of", "right of", "above", "below")
PAIR_SIZE = 0.32
SINGLE_FRACTION = 0.7
OPTIONAL_DROP = 0.25
SUPERSAMPLE = 4
HELDOUT_SEED = 12345
EVAL_SEED = 777


@dataclass
class Obj:
    shape: str
    colour: str
    side: float  # fraction of image side
    cx: float
    cy: float


@dataclass
class Scene:
    kind: str  # "single" | "pair"
    background: str
    objects: list = field(default_factory=list)
    size: str = ""  # single only
    position: str = ""  # single only
    relation: str = ""  # pair only: objects[0] RELATION objects[1]

    def attributes(self) -> dict:
        """Plain description used by the held-out split and the evaluation files."""
        d = {"kind": self.kind, "background": self.background,
             "objects": [{"shape": o.shape, "colour": o.colour} for o in self.objects]}
        if self.kind == "single":
            d.update(size=self.size, position=self.position)
        else:
            d.update(relation=self.relation)
        return d

    def key(self) -> tuple:
        if self.kind == "single":
            o = self.objects[0]
            return ("single", o.colour, o.shape, self.size, self.position, self.background)
        a, b = self.objects
        return ("pair", a.colour, a.shape, self.relation, b.colour, b.shape, self.background)


def all_single_keys() -> list:
    return [("single", c, s, z, p, b) for c, s, z, p, b in
            itertools.product(COLOURS, SHAPES, SIZES, POSITIONS, BACKGROUNDS)]


def all_pair_keys() -> list:
    return [("pair", ca, sa, r, cb, sb, b) for ca, sa, r, cb, sb, b in
            itertools.product(COLOURS, SHAPES, RELATIONS, COLOURS, SHAPES, BACKGROUNDS) if ca != cb]


@lru_cache(maxsize=1)
def heldout_keys() -> frozenset:
    rng = np.random.default_rng(HELDOUT_SEED)
    singles, pairs = all_single_keys(), all_pair_keys()
    pick_s = rng.choice(len(singles), size=len(singles) // 10, replace=False)
    pick_p = rng.choice(len(pairs), size=len(pairs) // 20, replace=False)
    return frozenset([singles[i] for i in pick_s] + [pairs[i] for i in pick_p])


def _single(rng: np.random.Generator) -> Scene:
    colour = str(rng.choice(list(COLOURS)))
    shape = str(rng.choice(SHAPES))
    size = str(rng.choice(list(SIZES)))
    position = str(rng.choice(list(POSITIONS)))
    bg = str(rng.choice(list(BACKGROUNDS)))
    side = SIZES[size] * rng.uniform(0.9, 1.1)
    px, py = POSITIONS[position]
    # Jitter around the anchor, then keep the whole object (plus a small margin) inside the image.
    lo, hi = side / 2 + 0.03, 1 - side / 2 - 0.03
    cx = min(max(px + rng.uniform(-0.04, 0.04), lo), hi)
    cy = min(max(py + rng.uniform(-0.04, 0.04), lo), hi)
    return Scene("single", bg, [Obj(shape, colour, side, cx, cy)], size=size, position=position)


def _pair(rng: np.random.Generator) -> Scene:
    ca, cb = (str(c) for c in rng.choice(list(COLOURS), size=2, replace=False))
    sa, sb = str(rng.choice(SHAPES)), str(rng.choice(SHAPES))
    relation = str(rng.choice(RELATIONS))
    bg = str(rng.choice(list(BACKGROUNDS)))
    side_a, side_b = (PAIR_SIZE * rng.uniform(0.9, 1.1) for _ in range(2))
    # Along the relation axis the first object sits in the near third, the second in the far third;
    # across it both stay close so the relation is unambiguous.
    near, far = rng.uniform(0.22, 0.32), rng.uniform(0.68, 0.78)
    across = rng.uniform(0.3, 0.7)
    ja, jb = across + rng.uniform(-0.06, 0.06), across + rng.uniform(-0.06, 0.06)
    if relation in ("left of", "above"):
        a_main, b_main = near, far
    else:
        a_main, b_main = far, near
    if relation in ("left of", "right of"):
        a, b = Obj(sa, ca, side_a, a_main, ja), Obj(sb, cb, side_b, b_main, jb)
    else:
        a, b = Obj(sa, ca, side_a, ja, a_main), Obj(sb, cb, side_b, jb, b_main)
    return Scene("pair", bg, [a, b], relation=relation)


def scene(seed: int, index: int) -> Scene:
    """The training scene number `index` of dataset `seed` (never a held-out attribute tuple)."""
    held = heldout_keys()
    rng = np.random.default_rng([seed, index])
    while True:
        sc = _single(rng) if rng.random() < SINGLE_FRACTION else _pair(rng)
        if sc.key() not in held:
            return sc


def caption(sc: Scene, rng: np.random.Generator | None = None) -> str:
    """The scene's sentence; with an rng, optional parts are dropped at random (training)."""
    def keep() -> bool:
        return rng is None or rng.random() >= OPTIONAL_DROP

    bg = f" on a {sc.background} background" if keep() else ""
    if sc.kind == "single":
        o = sc.objects[0]
        size = f"{sc.size} " if keep() else ""
        pos = f" {sc.position}" if keep() else ""
        return f"{_article(size or o.colour)} {size}{o.colour} {o.shape}{pos}{bg}"
    a, b = sc.objects
    return f"{_article(a.colour)} {a.colour} {a.shape} {sc.relation} {_article(b.colour)} {b.colour} {b.shape}{bg}"


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _draw(draw: ImageDraw.ImageDraw, o: Obj, size: int) -> None:
    half = o.side * size / 2
    cx, cy = o.cx * size, o.cy * size
    fill = COLOURS[o.colour]
    if o.shape == "circle":
        draw.ellipse([cx - half, cy - half, cx + half, cy + half], fill=fill)
    elif o.shape == "square":
        draw.rectangle([cx - half, cy - half, cx + half, cy + half], fill=fill)
    else:  # isosceles triangle, apex up, as wide as it is tall
        draw.polygon([(cx, cy - half), (cx + half, cy + half), (cx - half, cy + half)], fill=fill)


def render(sc: Scene, size: int) -> np.ndarray:
    """[size, size, 3] uint8, drawn at SUPERSAMPLE x size and box-filtered down."""
    big = size * SUPERSAMPLE
    img = Image.new("RGB", (big, big), BACKGROUNDS[sc.background])
    draw = ImageDraw.Draw(img)
    for o in sc.objects:
        _draw(draw, o, big)
    return np.asarray(img.reduce(SUPERSAMPLE))


def downsample(img: np.ndarray, factor: int) -> np.ndarray:
    """Box-filter an [S, S, 3] uint8 image by an integer factor (how low-res inputs are made)."""
    return np.asarray(Image.fromarray(img).reduce(factor))


def to_model(img: np.ndarray) -> np.ndarray:
    """uint8 [S, S, 3] -> float32 [3, S, S] in [-1, 1]."""
    return img.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0


def heldout_captions(n_single: int = 100, n_pair: int = 50) -> list[dict]:
    """Evaluation cases: complete captions of held-out attribute tuples, in a fixed order."""
    rng = np.random.default_rng(EVAL_SEED)
    held = sorted(heldout_keys())
    singles = [k for k in held if k[0] == "single"]
    pairs = [k for k in held if k[0] == "pair"]
    rng.shuffle(singles)
    rng.shuffle(pairs)
    cases = []
    for k in singles[:n_single]:
        _, colour, shape, size, position, bg = k
        px, py = POSITIONS[position]
        sc = Scene("single", bg, [Obj(shape, colour, SIZES[size], px, py)], size=size, position=position)
        cases.append({"caption": caption(sc), **sc.attributes()})
    for k in pairs[:n_pair]:
        _, ca, sa, relation, cb, sb, bg = k
        sc = Scene("pair", bg, [Obj(sa, ca, PAIR_SIZE, 0, 0), Obj(sb, cb, PAIR_SIZE, 0, 0)], relation=relation)
        cases.append({"caption": caption(sc), **sc.attributes()})
    return cases


def inpaint_cases(n: int = 40, size: int = 32) -> list[dict]:
    """Inpainting evaluation: a held-out single-object scene whose object was drawn in another colour
    and shape; the keep-mask (1 = keep) blanks the object's box plus a margin, and the caption asks
    for the held-out object. Images and masks are base64 of uint8 [S, S, 3] / [S, S] arrays."""
    import base64

    rng = np.random.default_rng(EVAL_SEED + 1)
    singles = sorted(k for k in heldout_keys() if k[0] == "single")
    rng.shuffle(singles)
    cases = []
    for k in singles[:n]:
        _, colour, shape, size_name, position, bg = k
        px, py = POSITIONS[position]
        side = SIZES[size_name]
        lo, hi = side / 2 + 0.03, 1 - side / 2 - 0.03
        cx, cy = min(max(px, lo), hi), min(max(py, lo), hi)
        other_colour = str(rng.choice([c for c in COLOURS if c != colour]))
        other_shape = str(rng.choice([s for s in SHAPES if s != shape]))
        source = Scene("single", bg, [Obj(other_shape, other_colour, side, cx, cy)], size=size_name, position=position)
        target = Scene("single", bg, [Obj(shape, colour, side, cx, cy)], size=size_name, position=position)
        half = side / 2 + 0.08
        keep = np.ones((size, size), np.uint8)
        x0, x1 = int(max(0, (cx - half) * size)), int(min(size, np.ceil((cx + half) * size)))
        y0, y1 = int(max(0, (cy - half) * size)), int(min(size, np.ceil((cy + half) * size)))
        keep[y0:y1, x0:x1] = 0
        cases.append({"caption": caption(target), **target.attributes(),
                      "source": base64.b64encode(render(source, size).tobytes()).decode(),
                      "keep_mask": base64.b64encode(keep.tobytes()).decode(), "size": size_name})
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preview", help="write a PNG grid of the first 64 training scenes (128 px) here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--heldout", help="write the evaluation cases (held-out captions, inpainting) as JSON here")
    args = ap.parse_args()
    if args.preview:
        tiles = []
        for i in range(64):
            sc = scene(args.seed, i)
            tiles.append(render(sc, 128))
            print(i, caption(sc, np.random.default_rng([args.seed, i, 1])))
        grid = np.concatenate([np.concatenate(tiles[r * 8:(r + 1) * 8], axis=1) for r in range(8)], axis=0)
        Image.fromarray(grid).save(args.preview)
    if args.heldout:
        import base64

        import checker  # the checker imports this module; import it only here

        cases = heldout_captions()
        inpaint = inpaint_cases()
        # Rendered training-distribution scenes with the reference checker's verdicts: the TypeScript
        # checker's test must agree with them.
        selftest = []
        for i in range(32):
            sc = scene(4242, i)
            img = render(sc, 32)
            case = {"caption": caption(sc), **sc.attributes()}
            selftest.append({**case, "image": base64.b64encode(img.tobytes()).decode(),
                             "expected": checker.score(img, case), "detected": checker.detect(img)})
        with open(args.heldout, "w") as f:
            json.dump({"generator": "train/dataset.py --heldout (heldout_captions, inpaint_cases)",
                       "heldout_seed": HELDOUT_SEED, "colours": COLOURS, "backgrounds": BACKGROUNDS,
                       "shapes": SHAPES, "sizes": SIZES, "positions": POSITIONS, "relations": RELATIONS,
                       "cases": cases, "inpaint_size": 32, "inpaint": inpaint, "checker_selftest": selftest},
                      f, indent=1, default=float)
        print(f"{len(cases)} held-out caption cases, {len(inpaint)} inpainting cases -> {args.heldout}")


if __name__ == "__main__":
    main()
