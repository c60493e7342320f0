"""Golden logits for a tiny random GPT-2, from an independent forward pass in NumPy (float64).

Run: python3 scripts/golden/make_gpt2_golden.py  (writes test/fixtures/lm/gpt2-tiny/)
Weights use HF's GPT-2 checkpoint layout: Conv1D weights are [in, out], names carry the "transformer." prefix
as GPT2LMHeadModel saves them, plus the attn.bias mask buffers older checkpoints hold (the loader must skip them).
"""
import json, math, os
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "lm", "gpt2-tiny")

def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b

def gelu_new(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))

def forward(cfg, W, ids):
    d, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hd, T = d // H, ids.shape[1]
    P = lambda n: W["transformer." + n].astype(np.float64)
    h = P("wte.weight")[ids] + P("wpe.weight")[np.arange(T)]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for l in range(cfg["n_layer"]):
        p = f"h.{l}."
        a = layer_norm(h, P(p + "ln_1.weight"), P(p + "ln_1.bias"), eps)
        qkv = a @ P(p + "attn.c_attn.weight") + P(p + "attn.c_attn.bias")
        q, k, v = [x.reshape(1, T, H, hd).transpose(0, 2, 1, 3) for x in np.split(qkv, 3, -1)]
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        o = ((s / s.sum(-1, keepdims=True)) @ v).transpose(0, 2, 1, 3).reshape(1, T, d)
        h = h + o @ P(p + "attn.c_proj.weight") + P(p + "attn.c_proj.bias")
        m = layer_norm(h, P(p + "ln_2.weight"), P(p + "ln_2.bias"), eps)
        m = gelu_new(m @ P(p + "mlp.c_fc.weight") + P(p + "mlp.c_fc.bias"))
        h = h + m @ P(p + "mlp.c_proj.weight") + P(p + "mlp.c_proj.bias")
    h = layer_norm(h, P("ln_f.weight"), P("ln_f.bias"), eps)
    return h @ P("wte.weight").T

cfg = dict(model_type="gpt2", vocab_size=80, n_embd=32, n_head=4, n_layer=2, n_positions=32, layer_norm_epsilon=1e-5,
           activation_function="gelu_new", bos_token_id=0, eos_token_id=0, tie_word_embeddings=True)
g = np.random.default_rng(7)
r = lambda *s: (g.standard_normal(s) * 0.2).astype(np.float32)
d, V, I = cfg["n_embd"], cfg["vocab_size"], 4 * cfg["n_embd"]
W = {"transformer.wte.weight": r(V, d), "transformer.wpe.weight": r(cfg["n_positions"], d),
     "transformer.ln_f.weight": 1 + r(d), "transformer.ln_f.bias": r(d)}
for l in range(cfg["n_layer"]):
    p = f"transformer.h.{l}."
    for n in ["ln_1", "ln_2"]:
        W[p + n + ".weight"], W[p + n + ".bias"] = 1 + r(d), r(d)
    for n, i, o in [("attn.c_attn", d, 3 * d), ("attn.c_proj", d, d), ("mlp.c_fc", d, I), ("mlp.c_proj", I, d)]:
        W[p + n + ".weight"], W[p + n + ".bias"] = r(i, o), r(o)
    W[p + "attn.bias"] = np.tril(np.ones((1, 1, cfg["n_positions"], cfg["n_positions"]), dtype=np.float32))
ids = g.integers(0, V, (1, 14)).astype(np.int64)
logits = forward(cfg, W, ids)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump(cfg, f, indent=2)
save_file(W, os.path.join(OUT, "model.safetensors"), metadata={"format": "pt"})
save_file({"input_ids": ids, "logits": logits.astype(np.float32)}, os.path.join(OUT, "golden.safetensors"))
print("gpt2-tiny logits", logits.shape, float(np.abs(logits).mean()))
