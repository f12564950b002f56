// The web UI in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core from npm),
// against `medllm serve` with an API key:
//  - without the key the page says why; with it, the model's name shows;
//  - Enter sends and Shift+Enter is a new line; the answer streams in with a tokens/s line; the
//    request carries the system prompt and the sampling settings;
//  - every label exists in English and Japanese; typed text is never treated as HTML;
//  - the copy button puts the answer on the clipboard; regenerate re-asks the last question and
//    replaces its answer; max tokens 3 marks the answer as cut (finish_reason "length");
//  - a failed request (wrong API key) shows its error where it is seen, and the next message still
//    works (the failed question is not sent again: roles keep alternating);
//  - Stop keeps the part of the answer that came, marked; Clear while an answer streams aborts
//    it (the request is cancelled), nothing of it comes back, and the next message works;
//  - conversations and settings survive a reload; the list creates, switches and deletes them;
//  - a stored answer renders as Markdown (a code block), and hostile HTML in it stays text;
//  - on a narrow screen the list hides behind ☰; no script errors and no CSP violations.
// Usage: node web_ui.mjs MEDLLM_BINARY REPO_DIR NODE_DIR   (MEDLLM_WEB_SCREENSHOTS=DIR also saves PNGs)
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { pathToFileURL } from "node:url";

import { checker, startServer } from "./serve_helpers.mjs";

const [medllm, repo, nodeDir] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(path.join(nodeDir, "node_modules/playwright-core/index.mjs")).href);
const stories = path.join(repo, "data/models/stories260K/stories260K.gguf");
const screenshots = process.env.MEDLLM_WEB_SCREENSHOTS;

