#!/usr/bin/python3
"""Checks a medllm export against the independent PyTorch forward of make_tiny_models.py.

    check_hf_export.py MODEL_DIR LOGITS_JSON [--adapter PEFT_DIR] [--tolerance 1e-4]

MODEL_DIR is a Hugging Face Llama-family directory written by `medllm export` or `medllm train`;
LOGITS_JSON is `medllm logits` output for the same model (with the adapter, if given). The
weights are read by name from model.safetensors as transformers would, a PEFT adapter is merged
as PEFT's merge_and_unload does (W += alpha / r * B @ A), and the logits must agree. If the
directory has tokenizer.model, the sentencepiece library must load it.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_models as tiny  # noqa: E402

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("logits_json")
    ap.add_argument("--adapter")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    config = json.load(open(os.path.join(args.model_dir, "config.json")))
    assert config["model_type"] in ("llama", "mistral", "qwen2"), config["model_type"]
    spec = tiny.Spec(hidden_size=config["hidden_size"], intermediate_size=config["intermediate_size"],
                     num_hidden_layers=config["num_hidden_layers"], num_attention_heads=config["num_attention_heads"],
                     num_key_value_heads=config["num_key_value_heads"],
                     head_dim=config.get("head_dim", config["hidden_size"] // config["num_attention_heads"]),
                     vocab_size=config["vocab_size"], rms_norm_eps=config["rms_norm_eps"],
                     rope_theta=config.get("rope_theta", 10000.0), rope_scaling=config.get("rope_scaling"),
                     max_position_embeddings=config["max_position_embeddings"],
                     tie_word_embeddings=config.get("tie_word_embeddings", False),
                     qkv_bias=config.get("attention_bias", False), o_bias=config.get("attention_bias", False),
                     mlp_bias=config.get("mlp_bias", False))
    W = tiny.read_safetensors(os.path.join(args.model_dir, "model.safetensors"))
    if args.adapter:
        adapter = json.load(open(os.path.join(args.adapter, "adapter_config.json")))
        scale = adapter["lora_alpha"] / (adapter["r"] ** 0.5 if adapter.get("use_rslora") else adapter["r"])
        A = tiny.read_safetensors(os.path.join(args.adapter, "adapter_model.safetensors"))
        merged = 0
        for name, a in A.items():
            if not name.endswith(".lora_A.weight"):
                continue
            module = name[len("base_model.model."):-len(".lora_A.weight")]
            b = A[name.replace(".lora_A.", ".lora_B.")]
            W[module + ".weight"] = W[module + ".weight"] + scale * (b @ a)
            merged += 1
        assert merged > 0
    out = json.load(open(args.logits_json))
    with torch.no_grad():
        expected = tiny.forward(spec, W, out["tokens"])
    actual = torch.tensor(out["logits"], dtype=torch.float32)
    err = float((actual - expected).abs().max())
    print(f"export vs PyTorch: max abs logit difference {err:.2e} over {actual.shape[0]} positions")
    if os.path.exists(os.path.join(args.model_dir, "tokenizer.model")):
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(args.model_dir, "tokenizer.model"))
        assert sp.get_piece_size() == config["vocab_size"]
    return 0 if err <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
