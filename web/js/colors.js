// Colours of link types (sockets and links share them) and of node title bars per category.

const LINK_COLORS = {
  GLIDE_MODEL: "#b39ddb",
  CLIP_MODEL: "#f0a35e",
  CONDITIONING: "#ffd166",
  GUIDANCE: "#ef8fb8",
  IMAGE: "#64b5f6",
  MASK: "#81c784",
};

/** The colour of a link type; unknown types get a stable colour from their name. */
export function linkColor(type) {
  if (LINK_COLORS[type]) return LINK_COLORS[type];
  let h = 0;
  for (const ch of String(type)) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h}, 55%, 65%)`;
}

const CATEGORY_COLORS = [
  ["loaders", { color: "#3c3251", bgcolor: "#2b2633" }],
  ["conditioning", { color: "#4d4424", bgcolor: "#2f2c24" }],
  ["sampling", { color: "#23424d", bgcolor: "#232d31" }],
  ["image", { color: "#24394f", bgcolor: "#232a33" }],
  ["mask", { color: "#29452d", bgcolor: "#242e26" }],
];

/** Title and body colours of a node of `category` (by the category's last word). */
export function categoryColors(category) {
  const c = String(category).toLowerCase();
  for (const [key, colors] of CATEGORY_COLORS) if (c.includes(key)) return colors;
  return null;
}