const key = "web-ui-test-key";
const { server, port } = await startServer(medllm, ["-m", stories, "-t", "2", "--model-id", "stories", "--api-key", key]);
const checks = checker();
const { check } = checks;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu"] });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
    permissions: ["clipboard-read", "clipboard-write"] });
  // window.__slowStream makes the page read the response in 64-byte pieces, 20 ms apart, so an
  // answer is still streaming when the test presses Clear (stories260K answers in well under a second).
  await context.addInitScript(() => {
    const read = ReadableStreamDefaultReader.prototype.read;
    const left = new WeakMap();
    ReadableStreamDefaultReader.prototype.read = async function () {
      if (!window.__slowStream) return read.call(this);
      await new Promise((resolve) => setTimeout(resolve, 20));
      let bytes = left.get(this);
      if (!bytes || !bytes.length) {
        const next = await read.call(this);
        if (next.done) return next;
        bytes = next.value;
      }
      left.set(this, bytes.subarray(64));
      return { value: bytes.subarray(0, 64), done: false };
    };
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (/Content.Security.Policy/i.test(m.text())) errors.push(m.text()); });
  const bodies = [];
  page.on("request", (r) => { if (r.url().endsWith("/v1/chat/completions")) bodies.push(JSON.parse(r.postData())); });
  let aborted = 0;  // requests the page cancelled (Stop, Clear)
  page.on("requestfailed", (r) => { if (r.url().endsWith("/v1/chat/completions")) aborted++; });
  const idle = () => page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 60000 });
  const count = (selector) => page.$$eval(selector, (e) => e.length);
  const texts = (selector) => page.$$eval(selector, (e) => e.map((x) => x.textContent));
  const ask = async (text) => { await page.fill("#input", text); await page.press("#input", "Enter"); await idle(); };
  const setKey = async (value) => { await page.fill("#apiKey", value); await page.press("#apiKey", "Tab"); };
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem("medllm.conversations") || "[]"));
  // Whether the element is on screen and on top (not under the footer or another element).
  const seen = (selector) => page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && e.contains(hit);
  });

  const shot = async (name) => { if (screenshots) await page.screenshot({ path: path.join(screenshots, name) }); };

  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForSelector("#banner:not([hidden])");
  await shot("web-desktop-no-key.png");
  check("without the key the page says why", (await page.textContent("#bannerText")).includes("API key"),
        await page.textContent("#bannerText"));
  check("without the key the settings open", await page.$eval("#settings", (d) => d.open));
  await setKey(key);
  await page.waitForFunction(() => document.getElementById("model").textContent === "stories");
  check("the banner goes once the key is right", await page.isHidden("#banner"));
  check("English labels", (await page.textContent("#send")) === "Send");

  // Enter sends, Shift+Enter is a new line.
  await page.fill("#system", "You tell stories.");
  await page.fill("#input", "Tell me about");
  await page.press("#input", "Shift+Enter");
  await page.keyboard.type("a cat");
  check("Shift+Enter inserts a new line", (await page.inputValue("#input")) === "Tell me about\na cat" && !bodies.length,
        JSON.stringify(await page.inputValue("#input")));
  await page.press("#input", "Enter");
  await idle();
  const answer = await page.textContent(".message.assistant .content");
  check("Enter sent; the answer streamed in", answer.trim().length > 0 && (await page.inputValue("#input")) === "",
        JSON.stringify(answer));
  const stats = await page.textContent("#stats");
  check("tokens/s shown", /\d+ tokens · [\d.]+ tokens\/s/.test(stats), stats);
  check("the question is shown", (await page.textContent(".message.user")) === "Tell me about\na cat");
  check("the request has the system prompt, the question and the settings", isDeepStrictEqual(bodies[0], {
    messages: [{ role: "system", content: "You tell stories." }, { role: "user", content: "Tell me about\na cat" }],
    stream: true, temperature: 0.8, top_p: 0.95, max_tokens: 512 }), JSON.stringify(bodies[0]));

  await page.click("#language");
  check("Japanese labels", (await page.textContent("#send")) === "送信" &&
    (await page.textContent("#stats")).includes("トークン/秒") &&
    (await page.textContent(".message.assistant .copy")) === "コピー");
  await page.click("#language");
  check("English again", (await page.textContent("#send")) === "Send");

  // Copy puts the answer (its Markdown source) on the clipboard.
  await page.click(".message.assistant .copy");
  const clipboard = await page.evaluate(() => navigator.clipboard.readText());
  check("copy puts the answer on the clipboard", clipboard === (await stored())[0].messages[1].content &&
    clipboard.trim() !== "", JSON.stringify(clipboard));

  // A second turn keeps the history; typed text is text, never markup.
  await ask("<b>and then?</b>");
  check("two answers", (await count(".message.assistant")) === 2);
  check("user text is not HTML", (await page.textContent(".message.user:nth-of-type(3)")) === "<b>and then?</b>" &&
    (await page.$$("#messages b")).length === 0);
  check("the second request has the history", bodies[1]?.messages.length === 4 &&
    bodies[1].messages[2].role === "assistant", JSON.stringify(bodies[1]?.messages));

  // Regenerate re-asks the last question and replaces its answer.
  await page.click("#regenerate");
  await idle();
  check("regenerate re-asks the same question", isDeepStrictEqual(bodies[2]?.messages, bodies[1].messages),
        JSON.stringify(bodies[2]?.messages));
  check("regenerate replaces the last answer", (await count(".message.assistant")) === 2 &&
    (await count(".message.user")) === 2 && (await stored())[0].messages.length === 4);

  // Settings are sent; max tokens 3 cuts the answer, and the page says so.
  await page.fill("#temperature", "0.5");
  await page.fill("#topP", "0.9");
  await page.fill("#maxTokens", "3");
  await ask("Once upon a time");
  check("the settings are sent", bodies[3]?.temperature === 0.5 && bodies[3].top_p === 0.9 && bodies[3].max_tokens === 3,
        JSON.stringify(bodies[3]));
  check("an answer cut at max tokens is marked",
    (await page.textContent(".message.assistant:last-of-type .note.cut")) === "Cut off at the max tokens limit");

  // A failed request (wrong key) shows its error where it is seen; the next message still works.
  await setKey("wrong-key");
  await ask("Will this fail?");
  await shot("web-desktop-failed.png");
  check("the failed question is marked", (await texts(".message.user.failed")).join() === "Will this fail?");
  check("the error says why", (await page.textContent(".message.error")).includes("API key"),
        await page.textContent(".message.error"));
  check("the error is in view, not under the footer", await seen(".message.error"));
  await setKey(key);
  await ask("Try again");
  const afterFailure = bodies[5]?.messages ?? [];
  check("after a failure the next message works", (await count(".message.error")) === 1 &&
    (await count(".message.assistant")) === 4, await page.textContent("#messages"));
  check("the new answer is in view", (await count(".message.assistant:last-of-type")) === 1 &&
    await seen(".message.assistant:last-of-type .content"));
  check("the failed question is not sent again", afterFailure.length === 8 &&
    !afterFailure.some((m) => m.content === "Will this fail?") &&
    afterFailure.every((m, i) => i === 0 || m.role === (i % 2 ? "user" : "assistant")), JSON.stringify(afterFailure));

  // Every label in both languages (the page now shows the copy, cut, failed and not-sent labels too).
  const labelSet = () => page.evaluate(() => {
    const out = {};
    for (const e of document.querySelectorAll("[data-label]")) out[e.dataset.label] = e.textContent;
    for (const e of document.querySelectorAll("[data-title-label]")) out[`title:${e.dataset.titleLabel}`] = e.title;
    out.placeholder = document.getElementById("input").placeholder;
    return out;
  });
  const english = await labelSet();
  await page.click("#language");
  const japanese = await labelSet();
  await page.click("#language");
  const missing = Object.keys(english).filter((k) => !english[k] || !japanese[k] || english[k] === japanese[k]);
  check("every label is in English and Japanese", Object.keys(english).length >= 18 && !missing.length,
        `${Object.keys(english).length} labels; missing: ${missing}`);
  check("the label tables match", await page.evaluate(() => {
    const [en, ja] = [Object.keys(labels.en).sort(), Object.keys(labels.ja).sort()];
    return en.join() === ja.join() && en.every((k) => labels.en[k] && labels.ja[k]);
  }));

  // A reload keeps the conversation and the settings.
  const before = await texts(".message");
  await shot("web-desktop-chat.png");
  await page.reload();
  await page.waitForFunction(() => document.getElementById("model").textContent === "stories");
  check("a reload keeps the conversation", isDeepStrictEqual(await texts(".message"), before));
  check("a reload keeps the settings", (await page.inputValue("#maxTokens")) === "3" &&
    (await page.inputValue("#temperature")) === "0.5" && (await page.inputValue("#system")) === "You tell stories.");

  // Clear while an answer streams: it is aborted, and the next message works.
  await page.click("#settings summary");
  await page.fill("#maxTokens", "400");
  await page.evaluate(() => { window.__slowStream = true; });
  await page.fill("#input", "Stop me");
  await page.press("#input", "Enter");
  await page.waitForFunction(() => document.querySelector(".message.assistant:last-of-type .content")?.textContent,
    null, { timeout: 60000 });
  await page.click("#stop");
  await idle();
  check("Stop keeps what came, marked", (await page.textContent(".message.assistant:last-of-type .note.stopped")) ===
    "Stopped" && (await page.textContent(".message.assistant:last-of-type .content")).trim() !== "");
  await page.fill("#input", "Tell me a long story");
  await page.press("#input", "Enter");
  await page.waitForFunction(() => document.querySelector(".message.assistant:last-of-type .content")?.textContent,
    null, { timeout: 60000 });
  const streaming = await page.isDisabled("#send");
  const abortedBefore = aborted;
  await page.click("#clear");
  check("Clear during streaming clears at once", streaming && (await count("#messages > *")) === 0);
  const ended = await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 3000 })
    .then(() => true, () => false);
  check("Clear aborts the stream", ended && aborted === abortedBefore + 1, `${ended} ${aborted - abortedBefore}`);
  await idle();
  await page.evaluate(() => { window.__slowStream = false; });
  await page.waitForTimeout(500);
  check("the aborted answer does not come back", (await count("#messages > *")) === 0 &&
    (await stored()).every((c) => c.messages.length === 0));
  await page.fill("#maxTokens", "3");
  await ask("Hello again");
  check("after Clear the next message works", (await count(".message.assistant")) === 1 &&
    (await count(".message.error")) === 0 && isDeepStrictEqual(bodies.at(-1).messages,
      [{ role: "system", content: "You tell stories." }, { role: "user", content: "Hello again" }]),
    JSON.stringify(bodies.at(-1).messages));

  // The list: a new conversation, switching between the two, deleting one.
  await page.click("#new");
  check("New chat starts empty", (await count("#messages > *")) === 0);
  await ask("Second conversation");
  const titles = await texts("#conversations .open");
  check("the list has both", titles.length === 2 && titles.includes("Hello again") && titles.includes("Second conversation"),
        JSON.stringify(titles));
  await page.click("#conversations .open >> text=Hello again");
  check("switching shows the first", (await texts(".message.user")).join() === "Hello again");
  await page.click("#conversations .open >> text=Second conversation");
  check("and back to the second", (await texts(".message.user")).join() === "Second conversation");
  await page.reload();
  check("a reload keeps both and the current one", (await count("#conversations li")) === 2 &&
    (await texts(".message.user")).join() === "Second conversation");
  await page.click("#conversations li.active .delete");
  check("delete removes it", (await texts("#conversations .open")).join() === "Hello again" &&
    (await texts(".message.user")).join() === "Hello again" && (await stored()).length === 1);

  // Markdown: a stored answer renders with a code block; hostile HTML in it stays text.
  await page.evaluate(() => {
    const answer = "Here is code:\n\n```js\nconst a = 1 < 2;\n```\n\n- **bold** item\n\n" +
      "<img src=x onerror=\"window.__pwned = 1\"> <script>window.__pwned = 2</script>\n\n" +
      "[a link](javascript:window.__pwned=3) and `inline <b>code</b>`";
    localStorage.setItem("medllm.conversations", JSON.stringify([{ id: "md", title: "Markdown", system: "",
      updated: Date.now(), messages: [{ role: "user", content: "Show me code" }, { role: "assistant", content: answer }] }]));
    localStorage.setItem("medllm.current", "md");
  });
  await page.reload();
  await page.waitForSelector(".message.assistant pre code");
  check("a code block is rendered", (await page.textContent(".message.assistant pre code")) === "const a = 1 < 2;\n" &&
    (await page.textContent(".message.assistant li strong")) === "bold");
  await page.waitForTimeout(200);
  check("hostile HTML stays text", await page.evaluate(() => {
    const m = document.querySelector(".message.assistant .content");
    return !m.querySelector("img, script, b, [onerror]") && window.__pwned === undefined &&
      m.textContent.includes("<img src=x onerror=") && m.textContent.includes("<script>") &&
      [...m.querySelectorAll("a")].every((a) => !a.href.startsWith("javascript"));
  }), await page.innerHTML(".message.assistant .content"));

  // Narrow screens: the list hides behind ☰ and closes on a tap beside it.
  await shot("web-desktop-markdown.png");
  await page.setViewportSize({ width: 390, height: 760 });
  check("narrow: the list is behind the menu button", await page.isVisible("#menu") && await page.isHidden("#sidebar"));
  await shot("web-narrow.png");
  await page.click("#menu");
  await page.click("#language");
  check("narrow: the menu button shows the list", await page.isVisible("#conversations .open"));
  await shot("web-narrow-list-ja.png");
  await page.mouse.click(370, 400);
  check("narrow: a tap beside the list closes it", await page.isHidden("#sidebar"));
  await shot("web-narrow-ja.png");
  check("no page errors or CSP violations", errors.length === 0, errors.join("; "));
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
console.log(`${checks.failures} failed`);
process.exit(checks.failures ? 1 : 0);
