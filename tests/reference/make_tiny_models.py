#!/usr/bin/python3
"""Independent numeric reference for the C++ inference engine.

Builds tiny random decoder-only models in real Hugging Face checkpoint layout
(config.json + safetensors, optionally sharded) or llama.cpp GGUF layout, and
writes the logits a Hugging Face `transformers` forward pass would produce.

    /usr/bin/python3 tests/reference/make_tiny_models.py --out DIR [--only CASE[,CASE]]

Only torch, numpy and the standard library are used.  The forward pass below is
a plain-torch transcription of the transformers modeling code (see README.md
for the files and versions followed); it is the oracle, so it favours
readability over speed.  Every output byte is deterministic.

Per case, DIR/<case>/ receives:
  config.json              HF config (safetensors cases only)
  model.safetensors        or model-0000k-of-0000n.safetensors + model.safetensors.index.json
  model.gguf               (GGUF cases only, instead of the above)
  reference.json           tokens, shapes, features, notes, ablation magnitudes
  logits.f32               [T, V] little-endian float32, f32 math on the stored weights
  logits_native.f32        (bf16/f16 cases) forward emulating transformers run in that dtype
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import hashlib
import json
import math
import os
import shutil
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)

T_TOKENS = 40            # prompt length; longer than every sliding window used here
MIN_ABLATION_DIFF = 1e-2  # a disabled feature must move some logit by at least this


# ============================================================================
# Model description
# ============================================================================

@dataclass(frozen=True)
class Spec:
    """Everything the forward pass needs, as feature flags.

    Names follow the HF config fields where one exists.
    """
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    vocab_size: int
    rms_norm_eps: float
    rope_theta: float
    rope_scaling: Optional[dict] = None        # HF rope_scaling dict (global layers)
    max_position_embeddings: int = 2048
    tie_word_embeddings: bool = False
    qkv_bias: bool = False                     # bias on q_proj/k_proj/v_proj
    o_bias: bool = False                       # bias on o_proj (Llama attention_bias)
    mlp_bias: bool = False                     # bias on gate/up/down (Llama mlp_bias)
    hidden_act: str = "silu"                   # "silu" | "gelu_pytorch_tanh"
    gemma_norm: bool = False                   # RMSNorm scale is (1 + w), multiplied in f32
    sandwich_norms: bool = False               # Gemma 2/3 post_attention/pre_ff/post_ff norms
    qk_norm: bool = False                      # RMSNorm over head_dim on q and k, before RoPE
    embed_scale: bool = False                  # multiply embeddings by sqrt(hidden_size)
    query_pre_attn_scalar: Optional[float] = None  # scale = this ** -0.5 instead of head_dim ** -0.5
    attn_logit_softcapping: Optional[float] = None
    final_logit_softcapping: Optional[float] = None
    sliding_window: Optional[int] = None
    layer_sliding: Tuple[bool, ...] = ()       # per layer: does it use the sliding window?
    local_rope_theta: Optional[float] = None   # Gemma 3: sliding layers use default RoPE at this base

    @property
    def attn_scale(self) -> float:
        if self.query_pre_attn_scalar is not None:
            return self.query_pre_attn_scalar ** -0.5
        return self.head_dim ** -0.5

    def is_sliding(self, layer: int) -> bool:
        return self.sliding_window is not None and bool(self.layer_sliding) and self.layer_sliding[layer]


# ============================================================================
# RoPE (transcribed from transformers/modeling_rope_utils.py)
# ============================================================================

def _default_inv_freq(dim: int, base: float) -> torch.Tensor:
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))


def _llama3_inv_freq(dim: int, base: float, rs: dict) -> torch.Tensor:
    inv_freq = _default_inv_freq(dim, base)
    factor = rs["factor"]
    low_freq_factor = rs["low_freq_factor"]
    high_freq_factor = rs["high_freq_factor"]
    old_context_len = rs["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def llama3_bands(dim: int, base: float, rs: dict) -> Dict[str, int]:
    """How many frequencies fall in each llama3 band (used to assert coverage)."""
    wavelen = 2 * math.pi / _default_inv_freq(dim, base)
    low = rs["original_max_position_embeddings"] / rs["low_freq_factor"]
    high = rs["original_max_position_embeddings"] / rs["high_freq_factor"]
    return {"high_freq_kept": int((wavelen < high).sum()),
            "low_freq_divided": int((wavelen > low).sum()),
            "medium_smoothed": int((~(wavelen < high) & ~(wavelen > low)).sum())}


def _yarn_params(dim: int, base: float, max_pos: int, rs: dict) -> Tuple[torch.Tensor, float, Tuple[float, float]]:
    """Current transformers `_compute_yarn_parameters` (correction range from
    rope_scaling.original_max_position_embeddings, explicit `factor`, truncate=True)."""
    factor = rs["factor"]
    attention_factor = rs.get("attention_factor")
    mscale = rs.get("mscale")
    mscale_all_dim = rs.get("mscale_all_dim")
    original_max_position_embeddings = rs.get("original_max_position_embeddings") or max_pos

    def get_mscale(scale, m=1):
        if scale <= 1:
            return 1.0
        return 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)
    beta_fast = rs.get("beta_fast") or 32
    beta_slow = rs.get("beta_slow") or 1

    def find_correction_dim(num_rotations, d, b, mpe):
        return (d * math.log(mpe / (num_rotations * 2 * math.pi))) / (2 * math.log(b))

    def find_correction_range(low_rot, high_rot, d, b, mpe, truncate):
        low = find_correction_dim(low_rot, d, b, mpe)
        high = find_correction_dim(high_rot, d, b, mpe)
        if truncate:
            low = math.floor(low)
            high = math.ceil(high)
        return max(low, 0), min(high, d - 1)

    def linear_ramp_factor(lo, hi, n):
        if lo == hi:
            hi += 0.001
        linear_func = (torch.arange(n, dtype=torch.float32) - lo) / (hi - lo)
        return torch.clamp(linear_func, 0, 1)

    pos_freqs = base ** (torch.arange(0, dim, 2).to(dtype=torch.float) / dim)
    inv_freq_extrapolation = 1.0 / pos_freqs
    inv_freq_interpolation = 1.0 / (factor * pos_freqs)
    truncate = rs.get("truncate", True)
    low, high = find_correction_range(beta_fast, beta_slow, dim, base, original_max_position_embeddings, truncate)
    inv_freq_extrapolation_factor = 1 - linear_ramp_factor(low, high, dim // 2).to(dtype=torch.float)
    inv_freq = (inv_freq_interpolation * (1 - inv_freq_extrapolation_factor)
                + inv_freq_extrapolation * inv_freq_extrapolation_factor)
    return inv_freq, attention_factor, (low, high)


def rope_inv_freq(dim: int, base: float, rope_scaling: Optional[dict], max_pos: int) -> Tuple[torch.Tensor, float]:
    """Returns (inv_freq [dim/2] f32, attention_scaling applied to cos and sin)."""
    rtype = "default"
    if rope_scaling is not None:
        rtype = rope_scaling.get("rope_type", rope_scaling.get("type"))
    if rtype == "default":
        return _default_inv_freq(dim, base), 1.0
    if rtype == "linear":
        inv = _default_inv_freq(dim, base)
        inv /= rope_scaling["factor"]
        return inv, 1.0
    if rtype == "llama3":
        return _llama3_inv_freq(dim, base, rope_scaling), 1.0
    if rtype == "yarn":
        inv, att, _ = _yarn_params(dim, base, max_pos, rope_scaling)
        return inv, att
    raise ValueError(f"unsupported rope type {rtype}")


def rope_cos_sin(dim, base, rope_scaling, max_pos, T) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [T, dim] in f32, exactly as the HF *RotaryEmbedding.forward does
    (neox layout: the half-size frequency vector is concatenated with itself)."""
    inv_freq, attention_scaling = rope_inv_freq(dim, base, rope_scaling, max_pos)
    pos = torch.arange(T, dtype=torch.int64).float()
    freqs = (inv_freq[:, None].float() @ pos[None, :].float()).transpose(0, 1)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos() * attention_scaling
    sin = emb.sin() * attention_scaling
    return cos, sin


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


# ============================================================================
# Forward pass (transformers semantics, eager attention)
# ============================================================================

def make_rounder(act_dtype: Optional[torch.dtype]) -> Callable[[torch.Tensor], torch.Tensor]:
    """f32 reference: identity.  Native half precision: every tensor that
    transformers would hold in bf16/f16 is rounded to that dtype (we keep the
    values in f32 storage so every op runs on CPU in any torch build; each op
    is computed in f32 and its result rounded once, which is what the CPU
    bf16 kernels and cuBLAS-with-f32-accumulation do)."""
    if act_dtype is None:
        return lambda t: t
    return lambda t: t.to(act_dtype).to(torch.float32)


