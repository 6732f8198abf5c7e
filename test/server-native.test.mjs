// The server with the real nodes and the fixture checkpoints: the event loop stays free while the
// native sampler runs (/system_stats answers quickly throughout), and an interrupt stops the
// sampler within a step.
import test from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { startServer, builtinRegistry } from "glide-studio";
import { copyFixtureModels, tempPaths, request, openWs } from "./helpers/server-fixtures.mjs";

/** LoadCheckpoint → TextEncode → Guidance → Sample → PreviewImage on the fixture base model. */
function basePrompt(respacing, seed) {
  return {
    1: { class_type: "LoadCheckpoint", inputs: { ckpt_name: "base.pt" } },
    2: { class_type: "TextEncode", inputs: { model: ["1", 0], text: "an oil painting of a corgi" } },
    3: { class_type: "Guidance", inputs: { positive: ["2", 0], scale: 3 } },
    4: { class_type: "Sample", inputs: { model: ["1", 0], guidance: ["3", 0], respacing, sampler: "ddpm", eta: 0, seed, batch_size: 1 } },
    5: { class_type: "PreviewImage", inputs: { images: ["4", 0] } },
  };
}

test("native sampling runs off the event loop; interrupt stops it within a step", { timeout: 180000 }, async (t) => {
  const { root, paths } = await tempPaths("glide-native-");
  await copyFixtureModels(paths.models);
  const server = await startServer({ port: 0, registry: builtinRegistry(), paths });
  t.after(async () => {
    await server.close();
    await fs.rm(root, { recursive: true, force: true });
  });
  const base = server.url;
  const ws = await openWs(base, { clientId: "native" });
  t.after(() => ws.close());

  let r = await request(base, "/prompt", { method: "POST", body: { prompt: basePrompt("50", 1), client_id: "native" } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const id = r.json.prompt_id;
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === id && m.data.node === "4", 60000);

  // Poll while the sampler works: every answer must come quickly.
  const latencies = [];
  let stepsSeen = 0;
  const progressOf = () => ws.messages.filter((m) => m.type === "progress" && m.data.prompt_id === id).length;
  const start = progressOf();
  while (latencies.length < 40 && !ws.messages.some((m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === id)) {
    const t0 = performance.now();
    r = await request(base, "/system_stats");
    latencies.push(performance.now() - t0);
    assert.equal(r.status, 200);
    await new Promise((res) => setTimeout(res, 20));
  }
  stepsSeen = progressOf() - start;
  latencies.sort((a, b) => a - b);
  const worst = latencies.at(-1);
  console.log(`/system_stats during sampling: ${latencies.length} requests over ${stepsSeen} steps, median ${latencies[latencies.length >> 1].toFixed(1)} ms, worst ${worst.toFixed(1)} ms`);
  assert.ok(stepsSeen >= 2, "the sampler advanced while the server answered");
  assert.ok(worst < 500, `the event loop was blocked for ${worst.toFixed(0)} ms`);

  // A long run, interrupted after a few steps: it stops within about one step.
  r = await request(base, "/prompt", { method: "POST", body: { prompt: basePrompt("1000", 2), client_id: "native" } });
  const long = r.json.prompt_id;
  await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === long && m.data.value >= 3, 60000);
  const t0 = performance.now();
  r = await request(base, "/interrupt", { method: "POST", body: {} });
  assert.equal(r.json.interrupted, true);
  const stopped = await ws.waitFor((m) => m.type === "execution_interrupted" && m.data.prompt_id === long, 30000);
  const after = performance.now() - t0;
  assert.equal(stopped.data.node_id, "4");
  const steps = ws.messages.filter((m) => m.type === "progress" && m.data.prompt_id === long).map((m) => m.data.value);
  console.log(`interrupt: stopped at step ${steps.at(-1)}/1000 after ${after.toFixed(0)} ms`);
  assert.ok(steps.at(-1) < 100, "the sampler stopped early");
  r = await request(base, `/history/${long}`);
  assert.equal(r.json[long].status.status_str, "interrupted");
  r = await request(base, `/history/${id}`);
  assert.equal(r.json[id].status.status_str, "success");
  const img = r.json[id].outputs["5"].images[0];
  r = await request(base, `/view?filename=${encodeURIComponent(img.filename)}&subfolder=${encodeURIComponent(img.subfolder)}&type=${img.type}`);
  assert.equal(r.status, 200);
});
