// Server security: Host checks against DNS rebinding, Origin / Fetch-Metadata checks against
// cross-site requests (HTTP and WebSocket), the access token, /view path traversal, and uploads
// (size and type limits, decoding before storing, safe names, masks).
import test from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import net from "node:net";
import { promises as fs } from "node:fs";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { startTestServer, request, openWs, multipart, makePng, countPrompt } from "./helpers/server-fixtures.mjs";

test("Host header: loopback names pass, other names (DNS rebinding) are refused", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const port = new URL(base).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, "127.0.0.1"]) {
    const r = await request(base, "/system_stats", { headers: { host } });
    assert.equal(r.status, 200, host);
  }
  for (const host of [`evil.example:${port}`, `192.168.1.20:${port}`, `localhost.evil.example:${port}`]) {
    const r = await request(base, "/system_stats", { headers: { host } });
    assert.equal(r.status, 403, host);
    assert.match(r.json.error.message, /DNS rebinding/);
  }
  // No Host header at all.
  const raw = await new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), "127.0.0.1", () => sock.end("GET /system_stats HTTP/1.0\r\n\r\n"));
    let out = "";
    sock.on("data", (d) => (out += d));
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
  assert.match(raw, /^HTTP\/1\.[01] 400/);
  // A rebinding page cannot open the WebSocket either.
  await assert.rejects(openWs(base, { headers: { host: `evil.example:${port}` } }), /403/);
});

test("--allow-host adds a name; a specific listen address is accepted", async (t) => {
  const { server, base } = await startTestServer({ allowedHosts: ["studio.lan"] });
  t.after(() => server.close());
  const r = await request(base, "/system_stats", { headers: { host: "studio.lan:8188" } });
  assert.equal(r.status, 200);
});

test("cross-site requests are refused (Origin and Sec-Fetch-Site), same-origin ones pass", async (t) => {
  const { server, base } = await startTestServer();
  t.after(() => server.close());
  const body = { prompt: countPrompt() };
  let r = await request(base, "/prompt", { method: "POST", body, headers: { origin: "http://evil.example" } });
  assert.equal(r.status, 403);
  r = await request(base, "/interrupt", { method: "POST", body: {}, headers: { origin: "null" } });
  assert.equal(r.status, 403);
  r = await request(base, "/queue", { method: "POST", body: { clear: true }, headers: { "sec-fetch-site": "cross-site" } });
  assert.equal(r.status, 403);
  r = await request(base, "/history", { headers: { origin: `http://localhost:1` } });
  assert.equal(r.status, 403, "another port is another origin");
  r = await request(base, "/prompt", { method: "POST", body, headers: { origin: base } });
  assert.equal(r.status, 200);
  r = await request(base, "/history", { headers: { "sec-fetch-site": "same-origin", origin: base } });
  assert.equal(r.status, 200);
  // WebSockets get no CORS protection from browsers: the Origin check is what protects them.
  await assert.rejects(openWs(base, { headers: { origin: "http://evil.example" } }), /403/);
  const ws = await openWs(base, { headers: { origin: base } });
  ws.close();
});

