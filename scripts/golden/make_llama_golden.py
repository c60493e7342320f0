"""Golden logits for tiny random Llama-family models, from an independent forward pass in NumPy (float64).
(PyTorch's wheel here needs CUDA libraries that are not installed, so the reference is written in NumPy.)

Run: python3 scripts/golden/make_llama_golden.py  (writes test/fixtures/lm/llama-*/)
Each folder: config.json, model.safetensors (F32 weights, written by the safetensors package), golden.safetensors
(input_ids I64, logits F32).
"""
import json, math, os, sys
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "lm")

def rope_inv_freq(cfg, seq_len):
    dim = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    base = cfg.get("rope_theta", 10000.0)
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "dynamic" and seq_len > cfg["max_position_embeddings"]:
        f = rs["factor"]
        base = base * ((f * seq_len / cfg["max_position_embeddings"]) - (f - 1)) ** (dim / (dim - 2))
    inv = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    att = 1.0
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        f, lo, hi, orig = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        wl = 2 * math.pi / inv
        smooth = (orig / wl - lo) / (hi - lo)
        mid = (1 - smooth) * inv / f + smooth * inv
        inv = np.where(wl > orig / lo, inv / f, np.where(wl < orig / hi, inv, mid))
    elif kind == "yarn":
        f, orig = rs["factor"], rs.get("original_max_position_embeddings", cfg["max_position_embeddings"])
        bf, bs = rs.get("beta_fast", 32), rs.get("beta_slow", 1)
        corr = lambda r: (dim * math.log(orig / (r * 2 * math.pi))) / (2 * math.log(base))
        low, high = max(math.floor(corr(bf)), 0), min(math.ceil(corr(bs)), dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        extra = 1 - ramp
        inv = (inv / f) * (1 - extra) + inv * extra
        att = rs.get("attention_factor", 0.1 * math.log(f) + 1)
    return inv, att

def forward(cfg, W, ids, past=0):
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim", d // H)
    eps = cfg["rms_norm_eps"]
    T = ids.shape[1]
    bias_qkv = cfg.get("attention_bias", False) or cfg["model_type"] == "qwen2"
    bias_o = cfg.get("attention_bias", False) and cfg["model_type"] != "qwen2"
    def rms(x, w):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w
    def lin(x, name, bias):
        y = x @ W[name + ".weight"].T
        return y + W[name + ".bias"] if bias else y
    inv, att = rope_inv_freq(cfg, T)
    pos = np.arange(T, dtype=np.float64)
    ang = np.outer(pos, inv)
    emb = np.concatenate([ang, ang], -1)
    cos, sin = np.cos(emb) * att, np.sin(emb) * att
    def rot(x):
        a, b = x[..., : hd // 2], x[..., hd // 2 :]
        return np.concatenate([-b, a], -1)
    h = W["model.embed_tokens.weight"][ids].astype(np.float64)
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}"
        x = rms(h, W[p + ".input_layernorm.weight"])
        q = lin(x, p + ".self_attn.q_proj", bias_qkv).reshape(1, T, H, hd).transpose(0, 2, 1, 3)
        k = lin(x, p + ".self_attn.k_proj", bias_qkv).reshape(1, T, KV, hd).transpose(0, 2, 1, 3)
        v = lin(x, p + ".self_attn.v_proj", bias_qkv).reshape(1, T, KV, hd).transpose(0, 2, 1, 3)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k = np.repeat(k, H // KV, axis=1)
        v = np.repeat(v, H // KV, axis=1)
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        a = (s / s.sum(-1, keepdims=True)) @ v
        h = h + lin(a.transpose(0, 2, 1, 3).reshape(1, T, H * hd), p + ".self_attn.o_proj", bias_o)
        y = rms(h, W[p + ".post_attention_layernorm.weight"])
        mb = cfg.get("mlp_bias", False)
        gp = lin(y, p + ".mlp.gate_proj", mb)
        h = h + lin(gp / (1 + np.exp(-gp)) * lin(y, p + ".mlp.up_proj", mb), p + ".mlp.down_proj", mb)
    h = rms(h, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    return h @ head.T

def make(name, cfg, seed, T=12):
    g = np.random.default_rng(seed)
    d, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", H)
    hd = cfg.get("head_dim", d // H)
    I, V = cfg["intermediate_size"], cfg["vocab_size"]
    bias_qkv = cfg.get("attention_bias", False) or cfg["model_type"] == "qwen2"
    bias_o = cfg.get("attention_bias", False) and cfg["model_type"] != "qwen2"
    r = lambda *s: (g.standard_normal(s) * 0.2).astype(np.float32)
    W = {"model.embed_tokens.weight": r(V, d), "model.norm.weight": 1 + r(d)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}"
        W[p + ".input_layernorm.weight"] = 1 + r(d)
        W[p + ".post_attention_layernorm.weight"] = 1 + r(d)
        for n, o, i in [("q_proj", H * hd, d), ("k_proj", KV * hd, d), ("v_proj", KV * hd, d), ("o_proj", d, H * hd)]:
            W[f"{p}.self_attn.{n}.weight"] = r(o, i)
            if (n != "o_proj" and bias_qkv) or (n == "o_proj" and bias_o):
                W[f"{p}.self_attn.{n}.bias"] = r(o)
        for n, o, i in [("gate_proj", I, d), ("up_proj", I, d), ("down_proj", d, I)]:
            W[f"{p}.mlp.{n}.weight"] = r(o, i)
            if cfg.get("mlp_bias"):
                W[f"{p}.mlp.{n}.bias"] = r(o)
    if not cfg.get("tie_word_embeddings"):
        W["lm_head.weight"] = r(V, d)
    ids = g.integers(0, V, (1, T)).astype(np.int64)
    logits = forward(cfg, W, ids)
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_file(W, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    save_file({"input_ids": ids, "logits": logits.astype(np.float32)}, os.path.join(folder, "golden.safetensors"))
    print(name, "logits", tuple(logits.shape), float(np.abs(logits).mean()))

base = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
            rms_norm_eps=1e-6, max_position_embeddings=64, bos_token_id=1, eos_token_id=2)
make("llama-gqa-llama3rope", dict(base, model_type="llama", num_key_value_heads=2, rope_theta=10000.0, tie_word_embeddings=False,
     rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_position_embeddings=8)), 1)
make("qwen2-bias-tied-yarn", dict(base, model_type="qwen2", num_key_value_heads=1, rope_theta=1000.0, tie_word_embeddings=True,
     rope_scaling=dict(rope_type="yarn", factor=4.0, original_max_position_embeddings=16)), 2)
make("llama-linear-mlpbias", dict(base, model_type="llama", num_key_value_heads=4, head_dim=16, rope_theta=500.0, tie_word_embeddings=False,
     attention_bias=True, mlp_bias=True, rope_scaling=dict(type="linear", factor=2.0)), 3)
make("mistral-dynamic", dict(base, model_type="mistral", num_key_value_heads=2, rope_theta=10000.0, max_position_embeddings=8,
     rope_scaling=dict(type="dynamic", factor=2.0)), 4)
