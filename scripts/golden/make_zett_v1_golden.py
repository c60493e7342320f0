"""Golden outputs of a ZeTT v1 hypernetwork (the PyTorch port's layout: config.json with hn_* keys and
model.safetensors) on tiny random checkpoints, from an independent forward pass in NumPy (float64).
(PyTorch's wheel here needs CUDA libraries that are not installed, so the reference is written in NumPy.)

The architecture, as the port's modeling_hypernet.py builds it (read from bminixhofer/zett, hf_hypernet/):
  surface forms [N, L] (source ids, padded with pad_token_id) → source rows (input ‖ output for untied models) →
  in_scaler (w·x + b, frozen) — ids ≥ original_vocab_size read fallback_embeddings instead, unscaled →
  input_projection = Linear, ProjectorBlock(dense1 → gelu_tanh → dense2 → gelu_tanh, LayerNorm(h + x), eps 1e-6) →
  RoBERTa encoder without pooler (embeddings: x + position_embeddings[0..L-1] + token_type_embeddings[0], LayerNorm
  eps 1e-5; post-LN layers with exact GELU; keys where the id is the pad id are masked) → position 0 →
  output_projection = ProjectorBlock, Linear (and output_projection_out for untied models with two heads) →
  scaler / out_scaler (w·x + b, frozen).

Run: python3 scripts/golden/make_zett_v1_golden.py  (writes test/fixtures/hypernet/zett-v1-*/)
Each folder: config.json, model.safetensors (F32, written by the safetensors package), golden.safetensors
(source_embeddings F32 [V, n_in], surface_forms I64 [N, L], predicted_in F32 [N, d], predicted_out F32 [N, d] if untied).
"""
import json, math, os
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "hypernet")
ERF = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_exact(x):
    return 0.5 * x * (1 + ERF(x / math.sqrt(2)))


def dense(W, name, x):
    return x @ W[name + ".weight"].T + W[name + ".bias"]


def projector(W, name, x):
    h = gelu_tanh(dense(W, name + ".dense2", gelu_tanh(dense(W, name + ".dense1", x))))
    return layer_norm(h + x, W[name + ".ln.weight"], W[name + ".ln.bias"], 1e-6)


