# PyTorch CPU reference for npm run bench:lm — the same 6M-parameter Llama (d 256, 2 layers, 8 heads, vocab 8192,
# tied), written out here with plain torch ops: forward tokens/s (batch 4 × 256) and train-step time (batch 8 × 256,
# forward + backward + AdamW + clipping). Usage: python3 bench/lm-torch.py   (needs torch: apt install python3-torch, or the CPU wheel)
import json, math, os, time
import torch
import torch.nn.functional as F

# As many threads as the retoken rows get (OpenBLAS uses every core): some builds start with fewer.
torch.set_num_threads(os.cpu_count())
torch.manual_seed(0)
d, L, H, V, ff = 256, 2, 8, 8192, 688
hd = d // H
p = {"emb": torch.randn(V, d) * 0.02, "norm": torch.ones(d)}
for l in range(L):
    for k, s in {"ln1": (d,), "ln2": (d,), "q": (d, d), "k": (d, d), "v": (d, d), "o": (d, d), "g": (ff, d), "u": (ff, d), "dn": (d, ff)}.items():
        p[f"{l}.{k}"] = torch.ones(s) if k.startswith("ln") else torch.randn(*s) * 0.02
for t in p.values():
    t.requires_grad_(True)

def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

def rope(T):
    inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
    f = torch.outer(torch.arange(T).float(), inv)
    e = torch.cat([f, f], -1)
    return e.cos(), e.sin()

def rot(x):
    a, b = x.chunk(2, -1)
    return torch.cat([-b, a], -1)

def forward(ids):
    B, T = ids.shape
    h = p["emb"][ids]
    cos, sin = rope(T)
    mask = torch.full((T, T), -1e9).triu(1)
    for l in range(L):
        x = rms(h, p[f"{l}.ln1"])
        q, k, v = (F.linear(x, p[f"{l}.{n}"]).view(B, T, H, hd).transpose(1, 2) for n in "qkv")
        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, -1) @ v
        h = h + F.linear(a.transpose(1, 2).reshape(B, T, d), p[f"{l}.o"])
        y = rms(h, p[f"{l}.ln2"])
        h = h + F.linear(F.silu(F.linear(y, p[f"{l}.g"])) * F.linear(y, p[f"{l}.u"]), p[f"{l}.dn"])
    return rms(h, p["norm"]) @ p["emb"].t()

opt = torch.optim.AdamW(list(p.values()), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
ids = torch.randint(0, V, (8, 257))

def step():
    loss = F.cross_entropy(forward(ids[:, :-1]).reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
    opt.step()

def median(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]

s_step = median(step, 5)
fwd_ids = torch.randint(0, V, (4, 256))
def fwd():
    with torch.no_grad():
        forward(fwd_ids)
s_fwd = median(fwd, 10)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "params": sum(t.numel() for t in p.values()),
                  "trainSecondsPerStep": round(s_step, 3), "trainTokensPerSecond": round(8 * 256 / s_step),
                  "forwardTokensPerSecond": round(4 * 256 / s_fwd)}))
