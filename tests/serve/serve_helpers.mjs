// Shared by the Node tests of `medllm serve`: start a server on a free port, and count checks.
import { spawn } from "node:child_process";

// Starts `medllm serve` with these arguments (plus --port 0); resolves to {server, port}.
export async function startServer(medllm, args) {
  const server = spawn(medllm, ["serve", "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const port = await new Promise((resolve, reject) => {
    let seen = "";
    server.stderr.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/on http:\/\/[^:]+:(\d+)/);
      if (match) resolve(Number(match[1]));
    });
    server.on("exit", (code) => reject(new Error(`server exited with ${code}: ${seen}`)));
  });
  return { server, port };
}

export function checker() {
  const state = { failures: 0 };
  state.check = (name, condition, detail = "") => {
    if (!condition) {
      state.failures++;
      console.log(`FAIL: ${name} ${detail}`);
    }
  };
  return state;
}