def int8_inputs(x: torch.Tensor, block: int) -> torch.Tensor:
    """The inputs of a block-quantized matmul as llama.cpp (and medllm) see them: each block of 32
    (or of 256 for the super-block weight types, llama.cpp's q8_K) rounded to int8 steps of
    amax / 127 (f32 arithmetic, round half to even)."""
    g = x.reshape(*x.shape[:-1], -1, block)
    scale = g.abs().amax(-1, keepdim=True) / 127.0
    inverse = 1.0 / scale
    inverse = torch.where(torch.isfinite(inverse), inverse, torch.zeros_like(scale))  # 0, or subnormal
    return (torch.clamp(torch.round(g * inverse), -127, 127) * scale).reshape(x.shape)


def forward(spec: Spec, W: Dict[str, torch.Tensor], tokens: List[int],
            act_dtype: Optional[torch.dtype] = None, int8_for: Optional[Dict[str, int]] = None) -> torch.Tensor:
    """Full causal forward over `tokens`; returns logits [T, V] in f32.

    W maps HF tensor names (without any multimodal prefix) to f32 tensors that
    hold exactly the stored values.  act_dtype=None: all math in f32.
    act_dtype=bf16/f16: emulate `from_pretrained(torch_dtype=act_dtype)`.
    int8_for: weight names whose matmul inputs are rounded by int8_inputs, with their input block.
    """
    rnd = make_rounder(act_dtype)
    int8_for = int8_for or {}
    q8 = lambda x, name: int8_inputs(x, int8_for[name]) if name in int8_for else x
    T = len(tokens)
    H, KV, D = spec.num_attention_heads, spec.num_key_value_heads, spec.head_dim
    groups = H // KV

    def rms_norm(x, w):
        # LlamaRMSNorm / Qwen*RMSNorm: w * normed.to(input_dtype)
        # Gemma*RMSNorm: (normed * (1 + w.float())).type_as(x)
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + spec.rms_norm_eps)
        if spec.gemma_norm:
            return rnd(normed * (1.0 + w))
        return rnd(w * rnd(normed))

    def linear(x, name, bias):
        b = W[name + ".bias"] if bias else None
        return rnd(F.linear(q8(x, name + ".weight"), W[name + ".weight"], b))

    def act(x):
        if spec.hidden_act == "silu":
            return rnd(F.silu(x))
        if spec.hidden_act == "gelu_pytorch_tanh":
            return rnd(F.gelu(x, approximate="tanh"))
        raise ValueError(spec.hidden_act)

    def softcap(x, cap):
        return rnd(rnd(torch.tanh(rnd(x / cap))) * cap)

    # position embeddings: global (rope_theta + rope_scaling), local (Gemma 3 sliding layers)
    cos_g, sin_g = rope_cos_sin(D, spec.rope_theta, spec.rope_scaling, spec.max_position_embeddings, T)
    if spec.local_rope_theta is not None:
        cos_l, sin_l = rope_cos_sin(D, spec.local_rope_theta, None, spec.max_position_embeddings, T)
    else:
        cos_l, sin_l = cos_g, sin_g
    cos_g, sin_g, cos_l, sin_l = (rnd(t) for t in (cos_g, sin_g, cos_l, sin_l))  # cos.to(x.dtype)

    # masks: key j visible from query i iff j <= i (and j > i - window on sliding layers)
    i_idx = torch.arange(T)[:, None]
    j_idx = torch.arange(T)[None, :]
    causal = j_idx <= i_idx
    sliding = causal & (j_idx > i_idx - spec.sliding_window) if spec.sliding_window is not None else causal

    def attention(x, p, layer):
        q = linear(x, p + "q_proj", spec.qkv_bias).view(T, H, D)
        k = linear(x, p + "k_proj", spec.qkv_bias).view(T, KV, D)
        v = linear(x, p + "v_proj", spec.qkv_bias).view(T, KV, D)
        if spec.qk_norm:
            q = rms_norm(q, W[p + "q_norm.weight"])
            k = rms_norm(k, W[p + "k_norm.weight"])
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)   # [heads, T, D]
        slide = spec.is_sliding(layer)
        cos, sin = (cos_l, sin_l) if (slide and spec.local_rope_theta is not None) else (cos_g, sin_g)
        q = rnd(rnd(q * cos) + rnd(rotate_half(q) * sin))
        k = rnd(rnd(k * cos) + rnd(rotate_half(k) * sin))
        k = k.repeat_interleave(groups, dim=0)          # repeat_kv: query head h uses kv head h // groups
        v = v.repeat_interleave(groups, dim=0)
        scores = rnd(rnd(q @ k.transpose(-1, -2)) * spec.attn_scale)
        if spec.attn_logit_softcapping is not None:     # soft-cap before the mask (Gemma 2 eager)
            scores = softcap(scores, spec.attn_logit_softcapping)
        mask = sliding if slide else causal
        scores = scores.masked_fill(~mask, float("-inf"))
        probs = rnd(torch.softmax(scores, dim=-1, dtype=torch.float32))
        out = rnd(probs @ v).transpose(0, 1).reshape(T, H * D)
        return linear(out, p + "o_proj", spec.o_bias)

    def mlp(x, p):
        gate = linear(x, p + "gate_proj", spec.mlp_bias)
        up = linear(x, p + "up_proj", spec.mlp_bias)
        return linear(rnd(act(gate) * up), p + "down_proj", spec.mlp_bias)

    x = W["model.embed_tokens.weight"][torch.tensor(tokens, dtype=torch.int64)]
    x = rnd(x)
    if spec.embed_scale:
        normalizer = rnd(torch.tensor(spec.hidden_size ** 0.5, dtype=torch.float32))
        x = rnd(x * normalizer)

    for layer in range(spec.num_hidden_layers):
        p = f"model.layers.{layer}."
        residual = x
        h = attention(rms_norm(x, W[p + "input_layernorm.weight"]), p + "self_attn.", layer)
        if spec.sandwich_norms:
            h = rms_norm(h, W[p + "post_attention_layernorm.weight"])
            x = rnd(residual + h)
            residual = x
            h = mlp(rms_norm(x, W[p + "pre_feedforward_layernorm.weight"]), p + "mlp.")
            h = rms_norm(h, W[p + "post_feedforward_layernorm.weight"])
            x = rnd(residual + h)
        else:
            x = rnd(residual + h)
            residual = x
            h = mlp(rms_norm(x, W[p + "post_attention_layernorm.weight"]), p + "mlp.")
            x = rnd(residual + h)

    x = rms_norm(x, W["model.norm.weight"])
    head_name = "model.embed_tokens.weight" if spec.tie_word_embeddings else "lm_head.weight"
    logits = rnd(F.linear(q8(x, head_name), W[head_name]))
    if spec.final_logit_softcapping is not None:
        logits = softcap(logits, spec.final_logit_softcapping)
    return logits.to(torch.float32)


# ============================================================================
# Random weights (HF names, f32)
# ============================================================================

@dataclass(frozen=True)
class Init:
    embed_std: float = 1.0
    lm_head_std: float = 0.5
    qk_gain: float = 1.5        # > 1 makes attention peaky, so masks and caps matter
    gain: float = 1.0
    norm_std: float = 0.15      # spread of norm weights around their neutral value
    bias_std: float = 0.2


def init_weights(spec: Spec, seed: int, init: Init) -> Dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * std

    def norm_w(n):
        neutral = 0.0 if spec.gemma_norm else 1.0
        return neutral + randn(n, std=init.norm_std)

    Hd, I, V = spec.hidden_size, spec.intermediate_size, spec.vocab_size
    qd, kvd = spec.num_attention_heads * spec.head_dim, spec.num_key_value_heads * spec.head_dim
    W: Dict[str, torch.Tensor] = {"model.embed_tokens.weight": randn(V, Hd, std=init.embed_std)}
    for layer in range(spec.num_hidden_layers):
        p = f"model.layers.{layer}."
        W[p + "input_layernorm.weight"] = norm_w(Hd)
        W[p + "post_attention_layernorm.weight"] = norm_w(Hd)
        if spec.sandwich_norms:
            W[p + "pre_feedforward_layernorm.weight"] = norm_w(Hd)
            W[p + "post_feedforward_layernorm.weight"] = norm_w(Hd)
        a = p + "self_attn."
        W[a + "q_proj.weight"] = randn(qd, Hd, std=init.qk_gain / math.sqrt(Hd))
        W[a + "k_proj.weight"] = randn(kvd, Hd, std=init.qk_gain / math.sqrt(Hd))
        W[a + "v_proj.weight"] = randn(kvd, Hd, std=init.gain / math.sqrt(Hd))
        W[a + "o_proj.weight"] = randn(Hd, qd, std=init.gain / math.sqrt(qd))
        if spec.qkv_bias:
            W[a + "q_proj.bias"] = randn(qd, std=init.bias_std)
            W[a + "k_proj.bias"] = randn(kvd, std=init.bias_std)
            W[a + "v_proj.bias"] = randn(kvd, std=init.bias_std)
        if spec.o_bias:
            W[a + "o_proj.bias"] = randn(Hd, std=init.bias_std)
        if spec.qk_norm:
            W[a + "q_norm.weight"] = norm_w(spec.head_dim)
            W[a + "k_norm.weight"] = norm_w(spec.head_dim)
        m = p + "mlp."
        W[m + "gate_proj.weight"] = randn(I, Hd, std=init.gain / math.sqrt(Hd))
        W[m + "up_proj.weight"] = randn(I, Hd, std=init.gain / math.sqrt(Hd))
        W[m + "down_proj.weight"] = randn(Hd, I, std=init.gain / math.sqrt(I))
        if spec.mlp_bias:
            W[m + "gate_proj.bias"] = randn(I, std=init.bias_std)
            W[m + "up_proj.bias"] = randn(I, std=init.bias_std)
            W[m + "down_proj.bias"] = randn(Hd, std=init.bias_std)
    W["model.norm.weight"] = norm_w(Hd)
    if not spec.tie_word_embeddings:
        W["lm_head.weight"] = randn(V, Hd, std=init.lm_head_std)
    return W


