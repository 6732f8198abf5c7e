// Workflow JSON for the workflow fuzzers: structure-aware mutations of a parsed value (values replaced
// by boundary or ill-typed ones, keys deleted, duplicated, renamed to prototype names, subtrees swapped,
// links pointed at missing / prototype / negative targets) and generated graph "bombs" (long chains of
// reroutes or nodes, cycles) that probe the converter's and validator's complexity.

const INTERESTING = [
  null, true, false, 0, -1, 1, 2, 0.5, -0, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), "", "a", "0", "1",
  "x".repeat(10000), "../../../etc/passwd", "base.pt", "grass.png", "\u0000", "\u{1F600}", "NaN", [], {}, [[]], { a: {} },
  ["1", 0], ["constructor", 0], ["__proto__", 0], ["toString", 0], ["hasOwnProperty", 0], ["1", -1], ["1", 1e9], ["1", 0.5],
  ["999999", 0], [1, 0], ["1"], ["1", 0, 0], [null, 0], [[], 0],
];
const KEYS = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "class_type", "inputs", "nodes", "links", "widgets_values", "format_version", "mode", "type", "id", "link", "", "0", "-1"];

/** Every container path of `value` (up to `limit`): [{parent, key}]. */
function paths(value, limit = 20000) {
  const out = [];
  const stack = [value];
  while (stack.length && out.length < limit) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") continue;
    for (const key of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      out.push({ parent: v, key });
      stack.push(v[key]);
    }
  }
  return out;
}

function deepNest(depth, leaf) {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** One structural mutation of a JSON value (mutates a clone); returns the new value. */
export function mutateJsonValue(value, rng) {
  const root = structuredClone(value);
  const all = paths(root);
  if (all.length === 0) return rng.pick(INTERESTING);
  const { parent, key } = rng.pick(all);
  const isArr = Array.isArray(parent);
  switch (rng.int(9)) {
    case 0:
    case 1:
      parent[key] = structuredClone(rng.pick(INTERESTING));
      break;
    case 2:
      if (isArr) parent.splice(key, 1);
      else delete parent[key];
      break;
    case 3:
      if (isArr) parent.splice(key, 0, structuredClone(parent[key]));
      else parent[`${key}${rng.int(10)}`] = structuredClone(parent[key]);
      break;
    case 4:
      if (isArr) parent.push(structuredClone(rng.pick(INTERESTING)));
      else Object.defineProperty(parent, rng.pick(KEYS), { value: structuredClone(parent[key]), enumerable: true, configurable: true, writable: true });
      break;
    case 5: {
      const other = rng.pick(all);
      parent[key] = structuredClone(other.parent[other.key]);
      break;
    }
    case 6: {
      const v = parent[key];
      if (typeof v === "number") parent[key] = rng.pick([v + 1, v - 1, -v, v * 1e6, Math.floor(v / 2), 0, 2 ** 31 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]);
      else if (typeof v === "string") parent[key] = rng.pick([v + v, v.slice(1), v.toUpperCase(), `${v}/../x`, v.repeat(100), ""]);
      else parent[key] = rng.chance(0.5) ? [parent[key]] : { value: parent[key] };
      break;
    }
    case 7:
      parent[key] = deepNest(rng.size(20000), parent[key] ?? 0);
      break;
    default:
      if (!isArr && key !== "__proto__") {
        const v = parent[key];
        delete parent[key];
        Object.defineProperty(parent, rng.pick(KEYS), { value: v, enumerable: true, configurable: true, writable: true });
      }
  }
  return root;
}

/** A generated workflow that is large or oddly shaped (chains, fans, cycles), of size up to `max` nodes. */
export function graphBomb(rng, max = 30000) {
  const n = rng.size(max);
  switch (rng.int(5)) {
    case 0: {
      // Editor graph: LoadImage → n reroutes → PreviewImage.
      const nodes = [{ id: 1, type: "LoadImage", pos: [0, 0], widgets_values: { image: "grass.png" }, outputs: [{ name: "IMAGE", type: "IMAGE", links: [1] }] }];
      const links = [];
      for (let i = 2; i <= n + 1; i++) {
        nodes.push({ id: i, type: "Reroute", pos: [0, 0], inputs: [{ name: "", type: "*", link: i - 1 }], outputs: [{ name: "", type: "*", links: [i] }] });
        links.push([i - 1, i - 1, 0, i, 0, "*"]);
      }
      nodes.push({ id: n + 2, type: "PreviewImage", pos: [0, 0], inputs: [{ name: "images", type: "IMAGE", link: n + 1 }] });
      links.push([n + 1, n + 1, 0, n + 2, 0, "IMAGE"]);
      return { format: "glide-studio/editor", format_version: 1, nodes, links };
    }
    case 1: {
      // Editor graph: a chain of bypassed nodes.
      const nodes = [{ id: 1, type: "LoadImage", pos: [0, 0], widgets_values: { image: "grass.png" }, outputs: [{ name: "IMAGE", type: "IMAGE", links: [1] }] }];
      const links = [];
      for (let i = 2; i <= n + 1; i++) {
        nodes.push({ id: i, type: "ImageResize", mode: 4, pos: [0, 0], inputs: [{ name: "image", type: "IMAGE", link: i - 1 }], outputs: [{ name: "IMAGE", type: "IMAGE", links: [i] }], widgets_values: { width: 8, height: 8 } });
        links.push([i - 1, i - 1, 0, i, 0, "IMAGE"]);
      }
      nodes.push({ id: n + 2, type: "PreviewImage", pos: [0, 0], inputs: [{ name: "images", type: "IMAGE", link: n + 1 }] });
      links.push([n + 1, n + 1, 0, n + 2, 0, "IMAGE"]);
      return { format: "glide-studio/editor", format_version: 1, nodes, links };
    }
    case 2: {
      // API prompt: LoadImage → n ImageResize → PreviewImage.
      const p = { 0: { class_type: "LoadImage", inputs: { image: "grass.png" } } };
      for (let i = 1; i <= n; i++) p[i] = { class_type: "ImageResize", inputs: { image: [String(i - 1), 0], width: 8, height: 8, method: "nearest" } };
      p[n + 1] = { class_type: "PreviewImage", inputs: { images: [String(n), 0] } };
      return p;
    }
    case 3: {
      // API prompt: a cycle of n ImageResize nodes feeding a PreviewImage.
      const p = {};
      for (let i = 0; i < n; i++) p[i] = { class_type: "ImageResize", inputs: { image: [String((i + 1) % n), 0], width: 8, height: 8, method: "nearest" } };
      p.out = { class_type: "PreviewImage", inputs: { images: ["0", 0] } };
      return p;
    }
    default: {
      // API prompt: n output nodes all reading one image.
      const p = { 0: { class_type: "LoadImage", inputs: { image: "grass.png" } } };
      for (let i = 1; i <= n; i++) p[i] = { class_type: "PreviewImage", inputs: { images: ["0", 0] } };
      return p;
    }
  }
}

/** Mutates JSON text (a string), returning bytes: structure-aware (parse, mutate, serialise) when it parses, else as bytes. */
export function mutateJsonText(text, rng, byteMutate) {
  const asBytes = () => byteMutate(Buffer.from(text, "utf8"));
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return asBytes();
  }
  if (rng.chance(0.15)) return asBytes();
  try {
    let v = value;
    for (let k = rng.range(1, 3); k > 0; k--) v = mutateJsonValue(v, rng);
    return Buffer.from(JSON.stringify(v) ?? "null", "utf8");
  } catch {
    // Cloning or serialising a very deep nest can exhaust the stack here: fall back to bytes.
    return asBytes();
  }
}
