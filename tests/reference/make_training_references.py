#!/usr/bin/python3
"""Independent numeric reference for medllm's training: PyTorch autograd and torch.optim.

    /usr/bin/python3 tests/reference/make_training_references.py --models DIR --out DIR

--models is the output of make_tiny_models.py (its f32 Hugging Face cases are reused: the
weights are regenerated here from the same seeds, and must equal the files there).

Per case, OUT/<case>/ receives:
  batch.json               tokens and targets [2, SEQ] (-100 = not scored), losses, LoRA settings
  grads_full.safetensors   d(mean loss)/d(parameter) for every parameter, HF names
  lora_weights.safetensors LoRA A [r, in] and B [out, r] for the targeted projections
  grads_lora.safetensors   d(mean loss)/dA and /dB with the base frozen
OUT/optimizer/ receives:
  adamw.json               AdamW (decoupled decay, one no-decay group) + warmup/cosine or linear
                           schedule + global-norm clipping: grads, lrs and parameters per step

The loss is the masked next-token cross-entropy, averaged over scored tokens (transformers'
ForCausalLM loss with labels = -100 where not scored), computed by make_tiny_models.forward.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_models as tiny  # noqa: E402

torch.set_num_threads(2)

SEQ = 20      # longer than the sliding windows (8) of the Mistral and Gemma cases
BATCH = 2
PROMPT = 6    # sequence 0 scores only targets after its first PROMPT tokens (an SFT-style mask)
LORA_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

CASES = {  # case -> LoRA settings
    "llama_basic": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "llama_bias_tied": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "llama_rope_linear": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "llama_rope_llama3": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "llama_rope_yarn": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "llama_head_dim": {"rank": 2, "alpha": 16.0, "rslora": True, "targets": LORA_MODULES},
    "mistral_swa": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "qwen2": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": ["q_proj", "v_proj"]},
    "qwen3": {"rank": 8, "alpha": 16.0, "rslora": False, "targets": LORA_MODULES},
    "gemma2": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "gemma3_text": {"rank": 4, "alpha": 8.0, "rslora": False, "targets": LORA_MODULES},
    "gemma3_text_layer_types": {"rank": 4, "alpha": 4.0, "rslora": False, "targets": ["o_proj", "down_proj"]},
}


def seed(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def make_batch(spec, name):
    g = torch.Generator().manual_seed(seed("train-batch:" + name))
    tokens = torch.randint(0, spec.vocab_size, (BATCH, SEQ), generator=g)
    targets = torch.full((BATCH, SEQ), -100, dtype=torch.int64)
    targets[:, :-1] = tokens[:, 1:]
    targets[0, :PROMPT] = -100
    return tokens, targets


def mean_loss(spec, W, tokens, targets):
    logits = torch.cat([tiny.forward(spec, W, tokens[b].tolist()) for b in range(BATCH)])
    return F.cross_entropy(logits, targets.reshape(-1), ignore_index=-100, reduction="mean")


def write_tensors(path, tensors):
    with open(path, "wb") as f:
        f.write(tiny.safetensors_blob(sorted(tensors, key=lambda kv: kv[0])))


def run_case(case, lora, models_dir, out_dir):
    spec = case.spec
    model_dir = os.path.join(models_dir, case.name)
    if not os.path.exists(os.path.join(model_dir, "config.json")):
        raise SystemExit(f"{model_dir}: run make_tiny_models.py first")
    folder = os.path.join(out_dir, case.name)
    os.makedirs(folder, exist_ok=True)
    W = tiny.init_weights(spec, tiny.seed_of(case.seed_name or case.name), case.init)
    tokens, targets = make_batch(spec, case.name)

    # Full fine-tuning: every parameter is a leaf.
    leaves = {k: v.clone().requires_grad_(True) for k, v in W.items()}
    loss_full = mean_loss(spec, leaves, tokens, targets)
    loss_full.backward()
    write_tensors(os.path.join(folder, "grads_full.safetensors"), [(k, v.grad) for k, v in leaves.items()])

    # LoRA: W_eff = W + scale * B @ A on the targeted projections, base frozen. B is random (not
    # PEFT's zero init) so that both A and B receive non-zero gradients.
    g = torch.Generator().manual_seed(seed("lora:" + case.name))
    rank = lora["rank"]
    scale = lora["alpha"] / (math.sqrt(rank) if lora["rslora"] else rank)
    adapters = {}
    W_eff = dict(W)
    for layer in range(spec.num_hidden_layers):
        for module in lora["targets"]:
            block = "self_attn" if module.endswith(("q_proj", "k_proj", "v_proj", "o_proj")) else "mlp"
            name = f"model.layers.{layer}.{block}.{module}"
            out_f, in_f = W[name + ".weight"].shape
            A = ((torch.rand(rank, in_f, generator=g) * 2 - 1) / math.sqrt(in_f)).requires_grad_(True)
            B = (torch.randn(out_f, rank, generator=g) * 0.2).requires_grad_(True)
            adapters[name] = (A, B)
            W_eff[name + ".weight"] = W[name + ".weight"] + scale * (B @ A)
    loss_lora = mean_loss(spec, W_eff, tokens, targets)
    loss_lora.backward()
    weights, grads = [], []
    for name, (A, B) in adapters.items():
        weights += [(name + ".lora_A.weight", A.detach()), (name + ".lora_B.weight", B.detach())]
        grads += [(name + ".lora_A.weight", A.grad), (name + ".lora_B.weight", B.grad)]
    write_tensors(os.path.join(folder, "lora_weights.safetensors"), weights)
    write_tensors(os.path.join(folder, "grads_lora.safetensors"), grads)

    info = {"case": case.name, "model_dir": model_dir, "batch": BATCH, "seq": SEQ,
            "tokens": tokens.tolist(), "targets": targets.tolist(),
            "scored_tokens": int((targets >= 0).sum()),
            "loss_full": float(loss_full), "loss_lora": float(loss_lora), "lora": lora}
    with open(os.path.join(folder, "batch.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    return info


# ---------------------------------------------------------------------------
# Optimizer and schedules: torch.optim.AdamW driven by LambdaLR with the schedules of
# transformers.optimization (get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup).
# ---------------------------------------------------------------------------

def cosine_with_warmup(warmup, total, min_ratio=0.0):
    def f(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, min_ratio + (1 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))
    return f


def linear_with_warmup(warmup, total):
    def f(step):
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return f


def optimizer_reference(out_dir):
    folder = os.path.join(out_dir, "optimizer")
    os.makedirs(folder, exist_ok=True)
    runs = []
    settings = [
        {"schedule": "cosine", "lr": 3e-3, "warmup": 3, "steps": 12, "weight_decay": 0.1, "betas": [0.9, 0.95],
         "eps": 1e-8, "max_grad_norm": 1.0},
        {"schedule": "linear", "lr": 1e-2, "warmup": 0, "steps": 8, "weight_decay": 0.0, "betas": [0.9, 0.999],
         "eps": 1e-6, "max_grad_norm": 0.0},
        {"schedule": "constant", "lr": 5e-4, "warmup": 2, "steps": 6, "weight_decay": 0.01, "betas": [0.8, 0.99],
         "eps": 1e-8, "max_grad_norm": 0.05},
    ]
    for i, s in enumerate(settings):
        g = torch.Generator().manual_seed(seed(f"adamw:{i}"))
        matrix = torch.randn(5, 7, generator=g).requires_grad_(True)
        vector = torch.randn(7, generator=g).requires_grad_(True)
        initial = [matrix.detach().clone(), vector.detach().clone()]
        opt = torch.optim.AdamW([{"params": [matrix], "weight_decay": s["weight_decay"]},
                                 {"params": [vector], "weight_decay": 0.0}],
                                lr=s["lr"], betas=tuple(s["betas"]), eps=s["eps"])
        if s["schedule"] == "cosine":
            fn = cosine_with_warmup(s["warmup"], s["steps"])
        elif s["schedule"] == "linear":
            fn = linear_with_warmup(s["warmup"], s["steps"])
        else:
            fn = lambda step, w=s["warmup"]: min(1.0, step / w) if w else 1.0  # noqa: E731
        sched = torch.optim.lr_scheduler.LambdaLR(opt, fn)
        steps = []
        for _ in range(s["steps"]):
            gm = torch.randn(5, 7, generator=g) * 0.5
            gv = torch.randn(7, generator=g) * 0.5
            matrix.grad, vector.grad = gm.clone(), gv.clone()
            norm = float(torch.sqrt(gm.pow(2).sum() + gv.pow(2).sum()))
            if s["max_grad_norm"] > 0:
                torch.nn.utils.clip_grad_norm_([matrix, vector], s["max_grad_norm"])
            lr = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
            steps.append({"grads": [gm.flatten().tolist(), gv.flatten().tolist()], "grad_norm": norm, "lr": lr,
                          "params": [matrix.detach().flatten().tolist(), vector.detach().flatten().tolist()]})
        runs.append({"settings": s, "initial": [initial[0].flatten().tolist(), initial[1].flatten().tolist()],
                     "steps": steps})
    with open(os.path.join(folder, "adamw.json"), "w") as f:
        json.dump({"runs": runs}, f)
        f.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    cases = {c.name: c for c in tiny.build_cases()}
    for name, lora in CASES.items():
        case = cases[name]
        assert case.weight_dtype == "float32" and case.fmt == "safetensors" and not case.name_prefix, name
        info = run_case(case, lora, args.models, args.out)
        print(f"{name:26s} loss {info['loss_full']:.4f} (LoRA {info['loss_lora']:.4f}) over {info['scored_tokens']} tokens")
    optimizer_reference(args.out)
    print("optimizer reference written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
