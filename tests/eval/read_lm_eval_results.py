#!/usr/bin/env python3
"""Reads a medllm results.json with lm-evaluation-harness's key conventions, as its tooling does.

Usage: read_lm_eval_results.py RESULTS_JSON

Prints lm-eval's results table (task, version, filter, n-shot, metric, value, stderr), one row
per "<metric>,<filter>" key, its stderr from "<metric>_stderr,<filter>". Then recomputes each
group's acc from its subtasks' values and "n-samples" sizes: the size-weighted mean, and the
stderr pooled as lm-eval pools it (pooled variance over N - k, then over N). Exits non-zero on
a missing key or a group that does not add up.
"""
import json
import math
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    results = doc["results"]
    for task, entry in results.items():
        for key, value in entry.items():
            if key == "alias" or "_stderr," in key or "," not in key:
                continue
            metric, _, filter_name = key.partition(",")
            stderr = entry[f"{metric}_stderr,{filter_name}"]
            stderr_text = "N/A" if stderr == "N/A" else f"{float(stderr):.4f}"
            print(f"|{entry['alias']}|{doc['versions'].get(task)}|{filter_name}|{doc['n-shot'].get(task, '')}|"
                  f"{metric}|{value:.4f}|± {stderr_text}|")
            assert doc["higher_is_better"][task][metric] is True
    for group, entry in doc.get("groups", {}).items():
        leaves = doc["group_subtasks"][group]
        sizes = [doc["n-samples"][leaf]["effective"] for leaf in leaves]
        values = [results[leaf]["acc,none"] for leaf in leaves]
        stderrs = [results[leaf]["acc_stderr,none"] for leaf in leaves]
        total = sum(sizes)
        mean = sum(v * s for v, s in zip(values, sizes)) / total
        if abs(mean - entry["acc,none"]) > 1e-12:
            sys.exit(f"group {group}: acc {entry['acc,none']} but its subtasks give {mean}")
        if "N/A" not in stderrs and total > len(sizes):
            pooled = sum((s - 1) * e * e * s for s, e in zip(sizes, stderrs)) / (total - len(sizes))
            if abs(math.sqrt(pooled / total) - entry["acc_stderr,none"]) > 1e-12:
                sys.exit(f"group {group}: stderr {entry['acc_stderr,none']} is not the pooled one")
        print(f"group {group}: {len(leaves)} tasks, {total} items, acc {mean:.4f}")


if __name__ == "__main__":
    main()
