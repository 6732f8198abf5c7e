// The text encoder of every fixture UNet against the official get_text_emb outputs.
import test from "node:test";
import assert from "node:assert/strict";
import { assertClose } from "./helpers/compare.mjs";
import { loadRows, loadTensor } from "./helpers/npy.mjs";
import { UNETS, loadFixtureModel } from "./helpers/model_fixtures.mjs";

for (const { name } of UNETS) {
  test(`text_emb/${name}: xf_proj and xf_out match the reference`, async (t) => {
    const model = await loadFixtureModel(name);
    try {
      const tokens = loadRows(`text_emb/${name}_tokens`);
      const mask = loadRows(`text_emb/${name}_mask`);
      const { xfProj, xfOut } = await model.encodeText({ tokens, mask });
      const refProj = loadTensor(`text_emb/${name}_xf_proj`);
      const refOut = loadTensor(`text_emb/${name}_xf_out`);
      const a = assertClose(xfProj, refProj, { label: `${name} xf_proj` });
      const b = assertClose(xfOut, refOut, { label: `${name} xf_out` });
      t.diagnostic(`xf_proj rel ${a.rel.toExponential(2)}, xf_out rel ${b.rel.toExponential(2)}`);
    } finally {
      model.dispose();
    }
  });
}

test("tokenize reproduces the reference tokens and mask of the text_emb batch", async () => {
  const model = await loadFixtureModel("base");
  try {
    const { tokens, mask } = model.tokenize(["an oil painting of a corgi", ""]);
    assert.deepEqual(tokens, loadRows("text_emb/base_tokens"));
    assert.deepEqual(mask, loadRows("text_emb/base_mask"));
  } finally {
    model.dispose();
  }
});
