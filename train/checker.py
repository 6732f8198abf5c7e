"""Procedural caption checker for the demo dataset: finds the background, the coloured objects, their
shapes, sizes, positions and relations in an RGB image, and scores them against a caption's attributes.

This is the reference for the TypeScript checker of `npm run eval:demo` (src/eval); both follow the
same steps and thresholds:
  1. background = palette background nearest to the median border colour;
  2. each pixel gets the nearest colour of {shape colours, that background} if it is within
     MAX_DIST, else none; objects are 4-connected components of one colour with >= MIN_AREA of
     the image;
  3. shape from the fill ratio (pixels / bounding box): square > 0.86 > circle > 0.64 > triangle;
     size from the bounding-box side (small < 0.38 of the image side <= large); position = nearest
     named anchor to the centroid; relation = the dominant axis of the centroid difference.

    /usr/bin/python3 train/checker.py   # self-test on rendered ground truth
"""

from __future__ import annotations

import numpy as np

import dataset

MAX_DIST = 110.0  # RGB Euclidean distance for a pixel to count as a palette colour
MIN_AREA = 0.02  # fraction of the image
SQUARE_FILL, TRIANGLE_FILL = 0.86, 0.64
LARGE_SIDE = 0.38


def _components(mask: np.ndarray) -> list[np.ndarray]:
    """4-connected components of a boolean [H, W] mask as arrays of (y, x)."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    comps = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        stack, pts = [(y0, x0)], []
        seen[y0, x0] = True
        while stack:
            y, x = stack.pop()
            pts.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        comps.append(np.array(pts))
    return comps


def detect(img: np.ndarray) -> dict:
    """img [S, S, 3] uint8 -> {"background": name, "objects": [{colour, shape, size, cx, cy, area}]}
    with objects sorted by area, largest first."""
    s = img.shape[0]
    px = img.astype(np.float32)
    border = np.concatenate([px[0], px[-1], px[:, 0], px[:, -1]])
    med = np.median(border, axis=0)
    bg = min(dataset.BACKGROUNDS, key=lambda k: np.linalg.norm(med - np.array(dataset.BACKGROUNDS[k])))
    names = list(dataset.COLOURS) + ["_bg"]
    palette = np.array(list(dataset.COLOURS.values()) + [dataset.BACKGROUNDS[bg]], np.float32)
    dist = np.linalg.norm(px[:, :, None, :] - palette[None, None], axis=-1)  # [S, S, K]
    nearest = dist.argmin(-1)
    ok = dist.min(-1) < MAX_DIST
    objects = []
    for ci, name in enumerate(names[:-1]):
        for pts in _components((nearest == ci) & ok):
            area = len(pts) / (s * s)
            if area < MIN_AREA:
                continue
            ys, xs = pts[:, 0], pts[:, 1]
            bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
            fill = len(pts) / float(bw * bh)
            shape = "square" if fill > SQUARE_FILL else "circle" if fill > TRIANGLE_FILL else "triangle"
            side = max(bw, bh) / s
            objects.append({"colour": name, "shape": shape, "size": "large" if side >= LARGE_SIDE else "small",
                            "cx": (xs.mean() + 0.5) / s, "cy": (ys.mean() + 0.5) / s, "area": area,
                            "fill": fill})
    objects.sort(key=lambda o: -o["area"])
    return {"background": bg, "objects": objects}


def position_of(cx: float, cy: float) -> str:
    return min(dataset.POSITIONS, key=lambda k: (dataset.POSITIONS[k][0] - cx) ** 2 + (dataset.POSITIONS[k][1] - cy) ** 2)


def relation_of(a: dict, b: dict) -> str:
    dx, dy = b["cx"] - a["cx"], b["cy"] - a["cy"]
    if abs(dx) >= abs(dy):
        return "left of" if dx > 0 else "right of"
    return "above" if dy > 0 else "below"


def score(img: np.ndarray, case: dict) -> dict:
    """Per-attribute booleans plus `all` (every attribute the caption states is right)."""
    d = detect(img)
    res = {"background": d["background"] == case["background"]}
    objs = d["objects"]
    if case["kind"] == "single":
        want = case["objects"][0]
        o = objs[0] if objs else None
        res["count"] = len(objs) == 1
        res["colour"] = bool(o) and o["colour"] == want["colour"]
        res["shape"] = bool(o) and o["shape"] == want["shape"]
        res["size"] = bool(o) and o["size"] == case["size"]
        res["position"] = bool(o) and position_of(o["cx"], o["cy"]) == case["position"]
    else:
        wa, wb = case["objects"]
        oa = next((o for o in objs if o["colour"] == wa["colour"]), None)
        ob = next((o for o in objs if o["colour"] == wb["colour"]), None)
        res["count"] = len(objs) == 2
        res["colour"] = bool(oa and ob)
        res["shape"] = bool(oa and ob) and oa["shape"] == wa["shape"] and ob["shape"] == wb["shape"]
        res["relation"] = bool(oa and ob) and relation_of(oa, ob) == case["relation"]
    res["all"] = all(v for k, v in res.items() if k != "count") and res["count"]
    return res


def _self_test() -> None:
    """Ground-truth renders must score (nearly) perfectly at 32 px and 128 px."""
    for size in (32, 128):
        totals: dict[str, list[int]] = {}
        for i in range(400):
            sc = dataset.scene(99, i)
            case = {"caption": dataset.caption(sc), **sc.attributes()}
            for k, v in score(dataset.render(sc, size), case).items():
                totals.setdefault(f"{case['kind']}.{k}", [0, 0])
                totals[f"{case['kind']}.{k}"][0] += int(v)
                totals[f"{case['kind']}.{k}"][1] += 1
        print(size, "px:", ", ".join(f"{k} {a / n:.1%}" for k, (a, n) in sorted(totals.items())))


if __name__ == "__main__":
    _self_test()
