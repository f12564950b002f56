#!/usr/bin/env python3
"""Cohen's kappa references from scikit-learn, the library JMED-LLM scores with.

Writes OUT/kappa.json: random pairs of label lists (JMED-LLM's labels A-F and its "None" for a
reply without a letter, lists of 1 to 150 labels, some with a single label throughout) and
sklearn.metrics.cohen_kappa_score for each with weights None, "linear" and "quadratic"; nan
(undefined) is written as null.
"""
import json
import math
import os
import random
import sys
import warnings

from sklearn.metrics import cohen_kappa_score


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(20261206)
    labels = ["A", "B", "C", "D", "E", "F", "None"]
    cases = []
    for case in range(300):
        n = rng.randint(1, 150)
        pool = rng.sample(labels, rng.randint(1, len(labels)))
        gold = [rng.choice(pool) for _ in range(n)]
        # Mostly agreeing raters, as a model and an answer key are, and some independent ones.
        agree = rng.random() if case % 3 else 0.0
        predicted = [g if rng.random() < agree else rng.choice(pool) for g in gold]
        entry = {"a": gold, "b": predicted}
        for name, weights in (("none", None), ("linear", "linear"), ("quadratic", "quadratic")):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = float(cohen_kappa_score(gold, predicted, weights=weights))
            entry[name] = None if math.isnan(value) else value
        cases.append(entry)
    with open(os.path.join(out_dir, "kappa.json"), "w") as f:
        json.dump({"cases": cases}, f)


if __name__ == "__main__":
    main()
