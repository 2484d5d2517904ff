// A page bundled by Vite with its default configuration (`vite build`, no config file): the
// README's browser/main.js (import from "jazzrpc", no init() call), served with the route by
// a Node server (vite/server.js: jazzrpc/node, toNodeListener, the README's route and
// handler) on 127.0.0.1, and run in headless Chromium (Debian's `chromium`) driven by
// puppeteer-core: it books a ticket, then shows "400 Event is full".
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import puppeteer from "puppeteer-core";
import { createProject, makeWorkerAccount } from "./harness.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

test("Vite page in headless Chromium: books, then shows the JazzRequestError", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "vite", { folders: ["vite"], dependencies: ["zod", "vite"] });
  const worker = await makeWorkerAccount(project);
  await project.run(project.bin("vite"), ["build"], { env: { VITE_JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 120_000 });
  const built = await readdir(join(project.dir, "dist/assets"));
  project.log(`dist/assets: ${built.join(", ")}`);

  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const server = await project.start(process.execPath, ["server.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  const pageUrl = `${server.match[1]}/`;

  const profile = await mkdtemp(join(tmpdir(), "jazzrpc-consumer-chromium-"));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`], headless: true, timeout: 60_000 });
  t.after(async () => {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  });
  project.log(`chromium ${await browser.version()} opens ${pageUrl}`);
  const page = await browser.newPage();
  const seen = [];
  page.on("console", (message) => seen.push(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => seen.push(`pageerror: ${error.message}`));
  page.on("requestfailed", (request) => seen.push(`requestfailed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => seen.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`));
  await page.goto(pageUrl, { waitUntil: "load", timeout: 30_000 });
  await page
    .waitForFunction(() => document.querySelector("#out").textContent.split("\n").filter(Boolean).length >= 2, { timeout: 30_000 })
    .catch(async (error) => assert.fail(`the page did not show two lines: ${error.message}\n${await page.evaluate(() => document.body.innerText)}\n${seen.join("\n")}`));
  const shown = await page.evaluate(() => document.querySelector("#out").textContent.split("\n").filter(Boolean));
  project.log(`the page shows ${JSON.stringify(shown)}; it fetched: ${seen.filter((s) => /^\d{3} /.test(s)).join(", ")}`);
  assert.equal(shown.length, 2, `${JSON.stringify(shown)}\n${seen.join("\n")}`);
  assert.match(shown[0], /^booked jazz-night-3-/, seen.join("\n"));
  assert.equal(shown[1], "400 Event is full", seen.join("\n"));
});