def forward(cfg, W, source, ids):
    n, L = ids.shape
    H = cfg["hn_hidden_size"]
    heads = cfg.get("hn_num_attention_heads") or H // 64
    hd = H // heads
    orig = cfg["original_vocab_size"]
    rescale = cfg.get("hn_rescale_embeddings", False)
    # Input rows: source rows (rescaled) or fallback rows for ids past the source vocabulary.
    rows = source[np.minimum(ids, orig - 1)]
    if rescale:
        rows = W["in_scaler.w"] * rows + W["in_scaler.b"]
    fallback = W["fallback_embeddings.weight"][np.maximum(ids - orig, 0)]
    x = np.where((ids >= orig)[..., None], fallback, rows)
    x = dense(W, "input_projection.0", x)
    x = projector(W, "input_projection.1", x)
    # RoBERTa embeddings with explicit positions 0..L-1 and token type 0.
    x = x + W["model.embeddings.position_embeddings.weight"][:L][None] + W["model.embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, W["model.embeddings.LayerNorm.weight"], W["model.embeddings.LayerNorm.bias"], 1e-5)
    keep = ids != cfg["pad_token_id"]
    bias = np.where(keep, 0.0, np.finfo(np.float32).min)[:, None, None, :]  # [n, 1, 1, L]
    for l in range(cfg["hn_n_layers"]):
        p = f"model.encoder.layer.{l}"
        split = lambda t: t.reshape(n, L, heads, hd).transpose(0, 2, 1, 3)
        q = split(dense(W, p + ".attention.self.query", x))
        k = split(dense(W, p + ".attention.self.key", x))
        v = split(dense(W, p + ".attention.self.value", x))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(n, L, H)
        x = layer_norm(dense(W, p + ".attention.output.dense", ctx) + x, W[p + ".attention.output.LayerNorm.weight"], W[p + ".attention.output.LayerNorm.bias"], 1e-5)
        f = dense(W, p + ".output.dense", gelu_exact(dense(W, p + ".intermediate.dense", x)))
        x = layer_norm(f + x, W[p + ".output.LayerNorm.weight"], W[p + ".output.LayerNorm.bias"], 1e-5)
    h0 = x[:, 0]
    d = cfg["n_embd"]
    separate = cfg.get("separate_out_embeddings", False)
    out = dense(W, "output_projection.1", projector(W, "output_projection.0", h0))
    if cfg.get("hn_single_head", False):
        pred_in, pred_out = out[:, :d], (out[:, d:] if separate else None)
    else:
        pred_in = out
        pred_out = dense(W, "output_projection_out.1", projector(W, "output_projection_out.0", h0)) if separate else None
    if rescale:
        pred_in = W["scaler.w"] * pred_in + W["scaler.b"]
        if pred_out is not None:
            pred_out = W["out_scaler.w"] * pred_out + W["out_scaler.b"]
    return pred_in, pred_out


def random_weights(cfg, rng, max_pos):
    d, H, I = cfg["n_embd"], cfg["hn_hidden_size"], cfg["hn_intermediate_size"]
    separate = cfg.get("separate_out_embeddings", False)
    n_in = 2 * d if separate else d
    W = {}

    def lin(name, o, i):
        W[name + ".weight"] = rng.normal(0, 1 / math.sqrt(i), (o, i))
        W[name + ".bias"] = rng.normal(0, 0.1, (o,))

    def ln(name, n):
        W[name + ".weight"] = 1 + rng.normal(0, 0.1, (n,))
        W[name + ".bias"] = rng.normal(0, 0.1, (n,))

    def proj(name):
        lin(name + ".dense1", I, H)
        lin(name + ".dense2", H, I)
        ln(name + ".ln", H)

    W["fallback_embeddings.weight"] = rng.normal(0, 0.5, (max(cfg.get("hn_n_extra_tokens", 0), 1), n_in))
    lin("input_projection.0", H, n_in)
    proj("input_projection.1")
    W["model.embeddings.word_embeddings.weight"] = rng.normal(0, 0.02, (cfg["pad_token_id"] + 1, H))  # unused (inputs_embeds)
    W["model.embeddings.position_embeddings.weight"] = rng.normal(0, 0.5, (max_pos, H))
    W["model.embeddings.token_type_embeddings.weight"] = rng.normal(0, 0.5, (1, H))
    ln("model.embeddings.LayerNorm", H)
    for l in range(cfg["hn_n_layers"]):
        p = f"model.encoder.layer.{l}"
        for n in ("query", "key", "value"):
            lin(f"{p}.attention.self.{n}", H, H)
        lin(p + ".attention.output.dense", H, H)
        ln(p + ".attention.output.LayerNorm", H)
        lin(p + ".intermediate.dense", I, H)
        lin(p + ".output.dense", H, I)
        ln(p + ".output.LayerNorm", H)
    single = cfg.get("hn_single_head", False)
    proj("output_projection.0")
    lin("output_projection.1", n_in if single else d, H)
    if separate and not single:
        proj("output_projection_out.0")
        lin("output_projection_out.1", d, H)
    if cfg.get("hn_rescale_embeddings", False):
        for name, n in (("in_scaler", n_in), ("scaler", d)) + ((("out_scaler", d),) if separate else ()):
            W[name + ".w"] = rng.uniform(0.5, 2.0, (1, n))
            W[name + ".b"] = rng.normal(0, 0.3, (1, n))
    if cfg.get("hn_predict_bias", True):
        lin("bias_projection", 1, H)
    return W


def make(name, cfg, vocab, n_tokens, max_pos, seed):
    rng = np.random.default_rng(seed)
    W = random_weights(cfg, rng, max_pos)
    d = cfg["n_embd"]
    n_in = 2 * d if cfg.get("separate_out_embeddings", False) else d
    source = rng.normal(0, 1.0, (vocab, n_in)) * rng.uniform(0.2, 3.0, (1, n_in)) + rng.normal(0, 0.5, (1, n_in))
    L = cfg["hn_surface_maxlen"]
    pad = cfg["pad_token_id"]
    extra = cfg.get("hn_n_extra_tokens", 0)
    ids = np.full((n_tokens, L), pad, dtype=np.int64)
    for i in range(n_tokens):
        k = 1 + (i % L)  # every length 1..L
        row = rng.integers(0, cfg["original_vocab_size"] + extra, k)
        row[0] = rng.integers(0, vocab) if i % 5 else row[0]
        row[row == pad] = (pad + 3) % vocab  # a real piece never equals the pad id
        ids[i, :k] = row
    pred_in, pred_out = forward(cfg, W, source, ids)
    path = os.path.join(OUT, name)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    save_file({k: v.astype(np.float32) for k, v in W.items()}, os.path.join(path, "model.safetensors"))
    golden = {"source_embeddings": source.astype(np.float32), "surface_forms": ids, "predicted_in": pred_in.astype(np.float32)}
    if pred_out is not None:
        golden["predicted_out"] = pred_out.astype(np.float32)
    save_file(golden, os.path.join(path, "golden.safetensors"))
    print(name, "ok", {k: v.shape for k, v in golden.items()})


BASE = {
    "model_type": "zett_hypernetwork",
    "architectures": ["ZettHypernet"],
    "hn_model_name_or_path": "roberta-base",
    "hn_model_type": "roberta",
    "hn_embed_using_source_embeddings": True,
    "hn_add_inter_token_attention": False,
    "hn_embed_target_priors": False,
    "hn_concat_last_hidden_state": False,
    "hn_embed_lang_id": False,
    "hn_surface_maxlen": 7,
    "hn_n_layers": 3,
}

if __name__ == "__main__":
    # Untied (input ‖ output rows, two heads), rescalers, fallback rows for two extra ids, a bias head (ignored).
    make("zett-v1-untied", {**BASE, "n_embd": 16, "separate_out_embeddings": True, "hn_hidden_size": 32, "hn_intermediate_size": 48,
                            "hn_num_attention_heads": 4, "hn_rescale_embeddings": True, "hn_single_head": False, "hn_predict_bias": True,
                            "hn_n_extra_tokens": 2, "original_vocab_size": 60, "pad_token_id": 2}, vocab=60, n_tokens=40, max_pos=10, seed=1)
    # Tied, one head, two layers, no rescalers, no bias head; attention heads from the default rule (hidden // 64).
    make("zett-v1-tied", {**BASE, "n_embd": 24, "hn_n_layers": 2, "separate_out_embeddings": False, "hn_hidden_size": 64, "hn_intermediate_size": 32,
                          "hn_num_attention_heads": None, "hn_rescale_embeddings": False, "hn_single_head": True, "hn_predict_bias": False,
                          "hn_n_extra_tokens": 0, "original_vocab_size": 50, "pad_token_id": 0}, vocab=50, n_tokens=21, max_pos=9, seed=2)