test("access token: required for every route and the WebSocket; the page link sets a strict cookie", async (t) => {
  const token = "s3cret-token-value";
  const { server, base } = await startTestServer({ token });
  t.after(() => server.close());
  assert.equal(server.token, token);
  let r = await request(base, "/object_info");
  assert.equal(r.status, 401);
  r = await request(base, "/");
  assert.equal(r.status, 401);
  assert.match(r.body.toString(), /token/);
  r = await request(base, "/object_info", { headers: { authorization: "Bearer wrong-token-value" } });
  assert.equal(r.status, 401);
  r = await request(base, "/object_info", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  r = await request(base, `/object_info?token=${token}`);
  assert.equal(r.status, 200);
  r = await request(base, `/?token=${token}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, "/");
  const cookie = r.headers["set-cookie"][0];
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  r = await request(base, "/", { headers: { cookie: cookie.split(";")[0] } });
  assert.equal(r.status, 200);
  await assert.rejects(openWs(base), /401/);
  const ws = await openWs(base, { query: `&token=${token}` });
  ws.close();
  const ws2 = await openWs(base, { headers: { cookie: cookie.split(";")[0] } });
  ws2.close();
});

test("listening off loopback without a token generates one", async (t) => {
  const { server, base } = await startTestServer({ listen: "0.0.0.0" });
  t.after(() => server.close());
  assert.equal(server.tokenGenerated, true);
  assert.ok(server.token.length >= 24);
  let r = await request(base, "/system_stats");
  assert.equal(r.status, 401);
  r = await request(base, "/system_stats", { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(r.status, 200);
});

test("/view serves only files inside output/input/temp", async (t) => {
  const { server, base, paths, root } = await startTestServer();
  t.after(() => server.close());
  await fs.writeFile(path.join(paths.output, "ok.png"), makePng(2, 2));
  await fs.mkdir(path.join(paths.output, "sub"), { recursive: true });
  await fs.writeFile(path.join(paths.output, "sub", "in-sub.png"), makePng(2, 2));
  await fs.writeFile(path.join(root, "secret.png"), makePng(2, 2));
  await fs.writeFile(path.join(paths.data, "secret.png"), makePng(2, 2));
  await fs.symlink(path.join(root, "secret.png"), path.join(paths.output, "link.png"));
  await fs.writeFile(path.join(paths.input, "in.png"), makePng(3, 3));

  let r = await request(base, "/view?filename=ok.png");
  assert.equal(r.status, 200);
  r = await request(base, "/view?filename=in-sub.png&subfolder=sub&type=output");
  assert.equal(r.status, 200);
  r = await request(base, "/view?filename=in.png&type=input");
  assert.equal(r.status, 200);
  const attempts = [
    "/view?filename=..%2Fsecret.png",
    "/view?filename=secret.png&subfolder=..",
    "/view?filename=secret.png&subfolder=..%2Fdata",
    "/view?filename=secret.png&subfolder=%2E%2E",
    "/view?filename=%2Fetc%2Fpasswd.png",
    "/view?filename=secret.png&subfolder=%2Ftmp",
    "/view?filename=..%5Csecret.png",
    "/view?filename=secret.png%00.png",
    "/view?filename=link.png",
    "/view?filename=secret.png&type=data",
    "/view?filename=secret.png&type=..",
    "/view?filename=queue.json&subfolder=..%2Fdata",
    "/view?filename=ok.png&subfolder=sub%2F..%2F..",
    "/view?filename[]=ok.png",
  ];
  for (const a of attempts) {
    r = await request(base, a);
    assert.ok([400, 404, 415].includes(r.status), `${a} → ${r.status}`);
    assert.ok(!r.body.subarray(0, 8).equals(makePng(2, 2).subarray(0, 8)), `${a} leaked a file`);
  }
  r = await request(base, "/view");
  assert.equal(r.status, 400);
});

test("uploads: images are decoded and stored as PNG under safe unique names; limits hold", async (t) => {
  const { server, base, paths } = await startTestServer({ limits: { maxUploadBytes: 200_000, maxImageSide: 512 } });
  t.after(() => server.close());
  const up = (fields, file, route = "/upload/image") => {
    const m = multipart(fields, file);
    return request(base, route, { method: "POST", body: m.body, headers: m.headers });
  };
  // A PNG with trailing junk is re-encoded: the stored file is a clean PNG of the same pixels.
  const png = Buffer.concat([makePng(5, 4, [10, 20, 30, 255]), Buffer.from("<script>alert(1)</script>")]);
  let r = await up({}, { name: "../../evil name!.png", bytes: png });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { name: "evil name_.png", subfolder: "", type: "input" });
  const stored = await fs.readFile(path.join(paths.input, "evil name_.png"));
  assert.ok(!stored.includes(Buffer.from("<script>")));
  const decoded = PNG.sync.read(stored);
  assert.deepEqual([decoded.width, decoded.height], [5, 4]);
  assert.deepEqual([...decoded.data.subarray(0, 4)], [10, 20, 30, 255]);
  // Same name again: a new name, the first file is kept; overwrite=true replaces.
  r = await up({}, { name: "evil name!.png", bytes: png });
  assert.equal(r.json.name, "evil name_ (1).png");
  r = await up({ overwrite: "true" }, { name: "evil name!.png", bytes: makePng(2, 2) });
  assert.equal(r.json.name, "evil name_.png");
  assert.equal(PNG.sync.read(await fs.readFile(path.join(paths.input, "evil name_.png"))).width, 2);
  // A JPEG is decoded and stored as PNG; a subfolder is created inside input/.
  const rgba = Buffer.alloc(8 * 8 * 4, 128);
  const jpg = jpeg.encode({ width: 8, height: 8, data: rgba }, 90).data;
  r = await up({ subfolder: "photos" }, { name: "cat.jpg", bytes: jpg, type: "image/jpeg" });
  assert.deepEqual(r.json, { name: "cat.png", subfolder: "photos", type: "input" });
  assert.equal(PNG.sync.read(await fs.readFile(path.join(paths.input, "photos", "cat.png"))).width, 8);
  r = await request(base, "/view?filename=cat.png&subfolder=photos&type=input");
  assert.equal(r.status, 200);
  // The new file appears in the LoadImage-style choices at the next /object_info (file lists are live).

  // Refused: not an image (whatever the declared type), too large, too many pixels, bad places.
  r = await up({}, { name: "x.png", bytes: Buffer.from("GIF89a not really"), type: "image/png" });
  assert.equal(r.status, 415);
  r = await up({}, { name: "big.png", bytes: Buffer.alloc(300_000, 1) });
  assert.equal(r.status, 413);
  const bomb = makePng(1, 1);
  bomb.writeUInt32BE(100000, 16); // IHDR width
  bomb.writeUInt32BE(100000, 20); // IHDR height
  r = await up({}, { name: "bomb.png", bytes: bomb });
  assert.equal(r.status, 413);
  assert.match(r.json.error.message, /100000x100000/);
  r = await up({}, { name: "trunc.png", bytes: makePng(4, 4).subarray(0, 40) });
  assert.equal(r.status, 400);
  r = await up({ subfolder: "../data" }, { name: "x.png", bytes: makePng(2, 2) });
  assert.equal(r.status, 400);
  r = await up({ subfolder: "/tmp" }, { name: "x.png", bytes: makePng(2, 2) });
  assert.equal(r.status, 400);
  r = await up({ type: "output" }, { name: "x.png", bytes: makePng(2, 2) });
  assert.equal(r.status, 400);
  r = await up({}, undefined);
  assert.equal(r.status, 400);
  const entries = await fs.readdir(paths.data);
  assert.ok(!entries.includes("x.png"));
});

test("mask upload: the painted alpha becomes the image's alpha; sizes must match", async (t) => {
  const { server, base, paths } = await startTestServer();
  t.after(() => server.close());
  await fs.writeFile(path.join(paths.input, "photo.png"), makePng(4, 2, [9, 8, 7, 255]));
  const mask = new PNG({ width: 4, height: 2 });
  for (let i = 0; i < 8; i++) mask.data.set([255, 255, 255, i < 4 ? 0 : 255], i * 4); // top row painted
  const m = multipart({ original_ref: JSON.stringify({ filename: "photo.png", subfolder: "", type: "input" }), overwrite: "true" }, { name: "photo-mask.png", bytes: PNG.sync.write(mask) });
  let r = await request(base, "/upload/mask", { method: "POST", body: m.body, headers: m.headers });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json, { name: "photo-mask.png", subfolder: "", type: "input" });
  const out = PNG.sync.read(await fs.readFile(path.join(paths.input, "photo-mask.png")));
  assert.deepEqual([...out.data.subarray(0, 4)], [9, 8, 7, 0]);
  assert.deepEqual([...out.data.subarray(16, 20)], [9, 8, 7, 255]);

  const wrong = multipart({ original_ref: JSON.stringify({ filename: "photo.png" }) }, { name: "m.png", bytes: makePng(3, 3) });
  r = await request(base, "/upload/mask", { method: "POST", body: wrong.body, headers: wrong.headers });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /3x3.*4x2/);
  const escape = multipart({ original_ref: JSON.stringify({ filename: "../data/queue.json" }) }, { name: "m.png", bytes: makePng(4, 2) });
  r = await request(base, "/upload/mask", { method: "POST", body: escape.body, headers: escape.headers });
  assert.equal(r.status, 400);
  const noRef = multipart({}, { name: "m.png", bytes: makePng(4, 2) });
  r = await request(base, "/upload/mask", { method: "POST", body: noRef.body, headers: noRef.headers });
  assert.equal(r.status, 400);
});
