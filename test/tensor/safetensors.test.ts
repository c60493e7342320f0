import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, writeFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeToFloat32, encodeFromNumbers, parseSafetensors, serializeSafetensors, type SafetensorsDtype } from "../../src/tensor/safetensors.js";
import { openSafetensors, writeSafetensors, forEachTensor } from "../../src/node/safetensors.js";
import { hostileSafetensors, type HostileCase } from "./hostile-safetensors.js";

const FIX = "test/fixtures/lm";

function hasPythonNumpy(): boolean {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("reads every dtype from a file written by Python's safetensors (and a hand-made BF16 file)", async () => {
  const expect = JSON.parse(await readFile(`${FIX}/dtypes.json`, "utf8")) as Record<string, { shape: number[]; values: number[] }>;
  const f = await openSafetensors(`${FIX}/dtypes.safetensors`);
  assert.deepEqual(f.header.metadata, { made_by: "safetensors.numpy", note: "dtype interop" });
  const b = await openSafetensors(`${FIX}/bf16.safetensors`);
  for (const [name, want] of Object.entries(expect)) {
    const src = name === "bf16" ? b : f;
    const { info, data } = await src.readFloat32(name);
    assert.deepEqual(info.shape, want.shape, name);
    assert.deepEqual(Array.from(data), want.values.map((v) => Math.fround(v)), name);
  }
  await f.close();
  await b.close();
});

test("files retoken writes load in Python (safetensors' reader, or numpy parsing the format) with the same values", async () => {
  assert.ok(hasPythonNumpy(), "python3 with numpy is missing: bash scripts/setup.sh --dev");
  const dir = await mkdtemp(join(tmpdir(), "retoken-st-"));
  const values = [0, 1, -2.5, 0.1, 65504, 1e-3, -3.25e-5, 7];
  const dtypes: SafetensorsDtype[] = ["F32", "F16", "F64", "I64", "I32", "U8"];
  const tensors = dtypes.map((dtype) => {
    const v = dtype.startsWith("I") ? values.map(Math.trunc) : dtype === "U8" ? values.map((x) => Math.abs(Math.trunc(x)) % 256) : values;
    return { name: `t_${dtype}`, dtype, shape: [2, 4], data: encodeFromNumbers(v, dtype) };
  });
  const path = join(dir, "w.safetensors");
  await writeSafetensors(path, tensors, { who: "retoken" });
  assert.deepEqual(await readdir(dir), ["w.safetensors"], "no temp file left behind");
  const out = JSON.parse(execFileSync("python3", ["scripts/golden/make_safetensors_golden.py", "--check", path], { encoding: "utf8" }));
  assert.deepEqual(out.metadata, { who: "retoken" });
  for (const t0 of tensors) {
    const py = out.tensors[t0.name];
    assert.deepEqual(py.shape, [2, 4]);
    assert.deepEqual(py.values.map((v: number) => Math.fround(v)), Array.from(decodeToFloat32(t0.data, t0.dtype)), t0.name);
  }
  assert.equal(out.tensors.t_F16.dtype, "float16");
  assert.equal(out.tensors.t_F16.values[3], 0.0999755859375); // 0.1 rounded to the nearest half, as numpy rounds it
  await rm(dir, { recursive: true });
});

test("F16 and BF16 encoding round to nearest even like numpy/torch", () => {
  const f16 = decodeToFloat32(encodeFromNumbers([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e-8, 70000, -0], "F16"), "F16");
  assert.deepEqual(Array.from(f16), [1, 1 + 2 ** -9, 0, Infinity, -0]);
  const bf = decodeToFloat32(encodeFromNumbers([1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.0e38], "BF16"), "BF16");
  assert.deepEqual(Array.from(bf.subarray(0, 2)), [1, 1 + 2 ** -6]);
  assert.ok(Math.abs(bf[2] - 3e38) / 3e38 < 4e-3);
});

function makeFile(header: object, dataBytes: number, lieLength?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(lieLength ?? h.length), true);
  out.set(h, 8);
  return out;
}

test("bad files give errors that name the file and the tensor", async () => {
  const good = serializeSafetensors([{ name: "w", dtype: "F32", shape: [2, 2], data: encodeFromNumbers([1, 2, 3, 4], "F32") }]);
  const cases: [string, Uint8Array, RegExp][] = [
    ["truncated data", good.subarray(0, good.length - 3), /bad\.st: tensor "w".*past the end of the data/],
    ["truncated header", good.subarray(0, 20), /bad\.st: header length \d+ runs past the end of the file/],
    ["tiny file", good.subarray(0, 5), /bad\.st: not a safetensors file/],
    ["size lie", makeFile({ w: { dtype: "F32", shape: [3, 2], data_offsets: [0, 16] } }, 16), /tensor "w": 16 bytes in data_offsets but shape \[3, 2\] × F32 needs 24/],
    ["offsets past end", makeFile({ w: { dtype: "F32", shape: [4], data_offsets: [8, 24] } }, 16), /tensor "w": data_offsets end 24 is past the end/],
    ["overlap", makeFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 12), /tensors "a" and "b" overlap/],
    ["unknown dtype", makeFile({ w: { dtype: "F8_E4M3X", shape: [2], data_offsets: [0, 2] } }, 2), /tensor "w": unknown dtype "F8_E4M3X"/],
    ["header length huge", makeFile({}, 0, 2 ** 40), /header length 1099511627776 is larger than/],
    ["not json", (() => { const b = makeFile({ x: 1 }, 0); b[9] = 0x7b; return b; })(), /bad\.st: header is not valid UTF-8 JSON/],
    ["bad metadata", makeFile({ __metadata__: { a: 1 } }, 0), /__metadata__\["a"\] must be a string/],
    ["reversed offsets", makeFile({ w: { dtype: "U8", shape: [0], data_offsets: [4, 0] } }, 4), /end before they begin/],
  ];
  const dir = await mkdtemp(join(tmpdir(), "retoken-st-"));
  for (const [label, bytes, re] of cases) {
    assert.throws(() => parseSafetensors(bytes, "bad.st"), re, label);
    const p = join(dir, "bad.st");
    await writeFile(p, bytes);
    await assert.rejects(openSafetensors(p), re, `${label} (streaming reader)`);
  }
  await rm(dir, { recursive: true });
});