# ============================================================================
# Storage dtypes and quantisation
# ============================================================================

TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
SAFETENSORS_DTYPE = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.float32:
        return t.numpy().astype("<f4").tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2").tobytes()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(t.dtype)


def np_roundf(n: np.ndarray) -> np.ndarray:
    """C roundf (half away from zero), as gguf-py/gguf/quants.py."""
    a = abs(n)
    floored = np.floor(a)
    b = floored + np.floor(2 * (a - floored))
    return np.sign(n) * b


def quantize_q8_0(x: np.ndarray) -> Tuple[bytes, np.ndarray]:
    """ggml Q8_0 of a row-major [rows, cols] f32 matrix (cols % 32 == 0).
    Bit-exact with gguf-py's Q8_0.quantize_blocks / ggml quantize_row_q8_0_ref.
    Returns (raw bytes, dequantised f32 array of the same shape)."""
    assert x.dtype == np.float32 and x.shape[-1] % 32 == 0
    blocks = x.reshape(-1, 32)
    d = abs(blocks).max(axis=1, keepdims=True) / 127
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, 0, 1 / d)
    qs = np_roundf(blocks * inv).astype(np.int8)
    d16 = d.astype(np.float16)
    raw = np.concatenate([d16.view(np.uint8), qs.view(np.uint8)], axis=1).tobytes()
    deq = (qs.astype(np.float32) * d16.astype(np.float32)).reshape(x.shape)
    return raw, deq


# ============================================================================
# Writers: safetensors, sharded safetensors, GGUF
# ============================================================================

