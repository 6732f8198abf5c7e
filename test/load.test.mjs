// Load: the server with the real nodes and the fixture checkpoints, driven for LOAD_SECONDS (default 20)
// by LOAD_CLIENTS (default 4) concurrent WebSocket clients that queue text-to-image and upsampling
// prompts, prompts that fail while running, invalid prompts, long prompts they interrupt, and prompts
// they delete from the queue. At the end: every accepted prompt is in the history as success, error or
// interrupted (or was deleted before it ran and is nowhere), every output file is a complete PNG of the
// right size, every client saw each of its prompts finish, and throughput, queue latency, HTTP latency
// under load and memory are reported.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { startServer, builtinRegistry } from "glide-studio";
import { Rng } from "./fuzz/rng.mjs";
import { copyFixtureModels, openWs, request, tempPaths } from "./helpers/server-fixtures.mjs";

const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 4);
const SEED = Number(process.env.LOAD_SEED ?? 1);

/** The kinds of prompt a client sends, with the images each success must leave. */
function makePrompt(kind, rng, client) {
  const seed = rng.int(1e6);
  const base = {
    1: { class_type: "LoadCheckpoint", inputs: { ckpt_name: "base.pt" } },
    2: { class_type: "TextEncode", inputs: { model: ["1", 0], text: rng.pick(["a corgi", "an oil painting of a corgi", "", "a red cube"]) } },
    3: { class_type: "Guidance", inputs: { positive: ["2", 0], scale: 3 } },
  };
  const sample = (respacing, batch) => ({ class_type: "Sample", inputs: { model: ["1", 0], guidance: ["3", 0], respacing, sampler: rng.pick(["ddpm", "ddim"]), eta: 0, seed, batch_size: batch } });
  switch (kind) {
    case "base": {
      const batch = rng.range(1, 2);
      return { prompt: { ...base, 4: sample(String(rng.range(3, 8)), batch), 5: { class_type: "SaveImage", inputs: { images: ["4", 0], filename_prefix: `load/${client}` } } }, images: { size: 32, count: batch } };
    }
    case "upsample":
      return {
        prompt: {
          ...base,
          4: sample("4", 1),
          6: { class_type: "LoadCheckpoint", inputs: { ckpt_name: "upsample.pt" } },
          7: { class_type: "TextEncode", inputs: { model: ["6", 0], text: "a corgi" } },
          8: { class_type: "Upsample", inputs: { model: ["6", 0], image: ["4", 0], conditioning: ["7", 0], respacing: "4", sampler: "ddim", temperature: 0.997, seed } },
          9: { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: `load/${client}-up` } },
        },
        images: { size: 64, count: 1 },
      };
    case "long":
      return { prompt: { ...base, 4: sample("500", 1), 5: { class_type: "SaveImage", inputs: { images: ["4", 0], filename_prefix: `load/${client}-long` } } }, images: { size: 32, count: 1 } };
    case "fails":
      // Validates (the file is there) but cannot be decoded when it runs.
      return { prompt: { 1: { class_type: "LoadImage", inputs: { image: "broken.png" } }, 2: { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: `load/${client}-never` } } }, images: { size: 0, count: 0 } };
    default:
      return { prompt: { ...base, 4: sample("0", 1), 5: { class_type: "SaveImage", inputs: { images: ["4", 0] } } } };
  }
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};

