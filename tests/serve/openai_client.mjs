// `medllm serve` driven by the official `openai` npm client (pinned in tests/node/package.json):
// completions and chat, streaming and not, echo + logprobs scoring, models, and the client's
// error types for refused requests.
// Usage: node openai_client.mjs MEDLLM_BINARY REPO_DIR NODE_DIR
import path from "node:path";
import { pathToFileURL } from "node:url";

import { checker, startServer } from "./serve_helpers.mjs";

const [medllm, repo, nodeDir] = process.argv.slice(2);
const { default: OpenAI } = await import(pathToFileURL(path.join(nodeDir, "node_modules/openai/index.mjs")).href);
const stories = path.join(repo, "data/models/stories260K/stories260K.gguf");

const { server, port } = await startServer(medllm, ["-m", stories, "-t", "2", "--parallel", "4",
  "--model-id", "stories", "--api-key", "k"]);
const checks = checker();
const { check } = checks;

try {
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "k", maxRetries: 0 });

  const models = await client.models.list();
  check("models.list", models.data.length === 1 && models.data[0].id === "stories");

  const completion = await client.completions.create({
    model: "stories", prompt: "Once upon a time", max_tokens: 24, temperature: 0,
  });
  const text = completion.choices[0].text;
  check("completion text", text.length > 0 && completion.usage.completion_tokens === 24, JSON.stringify(completion));
  let streamed = "";
  for await (const chunk of await client.completions.create({
    model: "stories", prompt: "Once upon a time", max_tokens: 24, temperature: 0, stream: true,
  })) {
    streamed += chunk.choices[0]?.text ?? "";
  }
  check("streamed completion equals non-streamed", streamed === text, `${JSON.stringify(streamed)} vs ${JSON.stringify(text)}`);

  const messages = [{ role: "system", content: "You tell stories." }, { role: "user", content: "A story about a cat" }];
  const chat = await client.chat.completions.create({ model: "stories", messages, max_tokens: 20, temperature: 0 });
  const answer = chat.choices[0].message.content;
  check("chat answer", chat.choices[0].message.role === "assistant" && answer.length > 0);
  let streamedChat = "";
  let usage = null;
  for await (const chunk of await client.chat.completions.create({
    model: "stories", messages, max_tokens: 20, temperature: 0, stream: true, stream_options: { include_usage: true },
  })) {
    streamedChat += chunk.choices[0]?.delta?.content ?? "";
    if (chunk.usage) usage = chunk.usage;
  }
  check("streamed chat equals non-streamed", streamedChat === answer);
  check("stream usage", usage && usage.completion_tokens === chat.usage.completion_tokens, JSON.stringify(usage));

  const scored = await client.completions.create({
    model: "stories", prompt: [1, 403, 407, 261], max_tokens: 0, echo: true, logprobs: 1,
  });
  const lp = scored.choices[0].logprobs;
  check("echo scoring", lp.token_logprobs.length === 4 && lp.token_logprobs[0] === null &&
    lp.token_logprobs.slice(1).every((v) => v < 0) && Object.keys(lp.top_logprobs[1]).length === 1, JSON.stringify(lp));

  const sampled = await client.chat.completions.create({
    model: "stories", messages, max_tokens: 16, temperature: 0.9, seed: 7, n: 2,
  });
  const again = await client.chat.completions.create({
    model: "stories", messages, max_tokens: 16, temperature: 0.9, seed: 7, n: 2,
  });
  check("n choices, seeded", sampled.choices.length === 2 &&
    sampled.choices[0].message.content === again.choices[0].message.content &&
    sampled.choices[1].message.content === again.choices[1].message.content);

  const refused = async (name, request, status) => {
    try {
      await request();
      check(name, false, "no error");
    } catch (e) {
      check(name, e instanceof OpenAI.APIError && e.status === status && typeof e.message === "string",
        `${e.status} ${e.message}`);
    }
  };
  await refused("unknown model -> NotFoundError", () => client.completions.create({ model: "gpt-4", prompt: "a" }), 404);
  await refused("negative max_tokens -> BadRequestError",
    () => client.completions.create({ model: "stories", prompt: "a", max_tokens: -1 }), 400);
  await refused("bad key -> AuthenticationError", () => new OpenAI({
    baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "wrong", maxRetries: 0,
  }).models.list(), 401);
} finally {
  server.kill("SIGTERM");
}
console.log(`${checks.failures} failed`);
process.exit(checks.failures ? 1 : 0);
