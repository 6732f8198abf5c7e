// The CLI as users run it (a child process): help for every command, the node schema, invalid
// workflows giving the structured report (never a stack trace), and `models download` against a local
// HTTP server: full download, resume with Range, a server ignoring Range, checksum mismatch, a cut
// connection followed by a resume.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listFolderFiles } from "glide-studio";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist/cli/main.js");
const fixture = path.join(root, "test/fixtures/glide/checkpoints/upsample.pt");

/** Runs the CLI asynchronously (the test's HTTP server shares this process's event loop). */
function run(args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: opts.cwd ?? os.tmpdir(), env: { ...process.env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "glide-cli-"));

test("--help for every command", async () => {
  const top = await run(["--help"]);
  assert.equal(top.code, 0);
  for (const cmd of ["run", "serve", "nodes", "models", "convert"]) {
    assert.match(top.stdout, new RegExp(`\\n  ${cmd} `), `${cmd} is listed`);
    const r = await run([cmd, "--help"]);
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: glide-studio ${cmd}`));
  }
  const bad = await run(["frobnicate"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
});

test("nodes prints the schema as JSON", async () => {
  const r = await run(["nodes"]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  for (const name of ["LoadCheckpoint", "TextEncode", "Guidance", "Sample", "Upsample", "Inpaint", "LoadImage", "LoadMask", "ImageResize", "SaveImage", "PreviewImage"]) {
    assert.ok(info[name], `${name} in the schema`);
  }
  assert.deepEqual(info.Sample.input.required.sampler, [["ddpm", "ddim"], info.Sample.input.required.sampler[1]]);
  assert.equal(info.SaveImage.output_node, true);
  const models = tmp();
  fs.writeFileSync(path.join(models, "mine.safetensors"), "");
  const withModels = JSON.parse((await run(["nodes", "LoadCheckpoint", "--models-dir", models])).stdout);
  // The user's checkpoints, then the bundled demo models (models/demo) as "demo/<file>".
  const bundled = listFolderFiles(path.join(root, "models"), [".pt", ".safetensors"]);
  assert.ok(bundled.every((f) => f.startsWith("demo/")), `bundled: ${bundled}`);
  assert.deepEqual(withModels.input.required.ckpt_name[0], ["mine.safetensors", ...bundled].sort());
  assert.deepEqual(withModels.input_order, { required: ["ckpt_name"], optional: ["precision", "device"] });
  const one = await run(["nodes", "Guidance"]);
  assert.deepEqual(JSON.parse(one.stdout).input_order, { required: ["positive", "scale"], optional: ["negative"] });
});

function writeJson(dir, name, value) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

test("run: invalid workflows give the report and exit 2, never a stack trace", async () => {
  const dir = tmp();
  const cases = [
    ["malformed.json", "{ not json", /is not valid JSON/],
    ["notworkflow.json", [1, 2], /not a workflow/],
    ["unknown.json", { "1": { class_type: "Frobnicate", inputs: {} }, "2": { class_type: "PreviewImage", inputs: { images: ["1", 0] } } }, /unknown node type "Frobnicate" \[unknown_node_type\]/],
    ["cycle.json", {
      "1": { class_type: "ImageResize", inputs: { image: ["2", 0], width: 8, height: 8, method: "bicubic" } },
      "2": { class_type: "ImageResize", inputs: { image: ["1", 0], width: 8, height: 8, method: "bicubic" } },
      "3": { class_type: "PreviewImage", inputs: { images: ["2", 0] } },
    }, /depends on itself: .*\[dependency_cycle\]/],
    ["errors.json", {
      "1": { class_type: "LoadImage", inputs: { image: "missing.png" } },
      "2": { class_type: "ImageResize", inputs: { image: ["1", 1], width: 0, height: 99999, method: "sideways" } },
      "3": { class_type: "ImageResize", inputs: { image: ["1", 0], width: 8, method: "bicubic" } },
      "4": { class_type: "ImageResize", inputs: { image: ["7", 0], width: 8, height: 8, method: "bicubic" } },
      "5": { class_type: "PreviewImage", inputs: { images: ["2", 0] } },
      "6": { class_type: "PreviewImage", inputs: { images: ["3", 0] } },
      "8": { class_type: "PreviewImage", inputs: { images: ["4", 0] } },
    }, /missing_input_file[\s\S]*return_type_mismatch[\s\S]*value_smaller_than_min[\s\S]*value_bigger_than_max[\s\S]*value_not_in_list[\s\S]*required_input_missing[\s\S]*bad_linked_input/],
    ["nooutputs.json", { "1": { class_type: "LoadImage", inputs: { image: "x.png" } } }, /Prompt has no outputs/],
  ];
  for (const [name, content, pattern] of cases) {
    const r = await run(["run", writeJson(dir, name, content), "--models-dir", dir]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, pattern, name);
    assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, `${name}: no stack trace`);
  }
  const errors = await run(["run", path.join(dir, "errors.json"), "--json"]);
  const report = JSON.parse(errors.stdout);
  assert.equal(report.error.type, "prompt_outputs_failed_validation");
  assert.deepEqual(report.node_errors["1"].errors[0].extra_info.folder, dir);
  assert.match(errors.stderr, /missing\.png" not found in /);
  const badSet = await run(["run", path.join(dir, "errors.json"), "--set", "2.nope=1"]);
  assert.equal(badSet.code, 2);
  assert.match(badSet.stderr, /ImageResize has no input "nope"/);
  const missing = await run(["run", path.join(dir, "absent.json")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*absent\.json: ENOENT/);
});

/** A local stand-in for the blob store: Range support, Content-MD5, and switches to misbehave. */
async function blobServer(file) {
  const bytes = fs.readFileSync(file);
  const md5 = createHash("md5").update(bytes).digest("base64");
  const state = { ignoreRange: false, badMd5: false, cutAfter: 0, requests: [] };
  const server = http.createServer((req, res) => {
    state.requests.push({ url: req.url, range: req.headers.range });
    if (req.url !== `/dec-2021/${path.basename(file)}`) {
      res.writeHead(404).end();
      return;
    }
    const headers = { "x-ms-blob-content-md5": state.badMd5 ? "AAAAAAAAAAAAAAAAAAAAAA==" : md5, etag: '"v1"' };
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    let body = bytes;
    if (m && !state.ignoreRange) {
      const start = Number(m[1]);
      body = bytes.subarray(start);
      res.writeHead(206, { ...headers, "content-length": body.length, "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, "content-length": bytes.length });
    }
    if (state.cutAfter) {
      res.write(body.subarray(0, state.cutAfter));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { state, bytes, url: `http://127.0.0.1:${server.address().port}/dec-2021`, close: () => new Promise((r) => server.close(r)) };
}

test("models download: full, resumed, Range ignored, checksum mismatch, cut connection", async () => {
  const srv = await blobServer(fixture);
  try {
    const models = tmp();
    const dest = path.join(models, "upsample.pt");
    const full = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url]);
    assert.equal(full.code, 0, full.stderr);
    assert.ok(fs.readFileSync(dest).equals(srv.bytes));
    assert.match(full.stdout, /verified: size, md5/);
    assert.match(full.stdout, /sha256 [0-9a-f]{64}/);
    assert.deepEqual(fs.readdirSync(models), ["upsample.pt"], "no partial files left");

    const again = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url]);
    assert.match(again.stdout, /already present/);

    // Resume: the first 1 MiB is on disk from an interrupted run.
    fs.rmSync(dest);
    fs.writeFileSync(`${dest}.part`, srv.bytes.subarray(0, 1 << 20));
    fs.writeFileSync(`${dest}.part.json`, JSON.stringify({ url: `${srv.url}/upsample.pt`, etag: '"v1"', total: srv.bytes.length }));
    srv.state.requests.length = 0;
    const resumed = await run(["models", "download", "upsample", "--models-dir", models], { env: { GLIDE_STUDIO_DOWNLOAD_URL: srv.url } });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(srv.state.requests.map((r) => r.range), [`bytes=${1 << 20}-`]);
    assert.match(resumed.stdout, /resumed at 1\.0 MiB/);
    assert.ok(fs.readFileSync(dest).equals(srv.bytes));

    // A server that ignores Range sends the whole file: the download restarts cleanly.
    fs.rmSync(dest);
    fs.writeFileSync(`${dest}.part`, Buffer.alloc(1000, 7));
    fs.writeFileSync(`${dest}.part.json`, JSON.stringify({ url: `${srv.url}/upsample.pt` }));
    srv.state.ignoreRange = true;
    const restarted = await run(["models", "download", "upsample", "--models-dir", models, "--url", srv.url]);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.ok(fs.readFileSync(dest).equals(srv.bytes));
    srv.state.ignoreRange = false;

    // Checksum mismatch: nothing is kept under the final name.
    fs.rmSync(dest);
    srv.state.badMd5 = true;
    const bad = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /MD5 mismatch/);
    assert.deepEqual(fs.readdirSync(models), []);
    srv.state.badMd5 = false;

    // A given SHA-256 is checked too.
    const wrongSha = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url, "--sha256", "0".repeat(64)]);
    assert.equal(wrongSha.code, 1);
    assert.match(wrongSha.stderr, /SHA-256 mismatch/);

    // The connection drops after 300 kB: the next run resumes from there.
    srv.state.cutAfter = 300_000;
    const cut = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url]);
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /run the command again to resume/);
    assert.ok(fs.statSync(`${dest}.part`).size >= 300_000);
    srv.state.cutAfter = 0;
    srv.state.requests.length = 0;
    const finish = await run(["models", "download", "upsample", "--models-dir", models, "--base-url", srv.url]);
    assert.equal(finish.code, 0, finish.stderr);
    assert.match(srv.state.requests[0].range, /^bytes=\d+-$/);
    assert.ok(fs.readFileSync(dest).equals(srv.bytes));

    const unknown = await run(["models", "download", "gpt5", "--models-dir", models, "--base-url", srv.url]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown model "gpt5"/);
    const http404 = await run(["models", "download", "base", "--models-dir", models, "--base-url", srv.url]);
    assert.equal(http404.code, 1);
    assert.match(http404.stderr, /HTTP 404/);
  } finally {
    await srv.close();
  }
});

test("models list and info read the folder, naming what is not a GLIDE UNet", async () => {
  const models = tmp();
  fs.copyFileSync(path.join(root, "test/fixtures/glide/checkpoints/clip_text_enc.pt"), path.join(models, "clip_text_enc.pt"));
  fs.writeFileSync(path.join(models, "junk.pt"), "not a checkpoint");
  const list = await run(["models", "list", "--models-dir", models]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /clip_text_enc\.pt .* CLIP text encoder/);
  assert.match(list.stdout, /junk\.pt .* unreadable/);
  assert.match(list.stdout, /downloadable:\n  base /);
  const info = await run(["models", "info", "clip_text_enc.pt", "--models-dir", models]);
  assert.equal(info.code, 0, info.stderr);
  assert.equal(JSON.parse(info.stdout).format, "pytorch");
  const none = await run(["models", "info", "base", "--models-dir", models]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /base\.pt does not exist \(models folder: /);
});
