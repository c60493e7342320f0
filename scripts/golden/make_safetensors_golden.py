"""A small safetensors file written by the reference `safetensors` package, with every dtype retoken reads.

Run: python3 scripts/golden/make_safetensors_golden.py  (writes test/fixtures/lm/dtypes.safetensors and dtypes.json)
dtypes.json holds the expected values as float64 lists (what each stored value means).
Also: `python3 scripts/golden/make_safetensors_golden.py --check FILE` loads FILE with safetensors.numpy (or, where
that package is missing or the file holds BF16, which its numpy framework cannot give, with a numpy-only parser of the
format) and prints a JSON summary, which the interop tests use to confirm files retoken writes load outside retoken.
"""
import json, os, sys
import numpy as np

# The format read with numpy alone (8-byte little-endian header length, JSON header, raw little-endian data), for
# machines without the safetensors package; the reference reader is used when it imports.
NP_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_with_numpy(path):
    with open(path, "rb") as f:
        blob = f.read()
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", None)
    data = blob[8 + n :]
    out = {}
    for k, v in header.items():
        start, end = v["data_offsets"]
        if v["dtype"] == "BF16":
            # numpy has no bfloat16: a BF16 value is the top half of the float32 with the same bits.
            out[k] = (np.frombuffer(data[start:end], dtype="<u2").astype(np.uint32) << 16).view(np.float32).reshape(v["shape"])
        else:
            out[k] = np.frombuffer(data[start:end], dtype=NP_DTYPES[v["dtype"]]).reshape(v["shape"])
    return meta, out, {k: v["dtype"] for k, v in header.items()}


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    meta, tensors, stored = read_with_numpy(sys.argv[2])
    reader = "numpy"
    try:
        from safetensors import safe_open

        # The reference reader where it imports (its numpy framework has no bfloat16: those files stay with numpy's).
        if "BF16" not in stored.values():
            with safe_open(sys.argv[2], framework="np") as f:
                meta, tensors, reader = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}, "safetensors"
    except ImportError:
        pass
    dtype = lambda k, t: "bfloat16" if stored[k] == "BF16" else str(t.dtype)
    out = {k: {"dtype": dtype(k, t), "shape": list(t.shape), "values": t.astype(np.float64).ravel().tolist()} for k, t in tensors.items()}
    print(json.dumps({"reader": reader, "metadata": meta, "tensors": out}))
    sys.exit(0)

from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "lm")
vals = np.array([0.0, -0.0, 1.0, -2.5, 3.140625, 65504.0, 1e-4, -7.75e-6, 123.456, 1e-8, 0.333, -1000.5], dtype=np.float64)
T = {
    "f32": vals.astype(np.float32).reshape(3, 4),
    "f16": vals.astype(np.float16).reshape(2, 6),
    "f64": vals.reshape(12),
    "i64": np.array([[0, -1, 2**40, -(2**31) - 5]], dtype=np.int64),
    "i32": np.array([7, -8, 2**31 - 1], dtype=np.int32),
    "u8": np.array([0, 1, 255], dtype=np.uint8),
    "empty": np.zeros((0, 3), dtype=np.float32),
}
# numpy has no bfloat16: store the top 16 bits of float32 values (truncation; the expected values say so).
bf = np.array([1.0, -2.0, 0.15625, 3.0e38, -1.1754943508222875e-38], dtype=np.float32)
save_file(T, os.path.join(OUT, "dtypes.safetensors"), metadata={"made_by": "safetensors.numpy", "note": "dtype interop"})
# Write a BF16 file by hand next to it (same container, dtype tag BF16).
raw = (bf.view(np.uint32) >> 16).astype(np.uint16).tobytes()
hdr = json.dumps({"bf16": {"dtype": "BF16", "shape": [5], "data_offsets": [0, len(raw)]}}).encode()
hdr += b" " * ((8 - (8 + len(hdr)) % 8) % 8)
with open(os.path.join(OUT, "bf16.safetensors"), "wb") as f:
    f.write(len(hdr).to_bytes(8, "little") + hdr + raw)
expect = {k: {"shape": list(v.shape), "values": v.astype(np.float64).ravel().tolist()} for k, v in T.items()}
bf_stored = ((bf.view(np.uint32) >> 16) << 16).astype(np.uint32).view(np.float32)  # truncation, as written above
expect["bf16"] = {"shape": [5], "values": bf_stored.astype(np.float64).tolist()}
with open(os.path.join(OUT, "dtypes.json"), "w") as f:
    json.dump(expect, f)
print("ok", sorted(expect))
