// The web UI in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core from npm):
// the page loads with the model's name, a question typed in (with a system prompt) gets a
// streamed answer and a tokens/s line, the language toggle switches the labels to Japanese and
// back, a second turn works, and typed text is never treated as HTML.
// Usage: node web_ui.mjs MEDLLM_BINARY REPO_DIR NODE_DIR
import path from "node:path";
import { pathToFileURL } from "node:url";

import { checker, startServer } from "./serve_helpers.mjs";

const [medllm, repo, nodeDir] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(nodeDir, "node_modules/playwright-core/index.mjs")).href);
const stories = path.join(repo, "data/models/stories260K/stories260K.gguf");

const { server, port } = await startServer(medllm, ["-m", stories, "-t", "2", "--model-id", "stories"]);
const checks = checker();
const { check } = checks;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => document.getElementById("model").textContent === "stories");
  check("English labels", (await page.textContent("#send")) === "Send");

  await page.fill("#system", "You tell stories.");
  await page.fill("#input", "Tell me about a cat");
  await page.click("#send");
  await page.waitForFunction(() => !document.getElementById("send").disabled &&
    document.querySelectorAll(".message.assistant").length === 1, null, { timeout: 60000 });
  const answer = await page.textContent(".message.assistant");
  check("the answer streamed in", answer.trim().length > 0, JSON.stringify(answer));
  const stats = await page.textContent("#stats");
  check("tokens/s shown", /\d+ tokens · [\d.]+ tokens\/s/.test(stats), stats);
  check("the question is shown", (await page.textContent(".message.user")) === "Tell me about a cat");

  await page.click("#language");
  check("Japanese labels", (await page.textContent("#send")) === "送信" &&
    (await page.textContent("#stats")).includes("トークン/秒"));
  await page.click("#language");
  check("English again", (await page.textContent("#send")) === "Send");

  // A second turn keeps the history; the model output is text, never markup.
  await page.fill("#input", "<b>and then?</b>");
  await page.click("#send");
  await page.waitForFunction(() => !document.getElementById("send").disabled &&
    document.querySelectorAll(".message.assistant").length === 2, null, { timeout: 60000 });
  check("user text is not HTML", (await page.textContent(".message.user:nth-of-type(3)")) === "<b>and then?</b>" &&
    (await page.$$("#messages b")).length === 0);
  check("no page errors", errors.length === 0, errors.join("; "));
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
console.log(`${checks.failures} failed`);
process.exit(checks.failures ? 1 : 0);