def safetensors_blob(tensors: List[Tuple[str, torch.Tensor]]) -> bytes:
    header: Dict[str, dict] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, t in tensors:
        b = tensor_bytes(t)
        header[name] = {"dtype": SAFETENSORS_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((-len(hj)) % 8)
    return struct.pack("<Q", len(hj)) + hj + b"".join(blobs)


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Every tensor of a safetensors file (F32, F16 or BF16) as f32, by name."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        if info["dtype"] == "BF16":
            array = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            array = np.frombuffer(raw, dtype={"F32": "<f4", "F16": "<f2"}[info["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(array.reshape(info["shape"]).copy())
    return out


def write_safetensors(folder: str, tensors: List[Tuple[str, torch.Tensor]], shards: int) -> List[str]:
    tensors = sorted(tensors, key=lambda kv: kv[0])
    if shards == 1:
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(safetensors_blob(tensors))
        return ["model.safetensors"]
    # split by cumulative size (layers may straddle shards, as with save_pretrained)
    sizes = [len(tensor_bytes(t)) for _, t in tensors]
    total, acc, parts = sum(sizes), 0, [[] for _ in range(shards)]
    for (name, t), s in zip(tensors, sizes):
        parts[min(shards - 1, acc * shards // total)].append((name, t))
        acc += s
    files, weight_map = [], {}
    for k, part in enumerate(parts):
        fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(safetensors_blob(part))
        files.append(fname)
        for name, _ in part:
            weight_map[name] = fname
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return files + ["model.safetensors.index.json"]


# --- GGUF -------------------------------------------------------------------

GGUF_U8, GGUF_I8, GGUF_U16, GGUF_I16, GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STR, GGUF_ARR, GGUF_U64, GGUF_I64, GGUF_F64 = range(13)
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# general.file_type (LlamaFileType.MOSTLY_F16 / MOSTLY_Q8_0; a mix of types is written as
# MOSTLY_Q4_K_M, the preset whose files hold several types)
LLAMA_FTYPE = {"f16": 1, "q8_0": 7, "mix": 15}

# ggml's block types: name -> (ggml type id, elements per block, bytes per block, ggml's symbol
# stem). Their bytes come from ggml's own reference quantizer and the reference logits from ggml's
# dequantization of those bytes (libggml-base.so from the npm package @node-llama-cpp/linux-x64,
# installed by the tests' node fixture), so a quantized GGUF case checks medllm's reading and
# dequantization of each type against llama.cpp itself.
GGML_BLOCK_TYPES = {
    "q4_0": (2, 32, 18, "q4_0"), "q4_1": (3, 32, 20, "q4_1"), "q5_0": (6, 32, 22, "q5_0"),
    "q5_1": (7, 32, 24, "q5_1"), "q8_0": (8, 32, 34, "q8_0"), "q2_k": (10, 256, 84, "q2_K"),
    "q3_k": (11, 256, 110, "q3_K"), "q4_k": (12, 256, 144, "q4_K"), "q5_k": (13, 256, 176, "q5_K"),
    "q6_k": (14, 256, 210, "q6_K"), "iq4_nl": (20, 32, 18, "iq4_nl"), "iq4_xs": (23, 256, 136, "iq4_xs"),
}
GGML_BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "node", "node_modules",
                         "@node-llama-cpp", "linux-x64", "bins", "linux-x64", "libggml-base.so")
_ggml_base = None


def ggml_base() -> ctypes.CDLL:
    global _ggml_base
    if _ggml_base is None:
        path = os.environ.get("MEDLLM_GGML_BASE", GGML_BASE)
        if not os.path.exists(path):
            sys.exit(f"{path}: missing; the quantized GGUF cases need llama.cpp's libggml-base.so "
                     "(npm ci in tests/node installs it)")
        _ggml_base = ctypes.CDLL(path)
    return _ggml_base


def ggml_quantize(x: np.ndarray, qtype: str) -> Tuple[bytes, np.ndarray]:
    """(ggml's quantize_row_<t>_ref bytes of x, ggml's dequantize_row_<t> of those bytes)."""
    _, block_elems, block_bytes, stem = GGML_BLOCK_TYPES[qtype]
    x = np.ascontiguousarray(x, dtype=np.float32)
    assert x.shape[-1] % block_elems == 0, (qtype, x.shape)
    lib = ggml_base()
    quantize, dequantize = getattr(lib, f"quantize_row_{stem}_ref"), getattr(lib, f"dequantize_row_{stem}")
    for fn in (quantize, dequantize):
        fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64], None
    raw = ctypes.create_string_buffer(x.size // block_elems * block_bytes)
    quantize(x.ctypes.data, raw, x.size)
    deq = np.empty(x.shape, dtype=np.float32)
    dequantize(raw, deq.ctypes.data, x.size)
    return raw.raw, deq


class GGUFWriter:
    def __init__(self, alignment: int = 32):
        self.alignment = alignment
        self.kv: List[Tuple[str, int, object, Optional[int]]] = []
        self.tensors: List[Tuple[str, List[int], int, bytes]] = []

    def add(self, key: str, vtype: int, value, elem_type: Optional[int] = None):
        self.kv.append((key, vtype, value, elem_type))

    def add_tensor(self, name: str, ne: List[int], ggml_type: int, data: bytes):
        self.tensors.append((name, ne, ggml_type, data))

    @staticmethod
    def _str(s: str) -> bytes:
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _scalar(self, vtype: int, v) -> bytes:
        fmt = {GGUF_U8: "<B", GGUF_I8: "<b", GGUF_U16: "<H", GGUF_I16: "<h", GGUF_U32: "<I", GGUF_I32: "<i",
               GGUF_F32: "<f", GGUF_BOOL: "<B", GGUF_U64: "<Q", GGUF_I64: "<q", GGUF_F64: "<d"}
        if vtype == GGUF_STR:
            return self._str(v)
        return struct.pack(fmt[vtype], int(v) if vtype == GGUF_BOOL else v)

    def to_bytes(self) -> bytes:
        out = bytearray(b"GGUF")
        out += struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for key, vtype, value, elem in self.kv:
            out += self._str(key) + struct.pack("<I", vtype)
            if vtype == GGUF_ARR:
                out += struct.pack("<IQ", elem, len(value))
                for v in value:
                    out += self._scalar(elem, v)
            else:
                out += self._scalar(vtype, value)
        offset = 0
        for name, ne, gtype, data in self.tensors:
            out += self._str(name) + struct.pack("<I", len(ne))
            out += struct.pack(f"<{len(ne)}Q", *ne)
            out += struct.pack("<IQ", gtype, offset)
            offset += len(data) + (-len(data)) % self.alignment
        out += b"\0" * ((-len(out)) % self.alignment)
        for _, _, _, data in self.tensors:
            out += data + b"\0" * ((-len(data)) % self.alignment)
        return bytes(out)


def gguf_permute(w: torch.Tensor, n_head: int, n_head_kv: Optional[int]) -> torch.Tensor:
    """convert_hf_to_gguf.py LlamaModel.permute: HF rotate-half rows -> interleaved pairs."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def gguf_unpermute(w: torch.Tensor, n_head: int) -> torch.Tensor:
    return (w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:])
            .swapaxes(1, 2)
            .reshape(w.shape))


def gguf_vocab(vocab_size: int):
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(6)                      # BYTE
    k = 0
    while len(tokens) < vocab_size:
        tokens.append("\u2581" + "".join(chr(ord("a") + (k // 26 ** i) % 26) for i in range(2)) + str(k))
        scores.append(-float(k + 1))
        types.append(1)                      # NORMAL
        k += 1
    assert len(tokens) == vocab_size and len(set(tokens)) == vocab_size
    return tokens, scores, types


HF_TO_GGUF = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


GGUF_BIASES = {
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
}


# The order in which the "mix" case assigns block types to its 2-D tensors: every type, the
# k-quants first so the embedding table (the first tensor) is one of them.
MIX_ORDER = ["q4_k", "q6_k", "q5_k", "q3_k", "q2_k", "iq4_xs", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q8_0"]


def write_llama_gguf(path: str, spec: Spec, W32: Dict[str, torch.Tensor], qtype: str, name: str,
                     write_alignment_key: bool, arch: str = "llama") -> Dict[str, torch.Tensor]:
    """Writes a llama or qwen2 GGUF as convert_hf_to_gguf.py would; returns the weights
    (HF names and layout, f32) the file decodes to and the names of the block-quantized ones. llama: q/k rows permuted for llama.cpp's
    interleaved rope; qwen2 (NEOX rope): rows as in Hugging Face, q/k/v biases, and no
    output.weight when the embeddings are tied."""
    assert arch in ("llama", "qwen2")
    if arch == "llama":
        assert not (spec.qkv_bias or spec.o_bias or spec.mlp_bias or spec.tie_word_embeddings)
    else:
        assert spec.qkv_bias and not (spec.o_bias or spec.mlp_bias)
    w = GGUFWriter(alignment=32)
    w.add("general.architecture", GGUF_STR, arch)
    w.add("general.name", GGUF_STR, name)
    if write_alignment_key:
        w.add("general.alignment", GGUF_U32, 32)
    w.add(f"{arch}.block_count", GGUF_U32, spec.num_hidden_layers)
    w.add(f"{arch}.context_length", GGUF_U32, spec.max_position_embeddings)
    w.add(f"{arch}.embedding_length", GGUF_U32, spec.hidden_size)
    w.add(f"{arch}.feed_forward_length", GGUF_U32, spec.intermediate_size)
    w.add(f"{arch}.attention.head_count", GGUF_U32, spec.num_attention_heads)
    w.add(f"{arch}.attention.head_count_kv", GGUF_U32, spec.num_key_value_heads)
    w.add(f"{arch}.rope.freq_base", GGUF_F32, spec.rope_theta)
    w.add(f"{arch}.attention.layer_norm_rms_epsilon", GGUF_F32, spec.rms_norm_eps)
    w.add("general.file_type", GGUF_U32, LLAMA_FTYPE[qtype])
    w.add(f"{arch}.vocab_size", GGUF_U32, spec.vocab_size)
    w.add(f"{arch}.rope.dimension_count", GGUF_U32, spec.head_dim)
    tokens, scores, types = gguf_vocab(spec.vocab_size)
    w.add("tokenizer.ggml.model", GGUF_STR, "llama")
    w.add("tokenizer.ggml.tokens", GGUF_ARR, tokens, GGUF_STR)
    w.add("tokenizer.ggml.scores", GGUF_ARR, scores, GGUF_F32)
    w.add("tokenizer.ggml.token_type", GGUF_ARR, types, GGUF_I32)
    w.add("tokenizer.ggml.bos_token_id", GGUF_U32, 1)
    w.add("tokenizer.ggml.eos_token_id", GGUF_U32, 2)
    w.add("tokenizer.ggml.unknown_token_id", GGUF_U32, 0)
    w.add("tokenizer.ggml.add_bos_token", GGUF_BOOL, True)
    w.add("tokenizer.ggml.add_eos_token", GGUF_BOOL, False)
    w.add("general.quantization_version", GGUF_U32, 2)

    decoded: Dict[str, torch.Tensor] = {}
    mixed: List[str] = []
    block_quantized: Dict[str, int] = {}  # HF name -> the input block of its integer dot products

    def put(gguf_name: str, hf_name: str, permute_heads: Optional[Tuple[int, Optional[int]]] = None):
        t = W32[hf_name]
        stored = gguf_permute(t, *permute_heads) if permute_heads else t
        ne = list(reversed(stored.shape))                      # ne[0] is the innermost (contiguous) dim
        if stored.dim() == 1:
            data, gtype, deq = tensor_bytes(stored), GGML_F32, stored.numpy()
        elif qtype == "mix":   # the block types in turn, one per 2-D tensor
            name = MIX_ORDER[len(mixed) % len(MIX_ORDER)]
            data, deq = ggml_quantize(stored.numpy(), name)
            gtype = GGML_BLOCK_TYPES[name][0]
            mixed.append(name)
        elif qtype == "q8_0":
            data, deq = quantize_q8_0(np.ascontiguousarray(stored.numpy()))
            gtype = GGML_Q8_0
            name = "q8_0"
        else:
            h = stored.to(torch.float16)
            data, gtype, deq = tensor_bytes(h), GGML_F16, h.float().numpy()
        w.add_tensor(gguf_name, ne, gtype, data)
        if gtype not in (GGML_F32, GGML_F16):
            block_quantized[hf_name] = GGML_BLOCK_TYPES[name][1]
        deq_t = torch.from_numpy(np.array(deq, dtype=np.float32)).reshape(stored.shape)
        if permute_heads:
            deq_t = gguf_unpermute(deq_t, permute_heads[1] if permute_heads[1] else permute_heads[0])
        decoded[hf_name] = deq_t

    put("token_embd.weight", "model.embed_tokens.weight")
    for layer in range(spec.num_hidden_layers):
        names = dict(HF_TO_GGUF, **(GGUF_BIASES if spec.qkv_bias else {}))
        for hf_suffix, g_suffix in names.items():
            perm = None
            if arch == "llama" and hf_suffix == "self_attn.q_proj.weight":
                perm = (spec.num_attention_heads, spec.num_attention_heads)
            elif arch == "llama" and hf_suffix == "self_attn.k_proj.weight":
                perm = (spec.num_attention_heads, spec.num_key_value_heads)
            put(f"blk.{layer}.{g_suffix}", f"model.layers.{layer}.{hf_suffix}", perm)
    put("output_norm.weight", "model.norm.weight")
    if not spec.tie_word_embeddings:
        put("output.weight", "lm_head.weight")
    with open(path, "wb") as f:
        f.write(w.to_bytes())
    return decoded, block_quantized


# ============================================================================
# HF config.json builders
# ============================================================================

def _rope_fields(s: Spec) -> dict:
    return {"rope_scaling": s.rope_scaling, "rope_theta": s.rope_theta}


def llama_config(s: Spec, dtype: str, write_head_dim: bool) -> dict:
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": s.qkv_bias,
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "mlp_bias": s.mlp_bias,
        "model_type": "llama",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "pretraining_tp": 1,
        "rms_norm_eps": s.rms_norm_eps,
        **_rope_fields(s),
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "vocab_size": s.vocab_size,
    }
    if write_head_dim:
        cfg["head_dim"] = s.head_dim
    assert s.qkv_bias == s.o_bias
    return dict(sorted(cfg.items()))


def mistral_config(s: Spec, dtype: str) -> dict:
    return {
        "architectures": ["MistralForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "model_type": "mistral",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "rms_norm_eps": s.rms_norm_eps,
        "rope_theta": s.rope_theta,
        "sliding_window": s.sliding_window,
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "vocab_size": s.vocab_size,
    }


def qwen2_config(s: Spec, dtype: str) -> dict:
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": s.vocab_size - 10,
        "eos_token_id": s.vocab_size - 8,
        "hidden_act": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "max_window_layers": s.num_hidden_layers,
        "model_type": "qwen2",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "rms_norm_eps": s.rms_norm_eps,
        **_rope_fields(s),
        "sliding_window": 32768,          # ignored: use_sliding_window is false
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": s.vocab_size,
    }


def qwen3_config(s: Spec, dtype: str) -> dict:
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": s.vocab_size - 10,
        "eos_token_id": s.vocab_size - 8,
        "head_dim": s.head_dim,
        "hidden_act": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "max_window_layers": s.num_hidden_layers,
        "model_type": "qwen3",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "rms_norm_eps": s.rms_norm_eps,
        **_rope_fields(s),
        "sliding_window": None,
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": s.vocab_size,
    }


def gemma2_config(s: Spec, dtype: str) -> dict:
    return {
        "architectures": ["Gemma2ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": s.attn_logit_softcapping,
        "bos_token_id": 2,
        "cache_implementation": "hybrid",
        "eos_token_id": 1,
        "final_logit_softcapping": s.final_logit_softcapping,
        "head_dim": s.head_dim,
        "hidden_act": s.hidden_act,
        "hidden_activation": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "model_type": "gemma2",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "pad_token_id": 0,
        "query_pre_attn_scalar": s.query_pre_attn_scalar,
        "rms_norm_eps": s.rms_norm_eps,
        "rope_theta": s.rope_theta,
        "sliding_window": s.sliding_window,
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "vocab_size": s.vocab_size,
    }


def gemma3_text_config(s: Spec, dtype: str, pattern: Optional[int], layer_types: Optional[List[str]]) -> dict:
    cfg = {
        "architectures": ["Gemma3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": s.attn_logit_softcapping,
        "bos_token_id": 2,
        "cache_implementation": "hybrid",
        "eos_token_id": [1, 106],
        "final_logit_softcapping": s.final_logit_softcapping,
        "head_dim": s.head_dim,
        "hidden_activation": s.hidden_act,
        "hidden_size": s.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": s.intermediate_size,
        "max_position_embeddings": s.max_position_embeddings,
        "model_type": "gemma3_text",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "pad_token_id": 0,
        "query_pre_attn_scalar": s.query_pre_attn_scalar,
        "rms_norm_eps": s.rms_norm_eps,
        "rope_local_base_freq": s.local_rope_theta,
        **_rope_fields(s),
        "sliding_window": s.sliding_window,
        "tie_word_embeddings": s.tie_word_embeddings,
        "torch_dtype": dtype,
        "use_cache": True,
        "vocab_size": s.vocab_size,
    }
    if pattern is not None:
        cfg["sliding_window_pattern"] = pattern
    if layer_types is not None:
        cfg["layer_types"] = layer_types
    return dict(sorted(cfg.items()))


GEMMA3_TEXT_DEFAULTS = {  # Gemma3TextConfig.__init__ defaults relied upon by the "gemma3" case
    "rms_norm_eps": 1e-6, "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0,
    "sliding_window_pattern": 6, "hidden_activation": "gelu_pytorch_tanh", "attention_bias": False,
    "attn_logit_softcapping": None, "final_logit_softcapping": None, "tie_word_embeddings": True,
    "max_position_embeddings": 131072,
}

GEMMA3_VISION = {"hidden_size": 32, "image_size": 28, "intermediate_size": 64, "model_type": "siglip_vision_model",
                 "num_attention_heads": 2, "num_hidden_layers": 1, "patch_size": 14, "vision_use_head": False}


def gemma3_mm_config(s: Spec, dtype: str) -> dict:
    text = {  # sparse like the Hub's google/gemma-3-4b-it: defaulted fields are omitted
        "head_dim": s.head_dim,
        "hidden_size": s.hidden_size,
        "intermediate_size": s.intermediate_size,
        "model_type": "gemma3_text",
        "num_attention_heads": s.num_attention_heads,
        "num_hidden_layers": s.num_hidden_layers,
        "num_key_value_heads": s.num_key_value_heads,
        "query_pre_attn_scalar": s.query_pre_attn_scalar,
        "rope_scaling": s.rope_scaling,
        "sliding_window": s.sliding_window,
        "vocab_size": s.vocab_size,
    }
    # the omitted fields must equal Gemma3TextConfig defaults
    assert s.rms_norm_eps == GEMMA3_TEXT_DEFAULTS["rms_norm_eps"]
    assert s.rope_theta == GEMMA3_TEXT_DEFAULTS["rope_theta"]
    assert s.local_rope_theta == GEMMA3_TEXT_DEFAULTS["rope_local_base_freq"]
    assert s.hidden_act == GEMMA3_TEXT_DEFAULTS["hidden_activation"]
    assert s.attn_logit_softcapping is None and s.final_logit_softcapping is None and s.tie_word_embeddings
    assert s.max_position_embeddings == GEMMA3_TEXT_DEFAULTS["max_position_embeddings"]
    assert s.layer_sliding == gemma3_pattern(s.num_hidden_layers, GEMMA3_TEXT_DEFAULTS["sliding_window_pattern"])
    return {
        "architectures": ["Gemma3ForConditionalGeneration"],
        "boi_token_index": s.vocab_size - 3,
        "eoi_token_index": s.vocab_size - 2,
        "eos_token_id": [1, 106],
        "image_token_index": s.vocab_size - 1,
        "initializer_range": 0.02,
        "mm_tokens_per_image": 1,
        "model_type": "gemma3",
        "text_config": text,
        "torch_dtype": dtype,
        "vision_config": GEMMA3_VISION,
    }


def gemma3_pattern(n_layers: int, pattern: int) -> Tuple[bool, ...]:
    """Gemma3TextConfig default layer_types: sliding iff (i + 1) % pattern != 0."""
    return tuple(bool((i + 1) % pattern) for i in range(n_layers))


def layer_types_to_sliding(layer_types: List[str]) -> Tuple[bool, ...]:
    return tuple(t == "sliding_attention" for t in layer_types)


# ============================================================================
# Cases
# ============================================================================

@dataclass
class Case:
    name: str
    model_type: str
    spec: Spec
    config: Callable[[Spec, str], Optional[dict]]
    features: List[str]
    weight_dtype: str = "float32"            # float32 | bfloat16 | float16 | q8_0 or mix (gguf) | gguf_f16
    fmt: str = "safetensors"                  # safetensors | gguf
    shards: int = 1
    seed_name: Optional[str] = None           # share weights with another case
    init: Init = Init()
    name_prefix: str = ""                     # e.g. "language_model." for Gemma3ForConditionalGeneration
    extra_tensors: Callable[[torch.Generator], List[Tuple[str, torch.Tensor]]] = lambda g: []
    ablations: Dict[str, Callable[[Spec, Dict[str, torch.Tensor]], Tuple[Spec, Dict[str, torch.Tensor]]]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    bos: int = 1


def _no_bias(spec, W):
    return spec, {k: (torch.zeros_like(v) if k.endswith(".bias") else v) for k, v in W.items()}


def _spec(**kw):
    return lambda s, W: (dataclasses.replace(s, **kw), W)


LLAMA = Spec(hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
             head_dim=16, vocab_size=300, rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=2048)

LLAMA3_ROPE = {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
               "original_max_position_embeddings": 64, "rope_type": "llama3"}
YARN_ROPE = {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 4.0,
             "original_max_position_embeddings": 32, "rope_type": "yarn"}

# Rows of 256 and 512 elements: whole super-blocks, so every k-quant applies to every matrix.
LLAMA_WIDE = Spec(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=64, vocab_size=300, rms_norm_eps=1e-5, rope_theta=10000.0,
                  max_position_embeddings=2048)

MISTRAL = Spec(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
               head_dim=16, vocab_size=317, rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=4096,
               sliding_window=8, layer_sliding=(True,) * 3)

QWEN2 = Spec(hidden_size=64, intermediate_size=112, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
             head_dim=16, vocab_size=311, rms_norm_eps=1e-6, rope_theta=1_000_000.0, max_position_embeddings=32768,
             tie_word_embeddings=True, qkv_bias=True)

QWEN3 = Spec(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
             head_dim=32, vocab_size=307, rms_norm_eps=1e-6, rope_theta=1_000_000.0, max_position_embeddings=40960,
             tie_word_embeddings=True, qk_norm=True)

GEMMA2 = Spec(hidden_size=64, intermediate_size=160, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
              head_dim=24, vocab_size=331, rms_norm_eps=1e-6, rope_theta=10000.0, max_position_embeddings=8192,
              tie_word_embeddings=True, hidden_act="gelu_pytorch_tanh", gemma_norm=True, sandwich_norms=True,
              embed_scale=True, query_pre_attn_scalar=32, attn_logit_softcapping=2.0, final_logit_softcapping=3.0,
              sliding_window=8, layer_sliding=tuple(not bool(i % 2) for i in range(4)))

GEMMA3_TEXT = Spec(hidden_size=48, intermediate_size=128, num_hidden_layers=6, num_attention_heads=4,
                   num_key_value_heads=2, head_dim=16, vocab_size=323, rms_norm_eps=1e-6, rope_theta=1_000_000.0,
                   rope_scaling={"factor": 8.0, "rope_type": "linear"}, max_position_embeddings=32768,
                   tie_word_embeddings=True, hidden_act="gelu_pytorch_tanh", gemma_norm=True, sandwich_norms=True,
                   qk_norm=True, embed_scale=True, query_pre_attn_scalar=24, sliding_window=8,
                   layer_sliding=gemma3_pattern(6, 3), local_rope_theta=10000.0)

GEMMA3_LAYER_TYPES = ["full_attention", "sliding_attention", "sliding_attention",
                      "full_attention", "full_attention", "sliding_attention"]

GEMMA_INIT = Init(embed_std=0.4)                       # tied head: pre-cap logits ~ sqrt(H) * embed_std
GEMMA3_INIT = Init(embed_std=0.6, norm_std=0.4)         # q/k norms renormalise: spread the norm weights more


def _gemma3_mm_extra(g: torch.Generator) -> List[Tuple[str, torch.Tensor]]:
    """Dummy SigLIP tower + projector tensors: a text-only engine must skip them."""
    vh, p = GEMMA3_VISION["hidden_size"], GEMMA3_VISION["patch_size"]
    n_patches = (GEMMA3_VISION["image_size"] // p) ** 2

    def r(*s):
        return torch.randn(*s, generator=g) * 0.02

    v = "vision_tower.vision_model."
    return [
        (v + "embeddings.patch_embedding.weight", r(vh, 3, p, p)),
        (v + "embeddings.patch_embedding.bias", r(vh)),
        (v + "embeddings.position_embedding.weight", r(n_patches, vh)),
        (v + "encoder.layers.0.self_attn.q_proj.weight", r(vh, vh)),
        (v + "encoder.layers.0.self_attn.q_proj.bias", r(vh)),
        (v + "post_layernorm.weight", 1.0 + r(vh)),
        (v + "post_layernorm.bias", r(vh)),
        ("multi_modal_projector.mm_input_projection_weight", r(vh, GEMMA3_TEXT.hidden_size)),
        ("multi_modal_projector.mm_soft_emb_norm.weight", r(vh)),
    ]


GEMMA3_MM = dataclasses.replace(GEMMA3_TEXT, layer_sliding=gemma3_pattern(6, 6), max_position_embeddings=131072,
                                vocab_size=300)


def build_cases() -> List[Case]:
    llama_cfg = lambda hd: (lambda s, dt: llama_config(s, dt, write_head_dim=hd))
    return [
        Case("llama_basic", "llama", LLAMA, llama_cfg(False),
             ["gqa", "rope_default", "untied_lm_head", "silu", "f32", "config_without_head_dim"],
             ablations={"tie_to_embeddings": lambda s, W: (dataclasses.replace(s, tie_word_embeddings=True), W)}),
        Case("llama_bias_tied", "llama", dataclasses.replace(LLAMA, qkv_bias=True, o_bias=True, mlp_bias=True,
                                                             tie_word_embeddings=True, vocab_size=301),
             llama_cfg(False), ["gqa", "attention_bias_qkvo", "mlp_bias", "tied_embeddings", "f32"],
             ablations={"zero_biases": _no_bias}),
        Case("llama_rope_linear", "llama", dataclasses.replace(LLAMA, rope_scaling={"factor": 2.0, "type": "linear"}),
             llama_cfg(False), ["gqa", "rope_linear", "rope_scaling_legacy_type_key", "f32"],
             ablations={"no_rope_scaling": _spec(rope_scaling=None)},
             notes=["rope_scaling uses the legacy key 'type' (transformers reads rope_type, falling back to type)"]),
        Case("llama_rope_llama3", "llama", dataclasses.replace(LLAMA, rope_theta=500000.0, rope_scaling=LLAMA3_ROPE,
                                                               max_position_embeddings=1024),
             llama_cfg(True), ["gqa", "rope_llama3", "config_with_head_dim", "f32"],
             ablations={"no_rope_scaling": _spec(rope_scaling=None)},
             notes=[f"llama3 bands for head_dim 16: {llama3_bands(16, 500000.0, LLAMA3_ROPE)}"]),
        Case("llama_rope_yarn", "llama", dataclasses.replace(LLAMA, rope_scaling=YARN_ROPE, max_position_embeddings=128),
             llama_cfg(False), ["gqa", "rope_yarn", "yarn_attention_factor", "f32"],
             ablations={"no_rope_scaling": _spec(rope_scaling=None),
                        "yarn_attention_factor_1": _spec(rope_scaling={**YARN_ROPE, "attention_factor": 1.0})},
             notes=["yarn follows current transformers _compute_yarn_parameters: correction range from "
                    "original_max_position_embeddings (32), explicit factor 4, truncate=True, "
                    "attention_factor = 0.1*ln(4)+1 multiplies cos and sin; max_position_embeddings = factor * original",
                    "yarn correction range (low, high) = %s of dim/2 = 8" % (_yarn_params(16, 10000.0, 128, YARN_ROPE)[2],)]),
        Case("llama_head_dim", "llama", dataclasses.replace(LLAMA, head_dim=24, vocab_size=303),
             llama_cfg(True), ["gqa", "head_dim_override", "f32"],
             notes=["num_attention_heads * head_dim = 96 != hidden_size 64; q_proj is [96, 64], o_proj is [64, 96]"]),
        Case("llama_sharded", "llama", LLAMA, llama_cfg(False), ["gqa", "sharded_safetensors", "f32"],
             shards=2, seed_name="llama_basic",
             notes=["same weights as llama_basic (identical logits); shard boundary falls inside a layer"]),
        Case("llama_bf16", "llama", LLAMA, llama_cfg(False), ["gqa", "bf16_weights"], weight_dtype="bfloat16",
             seed_name="llama_basic", notes=["llama_basic weights rounded to bfloat16 (round-to-nearest-even)"]),
        Case("mistral_swa", "mistral", MISTRAL, mistral_config, ["gqa", "sliding_window_all_layers", "f32",
                                                                  "config_without_head_dim"],
             ablations={"no_sliding_window": _spec(sliding_window=None)}),
        Case("qwen2", "qwen2", QWEN2, qwen2_config, ["gqa", "qkv_bias_no_o_bias", "tied_embeddings", "f32",
                                                     "use_sliding_window_false"],
             ablations={"zero_biases": _no_bias}, bos=QWEN2.vocab_size - 10,
             notes=["config has sliding_window 32768 with use_sliding_window false: no sliding window"]),
        Case("qwen2_f16", "qwen2", QWEN2, qwen2_config, ["gqa", "qkv_bias_no_o_bias", "tied_embeddings", "f16_weights"],
             weight_dtype="float16", seed_name="qwen2", bos=QWEN2.vocab_size - 10,
             notes=["qwen2 weights rounded to float16"]),
        Case("qwen3", "qwen3", QWEN3, qwen3_config, ["gqa", "qk_norm", "head_dim_override", "tied_embeddings", "f32"],
             ablations={"no_qk_norm": _spec(qk_norm=False)}, bos=QWEN3.vocab_size - 10,
             notes=["q_norm/k_norm are Llama-style RMSNorms (w * x) over head_dim 32, applied per head before RoPE"]),
        Case("gemma2", "gemma2", GEMMA2, gemma2_config,
             ["gqa", "gemma_rmsnorm_1_plus_w", "sandwich_norms", "gelu_pytorch_tanh", "embed_scale_sqrt_hidden",
              "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping",
              "sliding_window_even_layers", "head_dim_override", "tied_embeddings", "f32"],
             init=GEMMA_INIT, bos=2,
             ablations={"no_attn_softcap": _spec(attn_logit_softcapping=None),
                        "no_final_softcap": _spec(final_logit_softcapping=None),
                        "no_sliding_window": _spec(sliding_window=None),
                        "no_embed_scale": _spec(embed_scale=False),
                        "head_dim_scale": _spec(query_pre_attn_scalar=None)},
             notes=["sliding layers: 0 and 2 (even index); scale = query_pre_attn_scalar**-0.5 = 32**-0.5"]),
        Case("gemma3_text", "gemma3_text", GEMMA3_TEXT,
             lambda s, dt: gemma3_text_config(s, dt, pattern=3, layer_types=None),
             ["gqa", "gemma_rmsnorm_1_plus_w", "sandwich_norms", "qk_norm_gemma", "gelu_pytorch_tanh",
              "embed_scale_sqrt_hidden", "query_pre_attn_scalar", "sliding_window_pattern",
              "local_global_rope", "rope_linear_global_only", "head_dim_override", "tied_embeddings", "f32"],
             init=GEMMA3_INIT, bos=2,
             ablations={"no_sliding_window": _spec(sliding_window=None),
                        "global_rope_everywhere": _spec(local_rope_theta=None),
                        "no_rope_scaling": _spec(rope_scaling=None)},
             notes=["sliding layers (pattern 3): 0,1,3,4; full: 2,5. Sliding layers use default RoPE with "
                    "rope_local_base_freq; full layers use rope_theta with rope_scaling (linear 8)",
                    "hidden_size 48: sqrt(48) is not exact in any float format"]),
        Case("gemma3_text_layer_types", "gemma3_text",
             dataclasses.replace(GEMMA3_TEXT, layer_sliding=layer_types_to_sliding(GEMMA3_LAYER_TYPES),
                                 rope_scaling=None, vocab_size=329),
             lambda s, dt: gemma3_text_config(s, dt, pattern=None, layer_types=GEMMA3_LAYER_TYPES),
             ["gqa", "gemma_rmsnorm_1_plus_w", "sandwich_norms", "qk_norm_gemma", "layer_types",
              "local_global_rope", "query_pre_attn_scalar", "embed_scale_sqrt_hidden", "tied_embeddings", "f32"],
             init=GEMMA3_INIT, bos=2,
             ablations={"pattern_instead_of_layer_types": _spec(layer_sliding=gemma3_pattern(6, 6))},
             notes=["explicit layer_types (no sliding_window_pattern key); it is not periodic, so any "
                    "pattern-derived assignment gives different logits"]),
        Case("gemma3", "gemma3", GEMMA3_MM, gemma3_mm_config,
             ["multimodal_wrapper", "language_model_prefix", "ignore_vision_tensors", "nested_text_config",
              "text_config_defaults", "gemma_rmsnorm_1_plus_w", "sandwich_norms", "qk_norm_gemma",
              "local_global_rope", "rope_linear_global_only", "sliding_window_pattern_default_6", "tied_embeddings",
              "f32"],
             init=GEMMA3_INIT, bos=2, name_prefix="language_model.", extra_tensors=_gemma3_mm_extra,
             ablations={"no_sliding_window": _spec(sliding_window=None)},
             notes=["text weights are under 'language_model.model.' (Hub layout of Gemma3ForConditionalGeneration); "
                    "vision_tower.* and multi_modal_projector.* are dummies to be ignored; no lm_head (tied)",
                    "text_config omits fields equal to Gemma3TextConfig defaults: " + json.dumps(GEMMA3_TEXT_DEFAULTS),
                    "sliding layers with the default pattern 6: 0-4; full: 5"]),
        Case("gemma3_bf16", "gemma3_text", GEMMA3_TEXT,
             lambda s, dt: gemma3_text_config(s, dt, pattern=3, layer_types=None),
             ["bf16_weights", "gemma_rmsnorm_1_plus_w", "sandwich_norms", "qk_norm_gemma", "local_global_rope",
              "embed_scale_sqrt_hidden", "sliding_window_pattern"],
             weight_dtype="bfloat16", seed_name="gemma3_text", init=GEMMA3_INIT, bos=2,
             notes=["gemma3_text weights rounded to bfloat16; native path rounds sqrt(48) to bf16 (6.9375) "
                    "like Gemma3TextScaledWordEmbedding"]),
        Case("llama_gguf_q8_0", "llama", LLAMA, lambda s, dt: None,
             ["gguf_v3", "q8_0", "qk_permuted_for_interleaved_rope", "gguf_tokenizer", "explicit_general_alignment"],
             weight_dtype="q8_0", fmt="gguf", seed_name="llama_basic",
             notes=["llama_basic weights; every 2-D tensor (incl. token_embd and output) is Q8_0, norms F32",
                    "general.alignment=32 is written explicitly in this file",
                    "logits use the dequantised weights, unpermuted, with HF (rotate_half) RoPE"]),
        Case("llama_gguf_quant_mix", "llama", LLAMA_WIDE, lambda s, dt: None,
             ["gguf_v3", "every_block_type", "ggml_reference_quantizer", "qk_permuted_for_interleaved_rope",
              "gguf_tokenizer"],
             weight_dtype="mix", fmt="gguf",
             notes=["2-D tensors take the types of MIX_ORDER in turn (q4_k for token_embd, ...), each quantized "
                    "by ggml's quantize_row_*_ref; norms F32",
                    "logits use ggml's dequantize_row_* of the stored blocks, unpermuted, with HF RoPE"]),
        Case("llama_gguf_f16", "llama", LLAMA, lambda s, dt: None,
             ["gguf_v3", "f16", "qk_permuted_for_interleaved_rope", "gguf_tokenizer", "default_alignment"],
             weight_dtype="float16", fmt="gguf", seed_name="llama_basic",
             notes=["llama_basic weights; every 2-D tensor is F16, norms F32; general.alignment absent (default 32)"]),
        Case("qwen2_gguf_f16", "qwen2", QWEN2, lambda s, dt: None,
             ["gguf_v3", "f16", "qkv_bias_no_o_bias", "tied_embeddings", "neox_rope_rows_not_permuted", "gguf_tokenizer"],
             weight_dtype="float16", fmt="gguf", seed_name="qwen2",
             notes=["qwen2 weights as llama.cpp's qwen2 architecture stores them: q/k rows unpermuted (NEOX rope), "
                    "q/k/v biases F32, no output.weight (tied); every 2-D tensor F16"]),
    ]


# ============================================================================
# Running a case
# ============================================================================

def seed_of(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def make_tokens(spec: Spec, case: Case) -> List[int]:
    g = torch.Generator().manual_seed(seed_of("tokens:" + (case.seed_name or case.name)))
    body = torch.randint(3, spec.vocab_size - 12, (T_TOKENS - 1,), generator=g).tolist()
    return [case.bos] + body


def stored_weights(W32: Dict[str, torch.Tensor], dtype: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """(tensors in storage dtype, the same values upcast to f32)."""
    td = TORCH_DTYPES[dtype]
    stored = {k: v.to(td) for k, v in W32.items()}
    return stored, {k: v.to(torch.float32) for k, v in stored.items()}


def max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def write_f32(path: str, t: torch.Tensor):
    with open(path, "wb") as f:
        f.write(t.contiguous().numpy().astype("<f4").tobytes())


def unsupported_cpu_ops(dtype: torch.dtype) -> List[str]:
    """Which of the ops the forward uses have no CPU kernel for `dtype` in this torch build."""
    a, w = torch.ones(2, 4, dtype=dtype), torch.ones(3, 4, dtype=dtype)
    probes = {"linear/matmul": lambda: F.linear(a, w), "silu": lambda: F.silu(a),
              "gelu_tanh": lambda: F.gelu(a, approximate="tanh"), "tanh": lambda: torch.tanh(a),
              "rsqrt": lambda: torch.rsqrt(a), "cos/sin": lambda: a.cos(), "mul/add": lambda: a * a + a}
    missing = []
    for name, fn in probes.items():
        try:
            fn()
        except RuntimeError:
            missing.append(name)
    return missing


def native_note(weight_dtype: str) -> str:
    missing = unsupported_cpu_ops(TORCH_DTYPES[weight_dtype])
    return ("logits_native emulates transformers (eager attention) loaded with torch_dtype=%s: embeddings, "
            "linear outputs, RoPE cos/sin and the rotated q/k, attention scores (and soft-caps), probabilities "
            "(softmax itself in f32), activations, residual adds and logits are rounded to %s after every op, "
            "each op being computed in f32 and rounded once (matmuls accumulate in f32), as CUDA kernels do; "
            "RMSNorm is computed in f32 and cast back as in HF. Every op is emulated this way%s. Two valid "
            "half-precision implementations differ by about as much as native differs from f32, so compare a "
            "half-precision engine with a tolerance of the order of native_vs_f32_max_abs_diff."
            % (weight_dtype, weight_dtype,
               (": this torch (%s) has no CPU %s kernel for %s" % (torch.__version__, weight_dtype, ", ".join(missing)))
               if missing else " (this torch has CPU kernels for all of them, but e.g. its CPU silu and "
               "tensor*scalar round intermediates, unlike the CUDA kernels)"))


def run_case(case: Case, out_dir: str) -> dict:
    folder = os.path.join(out_dir, case.name)
    os.makedirs(folder, exist_ok=True)
    for fn in os.listdir(folder):   # drop stale outputs of a previous run (only our own file kinds)
        if fn.endswith((".safetensors", ".json", ".f32", ".gguf")):
            os.remove(os.path.join(folder, fn))

    spec = case.spec
    W32 = init_weights(spec, seed_of(case.seed_name or case.name), case.init)
    tokens = make_tokens(spec, case)
    files: List[str] = []
    notes = list(case.notes)

    if case.fmt == "gguf":
        qtype = case.weight_dtype if case.weight_dtype in ("q8_0", "mix") else "f16"
        W, block_quantized = write_llama_gguf(os.path.join(folder, "model.gguf"), spec, W32, qtype, case.name,
                                              write_alignment_key=(qtype != "f16"), arch=case.model_type)
        files.append("model.gguf")
    else:
        block_quantized = {}
        stored, W = stored_weights(W32, case.weight_dtype)
        g = torch.Generator().manual_seed(seed_of("extra:" + case.name))
        tensors = [(case.name_prefix + k, v) for k, v in stored.items()]
        tensors += [(k, v.to(TORCH_DTYPES[case.weight_dtype])) for k, v in case.extra_tensors(g)]
        files += write_safetensors(folder, tensors, case.shards)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(case.config(spec, case.weight_dtype), f, indent=2)
            f.write("\n")
        files.append("config.json")

    with torch.no_grad():
        logits = forward(spec, W, tokens)
        assert torch.isfinite(logits).all()
        std = float(logits.std())
        assert 0.5 < std < 20.0, f"{case.name}: logits std {std} out of the intended range"
        write_f32(os.path.join(folder, "logits.f32"), logits)
        files.append("logits.f32")

        ref = {
            "case": case.name,
            "model_type": case.model_type,
            "format": case.fmt if case.shards == 1 else "safetensors_sharded",
            "files": sorted(files + ["reference.json"]),
            "tokens": tokens,
            "logits_file": "logits.f32",
            "shape": [len(tokens), spec.vocab_size],
            "weight_dtype": case.weight_dtype,
            "features": case.features,
            "logits_stats": {"std": round(std, 4), "max_abs": round(float(logits.abs().max()), 4)},
        }

        if block_quantized:
            rounded = forward(spec, W, tokens, int8_for=block_quantized)
            write_f32(os.path.join(folder, "logits_int8_inputs.f32"), rounded)
            ref["files"] = sorted(ref["files"] + ["logits_int8_inputs.f32"])
            ref["int8_inputs_logits_file"] = "logits_int8_inputs.f32"
            ref["int8_inputs_vs_exact_max_abs_diff"] = round(max_abs(rounded, logits), 5)
            # Rounding is discontinuous: an input within float error of a half step rounds either way, and
            # the model carries that step on. How far two equally valid int8 computations can be apart:
            # the same forward with every weight moved by float-reordering-sized noise (1e-6 relative).
            flips = 0.0
            for seed in range(3):
                g = torch.Generator().manual_seed(seed_of(f"flip:{seed}:{case.name}"))
                W2 = {k: v * (1 + 1e-6 * torch.randn(v.shape, generator=g)) for k, v in W.items()}
                flips = max(flips, max_abs(forward(spec, W2, tokens, int8_for=block_quantized), rounded))
            ref["int8_inputs_flip_max_abs_diff"] = round(flips, 5)
            notes.append("logits_int8_inputs: the same forward with the inputs of every block-quantized matmul "
                         "rounded to int8 per block of 32, or 256 for the super-block types (scale amax/127), as "
                         "llama.cpp's and medllm's integer "
                         "dot products compute; int8_inputs_vs_exact_max_abs_diff is what that rounding moves; "
                         "int8_inputs_flip_max_abs_diff is how far the int8 forward moves when every weight is "
                         "perturbed by 1e-6 relative (3 seeds): inputs at a half step round the other way, so two "
                         "correct int8 engines differ by up to about this much")

        if case.weight_dtype in ("bfloat16", "float16") and case.fmt != "gguf":
            native = forward(spec, W, tokens, act_dtype=TORCH_DTYPES[case.weight_dtype])
            assert torch.isfinite(native).all()
            write_f32(os.path.join(folder, "logits_native.f32"), native)
            ref["files"] = sorted(ref["files"] + ["logits_native.f32"])
            ref["native_logits_file"] = "logits_native.f32"
            ref["native_vs_f32_max_abs_diff"] = round(max_abs(native, logits), 5)
            notes.append(native_note(case.weight_dtype))

        abl = {}
        for label, fn in case.ablations.items():
            s2, W2 = fn(spec, W)
            d = max_abs(forward(s2, W2, tokens), logits)
            assert d > MIN_ABLATION_DIFF, f"{case.name}: ablation {label} only moves logits by {d}"
            abl[label] = round(d, 4)
        if abl:
            ref["ablation_max_abs_diff"] = abl
    if notes:
        ref["notes"] = notes
    with open(os.path.join(folder, "reference.json"), "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    return ref


def self_checks():
    """Invariants of the helpers that the cases rely on."""
    bands = llama3_bands(16, 500000.0, LLAMA3_ROPE)
    assert all(v > 0 for v in bands.values()), f"llama3 case must hit all three bands: {bands}"
    _, att, (low, high) = _yarn_params(16, 10000.0, 128, YARN_ROPE)
    assert 0 <= low < high < 7, (low, high)
    assert abs(att - (0.1 * math.log(4.0) + 1.0)) < 1e-12
    assert YARN_ROPE["factor"] * YARN_ROPE["original_max_position_embeddings"] == 128
    w = torch.arange(6 * 5, dtype=torch.float32).reshape(6, 5)
    for nh, nkv in ((3, None), (3, 1)):
        assert torch.equal(gguf_unpermute(gguf_permute(w, nh, nkv), nkv or nh), w)
    x = np.array([[0.5, -0.5, 1.5, -2.5] * 8], dtype=np.float32)
    _, deq = quantize_q8_0(x)
    assert np.all(np.abs(deq - x) <= np.abs(x).max() / 127)


STAMP = ".tiny_models.stamp"


def generator_stamp() -> str:
    """What the outputs depend on: these scripts, the npm packages (llama.cpp's quantizer, and the
    library actually used when MEDLLM_GGML_BASE names another) and the Python and numeric
    libraries' versions. Equal stamps mean byte-identical outputs (every case is seeded)."""
    here = os.path.dirname(os.path.abspath(__file__))
    versions = f"python {sys.version} torch {torch.__version__} numpy {np.__version__} " \
               f"ggml {os.path.realpath(os.environ.get('MEDLLM_GGML_BASE', GGML_BASE))}"
    digest = hashlib.sha256(versions.encode())
    inputs = sorted(os.path.join(here, n) for n in os.listdir(here) if n.endswith(".py"))
    inputs.append(os.path.join(here, "..", "node", "package-lock.json"))
    for path in inputs:
        with open(path, "rb") as f:
            digest.update(os.path.basename(path).encode() + b"\0" + f.read())
    return digest.hexdigest()


def reuse(source: str, out: str, cases, stamp: str) -> bool:
    """Copies every case from `source` when it was written by this very generator (same stamp):
    the sanitizer build's tests reuse the optimised build's references instead of recomputing
    them. False, copying nothing, when the stamp differs or is absent."""
    try:
        with open(os.path.join(source, STAMP)) as f:
            if f.read().strip() != stamp:
                return False
    except OSError:
        return False
    if not all(os.path.isdir(os.path.join(source, case.name)) for case in cases):
        return False
    for case in cases:
        target = os.path.join(out, case.name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(os.path.join(source, case.name), target)
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--only", default="", help="comma-separated case names")
    ap.add_argument("--reuse", default="", help="a directory this generator filled: copy its cases if it "
                    "was written from the same scripts, packages and library versions")
    args = ap.parse_args(argv)

    cases = build_cases()
    names = [c.name for c in cases]
    assert len(set(names)) == len(names)
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in names]
        if unknown:
            ap.error(f"unknown case(s) {unknown}; known: {', '.join(names)}")
        cases = [c for c in cases if c.name in wanted]

    stamp = generator_stamp()
    os.makedirs(args.out, exist_ok=True)
    stamp_path = os.path.join(args.out, STAMP)
    if os.path.exists(stamp_path):
        os.remove(stamp_path)  # written again only once every case is complete
    if args.reuse and not args.only and reuse(args.reuse, args.out, cases, stamp):
        print(f"{len(cases)} case(s) copied from {args.reuse} (same generator stamp)")
        with open(stamp_path, "w") as f:
            f.write(stamp + "\n")
        return 0
    self_checks()
    t0 = time.time()
    for case in cases:
        ref = run_case(case, args.out)
        extra = ""
        if "native_vs_f32_max_abs_diff" in ref:
            extra += f" native-vs-f32 {ref['native_vs_f32_max_abs_diff']}"
        if "ablation_max_abs_diff" in ref:
            extra += " ablations " + ", ".join(f"{k}={v}" for k, v in ref["ablation_max_abs_diff"].items())
        print(f"{case.name:26s} T={ref['shape'][0]} V={ref['shape'][1]} std={ref['logits_stats']['std']}{extra}")
    print(f"{len(cases)} case(s) written to {args.out} in {time.time() - t0:.1f}s")
    if not args.only:
        with open(stamp_path, "w") as f:
            f.write(stamp + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