test(`load: ${CLIENTS} WebSocket clients for ${SECONDS} s — every accepted prompt accounted for, every image complete`, { timeout: (SECONDS + 240) * 1000 }, async (t) => {
  const { root, paths } = await tempPaths("glide-load-");
  await copyFixtureModels(paths.models);
  fs.writeFileSync(path.join(paths.input, "broken.png"), Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(40, 7)]));
  const server = await startServer({ port: 0, registry: builtinRegistry(), paths });
  t.after(async () => {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const base = server.url;

  // Memory and HTTP responsiveness sampled throughout.
  const rss = [process.memoryUsage().rss];
  const httpMs = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t0 = performance.now();
      const r = await request(base, "/system_stats");
      httpMs.push(performance.now() - t0);
      assert.equal(r.status, 200);
      rss.push(process.memoryUsage().rss);
      await new Promise((res) => setTimeout(res, 250));
    }
  })();

  const accepted = new Map(); // prompt_id → {client, kind, images, queuedAt, deleted?, interrupted?}
  // History entries fetched as each prompt finishes: the server keeps only the newest 500, which a long
  // run outgrows.
  const entries = new Map();
  const counts = { queued: 0, rejected: 0, deleted: 0, deleteMissed: 0, interrupts: 0 };
  const deadline = Date.now() + SECONDS * 1000;

  async function client(index) {
    const clientId = `load-${index}`;
    const rng = new Rng(SEED * 100 + index);
    const ws = await openWs(base, { clientId });
    const mine = [];
    const finished = (id) => ws.messages.some((m) => m.type === "executing" && m.data?.node === null && m.data.prompt_id === id);
    const collect = async () => {
      for (const id of mine) {
        if (entries.has(id) || !finished(id)) continue;
        const r = await request(base, `/history/${id}`);
        if (r.json[id]) entries.set(id, r.json[id]);
      }
    };
    const queue = async (kind) => {
      const { prompt, images } = makePrompt(kind, rng, clientId);
      const r = await request(base, "/prompt", { method: "POST", body: { prompt, client_id: clientId } });
      if (kind === "invalid") {
        assert.equal(r.status, 400, `an invalid prompt was accepted: ${JSON.stringify(r.json)}`);
        assert.ok(r.json.node_errors["4"], JSON.stringify(r.json));
        counts.rejected++;
        return null;
      }
      assert.equal(r.status, 200, JSON.stringify(r.json));
      counts.queued++;
      accepted.set(r.json.prompt_id, { client: clientId, kind, images, queuedAt: Date.now() });
      mine.push(r.json.prompt_id);
      return r.json.prompt_id;
    };
    while (Date.now() < deadline) {
      await collect();
      // At most 3 of this client's prompts outstanding: a client waits like a user would.
      while (mine.filter((id) => !finished(id) && !accepted.get(id).deleted).length >= 3 && Date.now() < deadline + 60000) {
        await new Promise((res) => setTimeout(res, 20));
      }
      const roll = rng.int(100);
      if (roll < 45) await queue("base");
      else if (roll < 60) await queue("upsample");
      else if (roll < 68) await queue("fails");
      else if (roll < 73) await queue("invalid");
      else if (roll < 85) {
        // Queue, then delete from the queue straight away (it may already be running: then it runs).
        const id = await queue("base");
        const r = await request(base, "/queue", { method: "POST", body: { delete: [id] } });
        if (r.json.removed === 1) (accepted.get(id).deleted = true), counts.deleted++;
        else counts.deleteMissed++;
      } else {
        // A long prompt, interrupted once it runs.
        const id = await queue("long");
        await ws.waitFor((m) => m.type === "progress" && m.data.prompt_id === id, 120000).catch(() => null);
        const r = await request(base, "/interrupt", { method: "POST", body: { prompt_id: id } });
        if (r.json.interrupted) (accepted.get(id).interrupted = true), counts.interrupts++;
      }
    }
    // Wait for this client's prompts to finish and check it was told about each.
    for (const id of mine) {
      if (accepted.get(id).deleted) continue;
      await ws.waitFor((m) => m.type === "executing" && m.data?.node === null && m.data.prompt_id === id, 180000);
      await collect();
    }
    ws.close();
    return ws.messages;
  }

  const t0 = Date.now();
  const messages = (await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)))).flat();
  await server.worker.whenIdle();
  const elapsed = (Date.now() - t0) / 1000;
  sampling = false;
  await sampler;

  // Every accepted prompt is accounted for.
  const history = server.store.history();
  const byStatus = { success: 0, error: 0, interrupted: 0 };
  const queueLatency = [];
  const runSeconds = [];
  let images = 0;
  for (const [id, p] of accepted) {
    const h = entries.get(id) ?? history[id];
    if (p.deleted) {
      assert.equal(h, undefined, `${id} was deleted from the queue but ran`);
      continue;
    }
    assert.ok(h, `accepted prompt ${id} (${p.kind}) is not in the history`);
    const status = h.status.status_str;
    assert.ok(["success", "error", "interrupted"].includes(status), `${id}: status ${status}`);
    byStatus[status]++;
    if (p.kind === "fails") assert.equal(status, "error", `${id}: a prompt loading a broken image ended ${status}`);
    else if (p.interrupted) assert.ok(status === "interrupted" || status === "success", `${id}: interrupted prompt ended ${status}`);
    else assert.equal(status, "success", `${id} (${p.kind}) ended ${status}: ${JSON.stringify(h.status.messages.find(([t]) => t === "execution_error"))}`);
    const start = h.status.messages.find(([type]) => type === "execution_start");
    const end = h.status.messages.at(-1);
    if (start) queueLatency.push((start[1].timestamp - p.queuedAt) / 1000);
    if (start && end) runSeconds.push((end[1].timestamp - start[1].timestamp) / 1000);
    if (status !== "success") continue;
    // Every output file is complete: decodes as a PNG of the expected size, one per batch element.
    const refs = Object.values(h.outputs).flatMap((o) => o.images ?? []);
    assert.equal(refs.length, p.images.count, `${id}: ${refs.length} images for a batch of ${p.images.count}`);
    for (const ref of refs) {
      const png = PNG.sync.read(fs.readFileSync(path.join(paths.output, ref.subfolder, ref.filename)));
      assert.deepEqual([png.width, png.height], [p.images.size, p.images.size], `${ref.filename}`);
      images++;
    }
  }
  assert.equal(server.store.remaining(), 0, "the queue drained");
  // No temporary files left behind by the writers.
  const leftovers = fs.readdirSync(path.join(paths.output, "load")).filter((n) => n.endsWith(".tmp"));
  assert.deepEqual(leftovers, []);
  // Nothing was written for prompts that never succeeded.
  assert.equal(fs.readdirSync(path.join(paths.output, "load")).filter((n) => n.includes("-never")).length, 0);

  const ran = byStatus.success + byStatus.error + byStatus.interrupted;
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const report = {
    clients: CLIENTS,
    seconds: Number(elapsed.toFixed(1)),
    accepted: accepted.size,
    rejected_invalid: counts.rejected,
    deleted_from_queue: counts.deleted,
    delete_too_late: counts.deleteMissed,
    interrupted_on_request: counts.interrupts,
    ...byStatus,
    images,
    throughput_prompts_per_s: Number((ran / elapsed).toFixed(2)),
    queue_latency_s: { p50: Number(percentile(queueLatency, 0.5).toFixed(2)), p95: Number(percentile(queueLatency, 0.95).toFixed(2)), max: Number(Math.max(...queueLatency).toFixed(2)) },
    run_s: { p50: Number(percentile(runSeconds, 0.5).toFixed(2)), p95: Number(percentile(runSeconds, 0.95).toFixed(2)) },
    http_ms_under_load: { p50: Number(percentile(httpMs, 0.5).toFixed(1)), max: Number(Math.max(...httpMs).toFixed(1)) },
    rss_mb: { start: mb(rss[0]), peak: mb(Math.max(...rss)), end: mb(rss.at(-1)) },
    ws_messages: messages.length,
  };
  console.log(`load report: ${JSON.stringify(report)}`);
  assert.ok(byStatus.success >= CLIENTS, `only ${byStatus.success} prompts succeeded`);
  assert.ok(byStatus.error > 0 || SECONDS < 10, "the failing prompts ran");
  assert.ok(Math.max(...httpMs) < 1000, `an HTTP request took ${Math.max(...httpMs)} ms under load`);
  assert.ok(Math.max(...rss) < 1.5 * 2 ** 30, `resident memory peaked at ${mb(Math.max(...rss))} MiB`);
});
