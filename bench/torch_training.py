#!/usr/bin/python3
"""The PyTorch side of bench_training: the same Llama (read from the same safetensors file) trained
the way transformers + PEFT do it on CPU — eager attention (matmul, causal mask, softmax), AdamW,
LoRA as x·Aᵀ·Bᵀ on frozen base weights — timed per optimizer step.

    torch_training.py --model DIR --mode full|lora --threads T --batch B --seq S --steps N --warmup W

Prints one JSON object: {"step_seconds": [...], "loss": [...]}.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from make_tiny_models import read_safetensors  # noqa: E402


class Llama(torch.nn.Module):
    def __init__(self, config, weights, lora_rank):
        super().__init__()
        self.c = config
        self.w = torch.nn.ParameterDict({k.replace(".", "/"): torch.nn.Parameter(v) for k, v in weights.items()})
        self.lora = torch.nn.ParameterDict()
        if lora_rank:
            for p in self.w.values():
                p.requires_grad_(False)
            for name, v in weights.items():
                if any(m in name for m in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")):
                    key = name[: -len(".weight")].replace(".", "/")
                    self.lora[key + "/A"] = torch.nn.Parameter(torch.randn(lora_rank, v.shape[1]) / math.sqrt(v.shape[1]))
                    self.lora[key + "/B"] = torch.nn.Parameter(torch.zeros(v.shape[0], lora_rank))
            self.scale = 32.0 / lora_rank
        config.setdefault("head_dim", config["hidden_size"] // config["num_attention_heads"])
        config.setdefault("num_key_value_heads", config["num_attention_heads"])
        D = config["head_dim"]
        inv = 1.0 / (config["rope_theta"] ** (torch.arange(0, D, 2).float() / D))
        t = torch.arange(4096).float()
        freqs = torch.outer(t, inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()

    def linear(self, x, name):
        y = F.linear(x, self.w[name.replace(".", "/") + "/weight"])
        key = name.replace(".", "/")
        if key + "/A" in self.lora:  # PEFT: base(x) + lora_B(lora_A(x)) * scaling
            y = y + F.linear(F.linear(x, self.lora[key + "/A"]), self.lora[key + "/B"]) * self.scale
        return y

    def norm(self, x, name):
        return self.w[name.replace(".", "/")] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["rms_norm_eps"]))

    def forward(self, tokens):
        B, T = tokens.shape
        H, KV, D = self.c["num_attention_heads"], self.c["num_key_value_heads"], self.c["head_dim"]
        cos, sin = self.cos[:T], self.sin[:T]
        rot = lambda x: torch.cat([-x[..., D // 2:], x[..., : D // 2]], dim=-1)  # noqa: E731
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = F.embedding(tokens, self.w["model/embed_tokens/weight"])
        for i in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = self.norm(x, p + "input_layernorm.weight")
            q = self.linear(h, p + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)
            k = self.linear(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
            v = self.linear(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            scores = q @ k.transpose(-1, -2) / math.sqrt(D) + mask
            a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, H * D)
            x = x + self.linear(a, p + "self_attn.o_proj")
            h = self.norm(x, p + "post_attention_layernorm.weight")
            x = x + self.linear(F.silu(self.linear(h, p + "mlp.gate_proj")) * self.linear(h, p + "mlp.up_proj"),
                                p + "mlp.down_proj")
        x = self.norm(x, "model.norm.weight")
        return F.linear(x, self.w["lm_head/weight"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--mode", choices=["full", "lora"], default="full")
    ap.add_argument("--lora-rank", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = json.load(open(args.model + "/config.json"))
    model = Llama(config, read_safetensors(args.model + "/model.safetensors"), args.lora_rank if args.mode == "lora" else 0)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    g = torch.Generator().manual_seed(1)
    times, losses = [], []
    for step in range(args.warmup + args.steps):
        tokens = torch.randint(0, config["vocab_size"], (args.batch, args.seq + 1), generator=g)
        start = time.perf_counter()
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        elapsed = time.perf_counter() - start
        if step >= args.warmup:
            times.append(elapsed)
            losses.append(float(loss))
    print(json.dumps({"step_seconds": times, "loss": losses, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