test("sharded checkpoints: the index maps tensors to shards; a lying index is caught", async () => {
  const dir = await mkdtemp(join(tmpdir(), "retoken-shard-"));
  const mk = (name: string, v: number[]) => ({ name, dtype: "F32" as const, shape: [v.length], data: encodeFromNumbers(v, "F32") });
  await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), [mk("a", [1, 2]), mk("b", [3])]);
  await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), [mk("c", [4, 5, 6])]);
  const index = { metadata: { total_size: 24 }, weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00001-of-00002.safetensors", c: "model-00002-of-00002.safetensors" } };
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
  const seen: Record<string, number[]> = {};
  await forEachTensor(dir, (name, _shape, data) => void (seen[name] = Array.from(data)));
  assert.deepEqual(seen, { a: [1, 2], b: [3], c: [4, 5, 6] });
  index.weight_map.c = "model-00001-of-00002.safetensors";
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
  await assert.rejects(forEachTensor(dir, () => {}), /tensor "c" is mapped to model-00001-of-00002\.safetensors but that shard does not hold it/);
  await rm(dir, { recursive: true });
});

test("hostile files (test/fixtures/safetensors-hostile): each gets its verdict; every rejection names the file and the tensor", async () => {
  const dir = "test/fixtures/safetensors-hostile";
  const verdicts = JSON.parse(await readFile(`${dir}/verdicts.json`, "utf8")) as HostileCase[];
  const built = hostileSafetensors();
  assert.deepEqual(verdicts, built.map(({ bytes: _, ...c }) => c), "fixtures are stale: run node --import tsx scripts/make-hostile-safetensors.ts");
  let rejected = 0;
  for (const c of verdicts) {
    const path = `${dir}/${c.name}.safetensors`;
    const bytes = new Uint8Array(await readFile(path));
    assert.deepEqual(bytes, built.find((b) => b.name === c.name)!.bytes, `${c.name}: stale fixture`);
    if (c.verdict === "accept") {
      const f = await openSafetensors(path);
      const mem = parseSafetensors(bytes, path);
      for (const info of f.header.tensors) assert.deepEqual((await f.readFloat32(info.name)).data, mem.read(info.name), `${c.name}: ${info.name}`);
      await f.close();
      continue;
    }
    const check = (e: unknown) => {
      const m = (e as Error).message;
      assert.ok(m.startsWith(`${path}: `), `${c.name}: the error names the file: ${m}`);
      assert.ok(m.includes(c.error!), `${c.name}: expected "${c.error}" in: ${m}`);
      if (c.tensor) assert.ok(m.includes(`"${c.tensor}"`), `${c.name}: the error names tensor "${c.tensor}": ${m}`);
      return true;
    };
    assert.throws(() => parseSafetensors(bytes, path), check, `${c.name}: accepted in memory`);
    await assert.rejects(openSafetensors(path), check, `${c.name}: accepted by the streaming reader`);
    rejected++;
  }
  assert.equal(rejected, verdicts.filter((c) => c.verdict === "reject").length);
  assert.ok(rejected >= 41, `${rejected} hostile files`);
});

test("the writer refuses what the reader would: a reserved or repeated name, a bad shape, non-string metadata", () => {
  const data = new Uint8Array(4);
  const w = (tensors: Parameters<typeof serializeSafetensors>[0], metadata?: Record<string, string>) => () => serializeSafetensors(tensors, metadata, "out.st");
  assert.throws(w([{ name: "__metadata__", dtype: "U8", shape: [4], data }]), /out\.st: tensor "__metadata__": the name is reserved/);
  assert.throws(w([{ name: "a", dtype: "U8", shape: [4], data }, { name: "a", dtype: "U8", shape: [4], data }]), /out\.st: tensor "a" is written twice/);
  assert.throws(w([{ name: "a", dtype: "U8", shape: [-4], data }]), /out\.st: tensor "a": shape must be non-negative integers/);
  assert.throws(w([{ name: "a", dtype: "X8" as SafetensorsDtype, shape: [4], data }]), /out\.st: tensor "a": unknown dtype "X8"/);
  assert.throws(w([{ name: "a", dtype: "U8", shape: [4], data }], { n: 5 as unknown as string }), /out\.st: __metadata__\["n"\] must be a string/);
  // What it writes passes the strict reader: header from "{", padded to 8, tensors tiling the data.
  const bytes = serializeSafetensors([{ name: "b", dtype: "F32", shape: [1], data }, { name: "z", dtype: "U8", shape: [0], data: new Uint8Array(0) }, { name: "a", dtype: "U8", shape: [4], data }], { k: "v" });
  const parsed = parseSafetensors(bytes);
  assert.equal(parsed.header.dataStart % 8, 0);
  assert.deepEqual(parsed.header.tensors.map((t) => [t.name, t.begin, t.end]), [["b", 0, 4], ["z", 4, 4], ["a", 4, 8]]);
});
