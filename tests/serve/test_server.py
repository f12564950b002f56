#!/usr/bin/env python3
"""`medllm serve` over raw HTTP on the real stories260K model.

- completions and chat, streaming and not: greedy text equals `medllm generate`'s, streamed
  chunks add up to the non-streamed text (also for hot samples holding multi-byte characters:
  no character is split between chunks), SSE ends with [DONE];
- echo + max_tokens 0 + logprobs: prompt token log-probabilities equal the log-softmax of
  `medllm logits` (1e-5), and MedQA choices scored over HTTP as lm-eval's local-completions does
  equal `medllm eval --method loglik` (log-likelihoods 1e-4, same predictions);
- 16 simultaneous streaming clients each get their single-client greedy output;
- 60 malformed or hostile requests each get the right status in OpenAI's error shape (or are
  dropped cleanly), and afterwards the server is healthy and its memory grew by less than 64 MiB;
- the API key is enforced, /metrics counts requests.

Usage: test_server.py MEDLLM_BINARY REPO_DIR
"""
import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time

from checks import check, finish

medllm, repo = sys.argv[1], sys.argv[2]
stories = os.path.join(repo, "data/models/stories260K/stories260K.gguf")


def start_server(*extra):
    proc = subprocess.Popen([medllm, "serve", "-m", stories, "--port", "0", "-t", "2", *extra],
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        match = re.search(r"on http://[^:]+:(\d+)", line)
        if match:
            threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()
            return proc, int(match.group(1))
    raise SystemExit("server did not start")


def request(port, method, path, body=None, headers=None, raw=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, payload


def post(port, path, body, **kw):
    status, payload = request(port, "POST", path, body, **kw)
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload


def stream(port, path, body):
    """The text of a streamed completion, the events, and whether it ended with [DONE]."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body=json.dumps({**body, "stream": True}), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    events, done = [], False
    for line in response:
        line = line.decode().strip()
        if not line.startswith("data: "):
            continue
        if line == "data: [DONE]":
            done = True
            break
        events.append(json.loads(line[6:]))
    conn.close()
    text = ""
    for e in events:
        for c in e.get("choices", []):
            text += c.get("text") or (c.get("delta") or {}).get("content") or ""
    return text, events, done


def cli_generate(prompt, n):
    out = subprocess.run([medllm, "generate", "-m", stories, "-p", prompt, "-n", str(n), "--temp", "0",
                          "--no-check-tensors"], capture_output=True, text=True, check=True).stdout
    assert out.startswith(prompt)
    return out[len(prompt):-1]  # generate prints the prompt, the text and a newline


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


proc, port = start_server("--parallel", "16", "--ctx", "1024", "--model-id", "stories")
try:
    status, body = request(port, "GET", "/health")
    check("health", status == 200 and json.loads(body)["status"] == "ok")
    status, body = request(port, "GET", "/v1/models")
    check("models lists the model", status == 200 and json.loads(body)["data"][0]["id"] == "stories")

    # Completions: greedy equals the CLI; streaming adds up to the same text.
    prompt = "Once upon a time"
    expected = cli_generate(prompt, 30)
    status, body = post(port, "/v1/completions",
                        {"model": "stories", "prompt": prompt, "max_tokens": 30, "temperature": 0})
    check("completion 200", status == 200, body)
    check("completion equals medllm generate", body["choices"][0]["text"] == expected,
          f"{body['choices'][0]['text']!r} vs {expected!r}")
    check("completion usage", body["usage"]["completion_tokens"] == 30 and body["usage"]["prompt_tokens"] > 0)
    check("finish_reason length", body["choices"][0]["finish_reason"] == "length")
    text, events, done = stream(port, "/v1/completions", {"prompt": prompt, "max_tokens": 30, "temperature": 0,
                                                         "stream_options": {"include_usage": True}})
    check("streamed completion equals non-streamed", text == expected, f"{text!r}")
    check("stream ends with [DONE]", done)
    check("stream usage chunk", events[-1].get("usage", {}).get("completion_tokens") == 30)

    # Chat (stories260K's GGUF has no template: the Llama 2 fallback).
    messages = [{"role": "user", "content": "Tell me a story"}]
    status, body = post(port, "/v1/chat/completions", {"messages": messages, "max_tokens": 20, "temperature": 0})
    check("chat 200", status == 200, body)
    chat_text = body["choices"][0]["message"]["content"]
    text, events, done = stream(port, "/v1/chat/completions", {"messages": messages, "max_tokens": 20,
                                                              "temperature": 0})
    check("streamed chat equals non-streamed", text == chat_text and done, f"{text!r} vs {chat_text!r}")
    check("first chat chunk has the role", events[0]["choices"][0]["delta"].get("role") == "assistant")
    status, body = post(port, "/v1/chat/completions", {"messages": messages, "max_tokens": 5, "temperature": 0,
                                                       "logprobs": True, "top_logprobs": 2})
    lp = body["choices"][0]["logprobs"]["content"]
    check("chat logprobs", len(lp) == 5 and len(lp[0]["top_logprobs"]) == 2
          and lp[0]["top_logprobs"][0]["logprob"] >= lp[0]["top_logprobs"][1]["logprob"])

    # The text of a continuation is what it adds to the decoded prompt (issue #11): after "Once upon a"
    # the next word keeps its leading space, so the logprobs' token pieces add up to the text.
    for body in ({"prompt": "Once upon a", "max_tokens": 8, "temperature": 0, "logprobs": 0},
                 {"prompt": "Once", "max_tokens": 8, "temperature": 0, "logprobs": 0},
                 {"prompt": "Lily and Tim", "max_tokens": 12, "temperature": 1, "seed": 4, "logprobs": 0}):
        status, out = post(port, "/v1/completions", body)
        choice = out["choices"][0]
        pieces = "".join(choice["logprobs"]["tokens"])
        check(f"{body['prompt']!r}: the text is the generated tokens' pieces", choice["text"] == pieces,
              f"{choice['text']!r} vs {pieces!r}")
        check(f"{body['prompt']!r}: medllm generate prints the same", body["temperature"] != 0 or
              cli_generate(body["prompt"], 8) == choice["text"])
        streamed, _, _ = stream(port, "/v1/completions", body)
        check(f"{body['prompt']!r}: streamed alike", streamed == choice["text"], f"{streamed!r}")
    status, out = post(port, "/v1/completions", {"prompt": "Once upon a", "max_tokens": 1, "temperature": 0})
    check("'Once upon a' continues with a spaced word", out["choices"][0]["text"].startswith(" "), out)
    status, out = post(port, "/v1/chat/completions", {"messages": messages, "max_tokens": 10, "temperature": 0,
                                                      "logprobs": True})
    content = out["choices"][0]["message"]["content"]
    pieces = "".join(t["token"] for t in out["choices"][0]["logprobs"]["content"])
    check("chat: the content is the generated tokens' pieces", content == pieces, f"{content!r} vs {pieces!r}")

    # logit_bias is honoured: +100 forces a token, -100 bans it; ids are checked against the vocabulary.
    def forced(token, **extra):
        body = {"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0, "logprobs": 0,
                "logit_bias": {str(token): 100}, **extra}
        return post(port, "/v1/completions", body)
    status, out = forced(400)
    toks = out["choices"][0]["logprobs"]["tokens"]
    check("logit_bias +100 forces the token", status == 200 and len(toks) == 4 and len(set(toks)) == 1
          and out["choices"][0]["text"] == toks[0] * 4, out)
    piece400 = toks[0]
    piece401 = forced(401)[1]["choices"][0]["logprobs"]["tokens"][0]
    allowed = {piece400, piece401}
    ban_others = {str(i): -100 for i in range(512) if i not in (400, 401)}
    for seed in range(3):
        status, out = post(port, "/v1/completions", {"prompt": "Once", "max_tokens": 6, "temperature": 1,
                                                     "seed": seed, "logprobs": 0, "logit_bias": ban_others})
        toks = out["choices"][0]["logprobs"]["tokens"] if status == 200 else []
        check(f"logit_bias -100 bans tokens (seed {seed})", status == 200 and set(toks) <= allowed, out)
    status, out = post(port, "/v1/chat/completions", {"messages": messages, "max_tokens": 3, "temperature": 0,
                                                      "logit_bias": {"400": 100}})
    check("chat honours logit_bias", status == 200 and out["choices"][0]["message"]["content"] == piece400 * 3, out)
    status, out = forced(512)
    check("logit_bias id outside the vocabulary -> 400 naming it", status == 400
          and out["error"]["param"] == "logit_bias" and "512" in out["error"]["message"], out)

    # Streaming never splits a UTF-8 character: hot sampling draws stories260K's byte tokens, which
    # sometimes form multi-byte characters; a character cut between two chunks would arrive as two
    # U+FFFD and the streamed text would differ from the non-streamed one.
    multibyte = 0
    for seed in range(1, 9):
        request_body = {"prompt": "医師は", "max_tokens": 300, "temperature": 2, "seed": seed}
        whole = post(port, "/v1/completions", request_body)[1]["choices"][0]["text"]
        streamed, _, _ = stream(port, "/v1/completions", request_body)
        check(f"seed {seed}: streamed text equals the whole text", streamed == whole)
        multibyte += sum(1 for c in whole if ord(c) >= 0x80 and c != "\ufffd")
    check("the sampled texts contain multi-byte characters", multibyte > 0)
    print(f"multi-byte characters streamed intact: {multibyte}")

    # Prompt log-probabilities = log-softmax of `medllm logits`.
    tokens = json.loads(subprocess.run([medllm, "tokenize", "-m", stories, "--json", "The doctor said the patient"],
                                       capture_output=True, text=True, check=True).stdout)
    ids = [t["id"] for t in tokens]
    status, body = post(port, "/v1/completions", {"prompt": ids, "max_tokens": 0, "echo": True, "logprobs": 1})
    check("echo scoring 200", status == 200, body)
    got = body["choices"][0]["logprobs"]["token_logprobs"]
    logits = json.loads(subprocess.run([medllm, "logits", "-m", stories, "--tokens", ",".join(map(str, ids))],
                                       capture_output=True, text=True, check=True).stdout)["logits"]
    worst = 0.0
    for t in range(1, len(ids)):
        row = logits[t - 1]
        m = max(row)
        lse = m + math.log(sum(math.exp(x - m) for x in row))
        worst = max(worst, abs(got[t] - (row[ids[t]] - lse)))
    check("echo logprobs equal medllm logits", got[0] is None and len(got) == len(ids) and worst <= 1e-5,
          f"max |diff| {worst:.2e}")
    echoed = body["choices"][0]["logprobs"]["tokens"]
    check("echoed tokens are the prompt's pieces", [t["piece"].replace("\u2581", " ") for t in tokens] == echoed,
          echoed)
    print(f"prompt logprobs vs medllm logits: max |diff| {worst:.2e}")

    # Multiple-choice scoring over HTTP as lm-evaluation-harness's local-completions does it (context
    # + continuation token ids, echo, max_tokens 0) gives `medllm eval --method loglik`'s numbers.
    import tempfile
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([medllm, "eval", "-m", stories, "--bench", "medqa", "--limit", "5", "--data",
                        os.path.join(repo, "data/benchmarks"), "-o", out, "--no-model-hash"],
                       capture_output=True, check=True)
        samples = [json.loads(line) for line in open(os.path.join(out, "samples.jsonl"))]
    worst, same_predictions = 0.0, True
    untruncated = [sample for sample in samples if not sample["truncated"]]  # (eval cuts long prompts)
    check("enough MedQA items fit stories260K's context", len(untruncated) >= 3, len(untruncated))
    for sample in untruncated:
        context = [t["id"] for t in json.loads(subprocess.run(
            [medllm, "tokenize", "-m", stories, "--json", sample["prompt"]], capture_output=True, text=True,
            check=True).stdout)]
        check("eval context length", len(context) == sample["context_tokens"])
        scores = []
        for continuation in sample["continuation_token_ids"]:
            body = post(port, "/v1/completions", {"prompt": context + continuation, "max_tokens": 0, "echo": True,
                                                  "logprobs": 1})[1]
            if "choices" not in body:
                raise SystemExit(f"scoring request refused: {body}")
            scores.append(sum(body["choices"][0]["logprobs"]["token_logprobs"][len(context):]))
        worst = max(worst, max(abs(a - b) for a, b in zip(scores, sample["loglik"])))
        same_predictions &= sample["choices"][scores.index(max(scores))] == sample["prediction"]
    check("HTTP choice log-likelihoods equal medllm eval's", worst <= 1e-4, f"max |diff| {worst:.2e}")
    check("HTTP predictions equal medllm eval's", same_predictions)
    print(f"MedQA over HTTP vs medllm eval: max |loglik diff| {worst:.2e}, predictions equal: {same_predictions}")

    # 16 simultaneous streaming clients: each gets its single-client greedy output.
    prompts = [f"{w} " for w in ["Tom", "Lily", "The cat", "A dog", "Mom", "The sun", "Ben", "Sue",
                                  "One day", "The bird", "A girl", "The boy", "Max", "Anna", "The tree", "Sam"]]
    single = [post(port, "/v1/completions", {"prompt": p, "max_tokens": 24, "temperature": 0})[1]["choices"][0]["text"]
              for p in prompts]
    results = [None] * len(prompts)

    def client(i):
        results[i] = stream(port, "/v1/completions", {"prompt": prompts[i], "max_tokens": 24, "temperature": 0})

    started = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("16 concurrent streams equal their single-client outputs",
          all(results[i][0] == single[i] and results[i][2] for i in range(len(prompts))),
          [i for i in range(len(prompts)) if results[i][0] != single[i]])
    print(f"16 concurrent streams in {time.time() - started:.2f} s")

    # Hostile and malformed requests.
    rss_before = rss_kib(proc.pid)
    big = b'{"prompt": "' + b"a" * (9 << 20) + b'"}'
    cases = [
        (b"{", 400), (b"", 400), (b"null", 400), (b"[]", 400), (b'"text"', 400), (b"\xff\xfe{}", 400),
        (b'{"prompt": "\xc3\x28"}', 400), (b'{"prompt": 5}', 400), (b'{"prompt": []}', 400),
        (b'{"prompt": ""}', 400), (b'{"prompt": ["a", "b"]}', 400), (b'{"prompt": [1, -2]}', 400),
        (b'{"prompt": "a", "max_tokens": -1}', 400), (b'{"prompt": "a", "max_tokens": "ten"}', 400),
        (b'{"prompt": "a", "max_tokens": 1.5}', 400), (b'{"prompt": "a", "temperature": 3}', 400),
        (b'{"prompt": "a", "temperature": "hot"}', 400), (b'{"prompt": "a", "top_p": 0}', 400),
        (b'{"prompt": "a", "n": 0}', 400), (b'{"prompt": "a", "n": 1000}', 400),
        (b'{"prompt": "a", "stop": 5}', 400), (b'{"prompt": "a", "stop": ["a","b","c","d","e"]}', 400),
        (b'{"prompt": "a", "logprobs": 100}', 400), (b'{"prompt": "a", "echo": "yes"}', 400),
        (b'{"prompt": "a", "stream": "yes"}', 400), (b'{"prompt": "a", "model": "gpt-4"}', 404),
        (b'{"prompt": "a", "model": 7}', 400), (b'{"prompt": "a", "seed": "x"}', 400),
        (b'{"prompt": "a", "suffix": "b"}', 400), (b'{"prompt": [99999999]}', 400),
        (b'{"prompt": "' + b"hello " * 1500 + b'"}', 400),
        (b"[" * 100000 + b"]" * 100000, 400),
        (b'{"prompt": "a", "presence_penalty": 1}', 400),
        (b'{"prompt": "a", "grammar": "root ::= \\"x\\""}', 400), (b'{"prompt": "a", "temprature": 0}', 400),
        (b'{"prompt": "a", "logit_bias": {"x": 1}}', 400), (b'{"prompt": "a", "logit_bias": {"1": 200}}', 400),
        (b'{"prompt": "a", "best_of": 3}', 400),
    ]
    chat_cases = [
        (b"{}", 400), (b'{"messages": []}', 400), (b'{"messages": "hi"}', 400), (b'{"messages": [1]}', 400),
        (b'{"messages": [{"role": "user"}]}', 400), (b'{"messages": [{"role": "wizard", "content": "x"}]}', 400),
        (b'{"messages": [{"role": "user", "content": 5}]}', 400),
        (b'{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 3}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema"}}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "grammar": "root ::= \\"x\\""}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "guided_json": {}}', 400),
        (b'{"messages": [{"role": "user", "content": "x"}], "model": "other"}', 404),
        (b'{"messages": [{"role": "user", "content": "' + b"word " * 1500 + b'"}]}', 400),
    ]
    answered = 0
    for raw, want in cases:
        status, body = post(port, "/v1/completions", None, raw=raw)
        ok = status == want and isinstance(body, dict) and "message" in body.get("error", {})
        check(f"completions {raw[:40]!r} -> {want}", ok, f"got {status} {str(body)[:200]}")
        answered += 1
    for raw, want in chat_cases:
        status, body = post(port, "/v1/chat/completions", None, raw=raw)
        ok = status == want and isinstance(body, dict) and "message" in body.get("error", {})
        check(f"chat {raw[:40]!r} -> {want}", ok, f"got {status} {str(body)[:200]}")
        answered += 1
    status, body = post(port, "/v1/completions", None, raw=big)
    check("huge body -> 413", status == 413 and "error" in body, f"{status}")
    status, body = request(port, "GET", "/v1/nothing")
    check("unknown route -> 404 JSON", status == 404 and "error" in json.loads(body))
    status, body = request(port, "GET", "/v1/completions")
    check("wrong method -> 4xx", 400 <= status < 500)
    status, body = post(port, "/v1/completions", {"prompt": "x", "max_tokens": 5}, headers={"Content-Type": "text/plain"})
    check("any content type is read as JSON", status == 200)
    answered += 4
    # Clients that go away: mid-stream, mid-request, and garbage that is not HTTP.
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", port))
        body = json.dumps({"prompt": "Once", "max_tokens": 200, "stream": True}).encode()
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(body)).encode() + b"\r\n\r\n" + body)
        s.recv(100)
        s.close()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"pro")
        s.close()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"\x00\x01GARBAGE\r\n\r\n")
        s.close()
        answered += 3
    for _ in range(100):  # the same requests again: memory must not keep growing
        post(port, "/v1/completions", None, raw=b'{"prompt": "a", "max_tokens": -1}')
        post(port, "/v1/completions", {"prompt": "Tim", "max_tokens": 4, "temperature": 0})
    time.sleep(0.5)
    status, body = request(port, "GET", "/health")
    check(f"healthy after {answered} hostile requests", status == 200 and answered >= 50, f"{answered}")
    growth = (rss_kib(proc.pid) - rss_before) / 1024
    print(f"{answered} hostile requests; memory growth {growth:.1f} MiB")
    check("memory growth below 64 MiB", growth < 64, f"{growth:.1f} MiB")
    status, body = request(port, "GET", "/metrics")
    text = body.decode()
    check("metrics count requests", status == 200 and 'medllm_requests_total{path="/v1/completions",status="400"}' in text
          and "medllm_generated_tokens_total" in text and "medllm_queue_depth" in text)
    check("metrics label answered requests with their HTTP status",
          'medllm_requests_total{path="/v1/completions",status="200"}' in text and 'status="-1"' not in text, text)
finally:
    proc.terminate()
    proc.wait(timeout=30)

# API key, and the loopback default.
proc, port = start_server("--api-key", "sekrit")
try:
    # A port in use is refused (cpp-httplib's default SO_REUSEPORT would let a second server share it).
    second = subprocess.run([medllm, "serve", "-m", stories, "--port", str(port), "-t", "1"],
                            capture_output=True, text=True, timeout=120)
    check("a second server on the same port fails at start", second.returncode != 0
          and f"port {port} on 127.0.0.1 is already in use" in second.stderr, second.stderr[-500:])

    status, _ = post(port, "/v1/completions", {"prompt": "a", "max_tokens": 1})
    check("no key -> 401", status == 401)
    status, _ = post(port, "/v1/completions", {"prompt": "a", "max_tokens": 1}, headers={"Authorization": "Bearer nope"})
    check("wrong key -> 401", status == 401)
    status, _ = post(port, "/v1/completions", {"prompt": "a", "max_tokens": 1},
                     headers={"Authorization": "Bearer sekrit"})
    check("right key -> 200", status == 200)
    status, _ = request(port, "GET", "/health")
    check("health needs no key", status == 200)
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
    local = [line.split()[3] for line in listening.splitlines() if line.strip()]
    check("binds 127.0.0.1 by default", local == [f"127.0.0.1:{port}"], listening)
finally:
    proc.terminate()
    proc.wait(timeout=30)

finish()
