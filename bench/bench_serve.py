#!/usr/bin/env python3
"""Continuous batching throughput of `medllm serve`: CLIENTS simultaneous streaming requests of
TOKENS greedy tokens each against a server decoding them together (--parallel CLIENTS), versus
the same requests one after another against a server that decodes one at a time (--parallel 1).
Median of REPS rounds each; the ratio is measured in the same run.

Usage: bench_serve.py MEDLLM_BINARY MODEL [--clients 16] [--tokens 64] [--reps 3] [--threads 2]
       [--json FILE]
"""
import argparse
import http.client
import json
import re
import statistics
import subprocess
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("medllm")
parser.add_argument("model")
parser.add_argument("--clients", type=int, default=16)
parser.add_argument("--tokens", type=int, default=64)
parser.add_argument("--reps", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--json")
args = parser.parse_args()
prompts = [f"Story {i}: once upon a time" for i in range(args.clients)]


def serve(parallel):
    proc = subprocess.Popen([args.medllm, "serve", "-m", args.model, "--port", "0", "-t", str(args.threads),
                             "--parallel", str(parallel), "--queue", str(args.clients)],
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        match = re.search(r"on http://[^:]+:(\d+)", line)
        if match:
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, int(match.group(1))
    raise SystemExit("server did not start")


def complete(port, prompt):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = {"prompt": prompt, "max_tokens": args.tokens, "temperature": 0, "stream": True}
    conn.request("POST", "/v1/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    for line in conn.getresponse():
        if line.strip() == b"data: [DONE]":
            break
    conn.close()


def tokens_per_second(parallel, concurrent):
    proc, port = serve(parallel)
    try:
        complete(port, "warm up")
        rounds = []
        for _ in range(args.reps):
            start = time.perf_counter()
            if concurrent:
                threads = [threading.Thread(target=complete, args=(port, p)) for p in prompts]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            else:
                for p in prompts:
                    complete(port, p)
            rounds.append(args.clients * args.tokens / (time.perf_counter() - start))
        return statistics.median(rounds), rounds
    finally:
        proc.terminate()
        proc.wait()


sequential, sequential_rounds = tokens_per_second(1, False)
batched, batched_rounds = tokens_per_second(args.clients, True)
print(f"{args.clients} clients × {args.tokens} tokens, {args.threads} threads: sequential {sequential:.0f} tok/s, "
      f"continuous batching {batched:.0f} tok/s, ratio {batched / sequential:.2f}")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"model": args.model, "clients": args.clients, "tokens": args.tokens, "threads": args.threads,
                   "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "sequential_tokens_per_second": {"median": sequential, "samples": sequential_rounds},
                   "batched_tokens_per_second": {"median": batched, "samples": batched_rounds},
                   "ratio": batched / sequential}, f, indent=2)
