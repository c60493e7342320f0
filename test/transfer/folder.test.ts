// Model folders out (issue 6, item 4): a tiny Llama-style folder with a byte-level BPE tokenizer trained here is
// transferred to another tokenizer trained here; the output is checked tensor by tensor, loaded back and run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { initBackend, toFloat32 } = await import("../../src/tensor/backend.js");
const { loadModelFolder, saveModelFolder, paramsFromArrays } = await import("../../src/lm/folder.js");
const { parseModelConfig } = await import("../../src/lm/config.js");
const { forward, disposeCache } = await import("../../src/lm/model.js");
const { openSafetensors, checkpointFiles } = await import("../../src/node/safetensors.js");
const { Tokenizer } = await import("../../src/index.js");
const { trainTokenizer } = await import("../../src/train/train.js");
const { transferModelFolder, readInputEmbeddings } = await import("../../src/transfer/folder.js");
const { buildVocabularyMap } = await import("../../src/transfer/vocabulary-map.js");
await initBackend();
const run = promisify(execFile);

const EN = [
  "the cat sat on the mat and the dog sat on the log",
  "a model reads text as tokens and writes text as tokens",
  "the quick brown fox jumps over the lazy dog again and again",
  "tokens are pieces of words, and words are pieces of text",
];
const DE = [
  "der hund sitzt auf der matte und die katze sitzt auf dem stamm",
  "ein modell liest text als tokens und schreibt text als tokens",
  "the cat sat on the mat, der hund auch",
  "die schnelle braune katze springt über den faulen hund",
];

const source = Tokenizer.fromJSON(await trainTokenizer(EN.join("\n").repeat(3), { model: "bpe", vocabSize: 300, specialTokens: ["<|endoftext|>"] }));
// The target numbers its specials differently (eos 1, not 0) and has one the model lacks.
const targetJson = await trainTokenizer(DE.join("\n").repeat(3), { model: "bpe", vocabSize: 320, specialTokens: ["<pad>", "<|endoftext|>"] });
const V = source.vocabSize(true);
const D = 16;

type Dtype = "F32" | "BF16" | "F16" | "I32";
interface FolderOptions {
  dtype?: Dtype;
  maxShardBytes?: number;
  tied?: boolean;
  config?: Record<string, unknown>;
}

async function modelFolder(dir: string, options: FolderOptions = {}) {
  const raw = {
    model_type: "llama", vocab_size: V, hidden_size: D, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
    max_position_embeddings: 64, rms_norm_eps: 1e-5, tie_word_embeddings: options.tied ?? false, bos_token_id: 0, eos_token_id: 0, ...options.config,
  };
  const config = parseModelConfig(raw);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.8;
  const shapes: Record<string, number[]> = {
    "model.embed_tokens.weight": [V, D], "model.norm.weight": [D],
    "model.layers.0.input_layernorm.weight": [D], "model.layers.0.post_attention_layernorm.weight": [D],
    "model.layers.0.self_attn.q_proj.weight": [D, D], "model.layers.0.self_attn.k_proj.weight": [8, D],
    "model.layers.0.self_attn.v_proj.weight": [8, D], "model.layers.0.self_attn.o_proj.weight": [D, D],
    "model.layers.0.mlp.gate_proj.weight": [24, D], "model.layers.0.mlp.up_proj.weight": [24, D], "model.layers.0.mlp.down_proj.weight": [D, 24],
  };
  if (!(options.tied ?? false)) shapes["lm_head.weight"] = [V, D];
  const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, s] of Object.entries(shapes)) arrays[k] = { shape: s, data: new Float32Array(s.reduce((a, b) => a * b, 1)).map(() => (k.includes("norm") ? 1 : 0) + rnd()) };
  await saveModelFolder(dir, config, paramsFromArrays(arrays), {
    dtype: (options.dtype ?? "F32") as "F32",
    maxShardBytes: options.maxShardBytes,
    tokenizerJson: source.toString(),
    generationConfig: { bos_token_id: 0, eos_token_id: [0], pad_token_id: 0, do_sample: false },
  });
  await writeFile(join(dir, "README.md"), "a tiny test model\n");
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|endoftext|>", unk_token: "<unk>", added_tokens_decoder: { "0": { content: "<|endoftext|>" } }, tokenizer_class: "GPT2Tokenizer" }));
  return config;
}

async function scratch(): Promise<{ root: string; model: string; target: string; out: string }> {
  const root = await mkdtemp(join(tmpdir(), "retoken-transfer-"));
  const target = join(root, "target.json");
  await writeFile(target, JSON.stringify(targetJson));
  return { root, model: join(root, "model"), target, out: join(root, "out") };
}

/** Every tensor of a folder: dtype, shape and raw bytes. */
async function tensors(dir: string): Promise<Map<string, { dtype: string; shape: number[]; bytes: Uint8Array; file: string }>> {
  const out = new Map();
  const { files, weightMap } = await checkpointFiles(dir);
  for (const path of files) {
    const f = await openSafetensors(path);
    for (const t of f.header.tensors) if (!weightMap || weightMap.get(t.name) === path) out.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: await f.readBytes(t.name), file: path.slice(dir.length + 1) });
    await f.close();
  }
  return out;
}

test("FVT transfer: a complete folder that loads back; logits of copied tokens equal the original's on shared pieces", async () => {
  const { root, model, target, out } = await scratch();
  await modelFolder(model);
  const result = await transferModelFolder({ modelDir: model, targetTokenizer: target, method: "fvt", out });
  const tgt = Tokenizer.fromJSON(targetJson);
  assert.equal(result.vocabSize, tgt.vocabSize(true));
  assert.deepEqual([...result.specialIds], [[0, 1]]);
  assert.deepEqual(result.rewritten, ["model.embed_tokens.weight", "lm_head.weight"]);
  assert.deepEqual((await readdir(out)).sort(), ["README.md", "config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
  assert.deepEqual((await readdir(root)).sort(), ["model", "out", "target.json"], "no temp folder left");
  const config = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
  assert.equal(config.vocab_size, tgt.vocabSize(true));
  assert.equal(config.bos_token_id, 1);
  assert.equal(config.eos_token_id, 1);
  assert.deepEqual(JSON.parse(await readFile(join(out, "generation_config.json"), "utf8")), { bos_token_id: 1, eos_token_id: [1], pad_token_id: 1, do_sample: false });
  assert.equal(await readFile(join(out, "tokenizer.json"), "utf8"), await readFile(target, "utf8"), "the target tokenizer.json is written as given");
  // The old id table goes; fields whose token the target lacks (<unk>) go; the rest stays.
  // Roles come from the config ids where the target has the token (bos/pad = id 1), with the target's added tokens.
  const added = (content: string) => ({ content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true });
  assert.deepEqual(JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8")), {
    eos_token: "<|endoftext|>",
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    added_tokens_decoder: { "0": added("<pad>"), "1": added("<|endoftext|>") },
    clean_up_tokenization_spaces: false,
    model_max_length: 64,
  });
  assert.equal(await readFile(join(out, "README.md"), "utf8"), "a tiny test model\n");

  const original = await loadModelFolder(model);
  const moved = await loadModelFolder(out);
  assert.equal(moved.config.vocabSize, tgt.vocabSize(true));
  // A text both tokenizers cut into the same pieces: the words (with their leading space) that they cut alike.
  const map = buildVocabularyMap(source, tgt);
  const same = (text: string) => {
    const s = source.encode(text, { addSpecialTokens: false }).ids;
    const t = tgt.encode(text, { addSpecialTokens: false }).ids;
    return s.length === t.length && t.every((id, i) => map.shared[id] === s[i]);
  };
  const words = [...new Set([...EN, ...DE].join(" ").split(/\s+/).map((w) => " " + w))].filter(same);
  const text = words.join("");
  assert.ok(words.length >= 5 && same(text), text);
  const s = source.encode(text, { addSpecialTokens: false }).ids;
  const t = tgt.encode(text, { addSpecialTokens: false }).ids;
  const a = forward(original.config, original.params, [[0, ...s]]);
  const b = forward(moved.config, moved.params, [[1, ...t]]);
  const la = await toFloat32(a.logits);
  const lb = await toFloat32(b.logits);
  disposeCache(a.cache);
  disposeCache(b.cache);
  const Vt = moved.config.vocabSize;
  let compared = 0;
  for (let pos = 0; pos <= s.length; pos++) {
    for (let id = 0; id < Vt; id++) {
      const from = map.shared[id]!;
      if (from < 0) continue;
      const want = la[pos * V + from]!;
      const got = lb[pos * Vt + id]!;
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `position ${pos}, target ${id} (source ${from}): ${got} vs ${want}`);
      compared++;
    }
  }
  assert.ok(compared > 1000, `compared ${compared} logits`);
  await rm(root, { recursive: true });
});

for (const dtype of ["BF16", "F16", "F32"] as const) {
  test(`${dtype}: dtype kept, shards as the input's, other tensors byte-identical, copied rows byte-identical`, async () => {
    const { root, model, target, out } = await scratch();
    const sharded = dtype !== "F32";
    await modelFolder(model, { dtype, maxShardBytes: sharded ? 12_000 : undefined });
    const result = await transferModelFolder({ modelDir: model, targetTokenizer: target, method: "fvt", out });
    const before = await tensors(model);
    const after = await tensors(out);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    if (sharded) {
      assert.ok(new Set([...before.values()].map((t) => t.file)).size > 1, "the input is sharded");
      const index = JSON.parse(await readFile(join(out, "model.safetensors.index.json"), "utf8"));
      const indexBefore = JSON.parse(await readFile(join(model, "model.safetensors.index.json"), "utf8"));
      assert.deepEqual(index.weight_map, indexBefore.weight_map);
      assert.equal(index.metadata.total_size, [...after.values()].reduce((a, t) => a + t.bytes.length, 0));
    }
    const tgt = Tokenizer.fromJSON(targetJson);
    const map = buildVocabularyMap(source, tgt);
    const width = { BF16: 2, F16: 2, F32: 4 }[dtype] * D;
    for (const [name, t] of before) {
      const u = after.get(name)!;
      assert.equal(u.dtype, dtype, name);
      assert.equal(u.file, t.file, `${name} stays in its shard`);
      if (!result.rewritten.includes(name)) {
        assert.deepEqual(u.shape, t.shape);
        assert.ok(Buffer.from(u.bytes).equals(Buffer.from(t.bytes)), `${name} is byte-identical`);
        continue;
      }
      assert.deepEqual(u.shape, [tgt.vocabSize(true), D]);
      let copied = 0;
      map.shared.forEach((s, id) => {
        if (s < 0) return;
        assert.ok(Buffer.from(u.bytes.subarray(id * width, (id + 1) * width)).equals(Buffer.from(t.bytes.subarray(s * width, (s + 1) * width))), `${name} row ${id} = source row ${s}`);
        copied++;
      });
      assert.ok(copied > 250);
    }
    assert.deepEqual((await readdir(root)).sort(), ["model", "out", "target.json"]);
    await rm(root, { recursive: true });
  });
}

test("tied model: one embedding rewritten; special tokens the target lacks are an error, or appended on request", async () => {
  const { root, model, target, out } = await scratch();
  // The model's special <|endoftext|> (bos, id 0) is missing from the target; its eos (id 1, the byte "!") is not.
  await modelFolder(model, { tied: true, config: { eos_token_id: 1 } });
  const missing = Tokenizer.fromJSON(await trainTokenizer(DE.join("\n"), { model: "bpe", vocabSize: 300, specialTokens: ["<s>"] }));
  const missingPath = join(root, "missing.json");
  await writeFile(missingPath, missing.toString());
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: missingPath, out }), /missing\.json: has no token "<\|endoftext\|>" \(bos_token_id 0 in .*config\.json.*eos_token_id 0 in .*generation_config\.json.*--add-special-tokens/s);
  assert.deepEqual((await readdir(root)).sort(), ["missing.json", "model", "target.json"]);
  const result = await transferModelFolder({ modelDir: model, targetTokenizer: missingPath, out, addMissingSpecialTokens: true });
  assert.deepEqual(result.addedSpecialTokens, ["<|endoftext|>"]);
  assert.deepEqual(result.rewritten, ["model.embed_tokens.weight"]);
  const written = await Tokenizer.fromFile(join(out, "tokenizer.json"));
  assert.equal(written.tokenToId("<|endoftext|>"), missing.vocabSize(true));
  assert.equal(written.encode("x<|endoftext|>", { addSpecialTokens: false }).ids.at(-1), missing.vocabSize(true));
  const config = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
  assert.equal(config.vocab_size, missing.vocabSize(true) + 1);
  assert.equal(config.bos_token_id, missing.vocabSize(true));
  assert.equal(config.eos_token_id, written.tokenToId("!"));
  // The appended special keeps the source row.
  const a = await readInputEmbeddings(model);
  const b = await readInputEmbeddings(out);
  assert.deepEqual(Array.from(b.row(missing.vocabSize(true))), Array.from(a.row(0)));
  await rm(root, { recursive: true });
});

test("bad input: clear errors, and no output or temp folder left behind", async () => {
  const { root, model, target, out } = await scratch();
  const clean = async () => assert.deepEqual((await readdir(root)).sort(), ["model", "target.json"]);
  await modelFolder(model);
  const cfgPath = join(model, "config.json");
  const raw = JSON.parse(await readFile(cfgPath, "utf8"));

  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, method: "omp", out }), /omp needs a donor model/);
  await clean();
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, method: "aux", out }), /aux needs an auxiliary embedding space/);
  await clean();

  await writeFile(cfgPath, JSON.stringify({ ...raw, vocab_size: V - 10 }));
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, out }), new RegExp(`tokenizer.json: has ${V} tokens but the model has ${V - 10} embedding rows \\(config.json "vocab_size"`));
  await clean();

  await writeFile(cfgPath, JSON.stringify({ ...raw, model_type: "bert" }));
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, out }), /model_type "bert" is not supported/);
  await clean();

  await writeFile(cfgPath, JSON.stringify({ ...raw, tie_word_embeddings: true }));
  await modelFolder(model, { tied: true, dtype: "I32" });
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, out }), /tensor "model\.embed_tokens\.weight" has dtype I32; transfer supports BF16, F16, F32 embeddings/);
  await clean();

  await modelFolder(model);
  // A failure while writing removes the temp folder.
  await assert.rejects(
    transferModelFolder({ modelDir: model, targetTokenizer: target, out, onProgress: (p) => { if (p.phase === "write" && p.done > 0) throw new Error("disk full"); } }),
    /disk full/,
  );
  await clean();
  // An existing output is not replaced unless asked; the model folder itself never is.
  await writeFile(join(root, "out"), "x");
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, out }), /already exists/);
  await rm(join(root, "out"));
  await assert.rejects(transferModelFolder({ modelDir: model, targetTokenizer: target, out: model, overwrite: true }), /is the model folder itself/);
  await rm(root, { recursive: true });
});

test("Ctrl-C while writing removes the temp folder", async () => {
  const { root, model, target, out } = await scratch();
  await modelFolder(model);
  const script = join(root, "interrupt.mts");
  const lib = resolve("src/transfer/folder.ts");
  await writeFile(script, `import { transferModelFolder } from ${JSON.stringify(lib)};
await transferModelFolder({ modelDir: ${JSON.stringify(model)}, targetTokenizer: ${JSON.stringify(target)}, out: ${JSON.stringify(out)},
  onProgress: (p) => { if (p.phase === "write" && p.done > 0) process.kill(process.pid, "SIGINT"); } });
await new Promise((r) => setTimeout(r, 5000));
`);
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: "pipe" });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const signal = await new Promise((r) => child.on("exit", (code, sig) => r(sig ?? `exit code ${code}: ${stderr}`)));
  assert.equal(signal, "SIGINT");
  assert.deepEqual((await readdir(root)).sort(), ["interrupt.mts", "model", "target.json"]);
  await rm(root, { recursive: true });
});

test("CLI: retoken transfer writes the folder; errors go to stderr with exit code 1 and nothing written", async () => {
  const { root, model, target, out } = await scratch();
  await modelFolder(model);
  const cli = ["--import", "tsx", "src/cli/main.ts", "transfer"];
  const { stdout, stderr } = await run(process.execPath, [...cli, "--model", model, "--tokenizer", target, "--method", "copy", "--out", out, "--json", "--no-progress"]);
  const result = JSON.parse(stdout);
  assert.equal(result.out, out);
  assert.deepEqual(result.specialIds, { 0: 1 });
  assert.ok(result.counts.copy > 250 && result.counts.random > 0, JSON.stringify(result.counts));
  assert.match(stderr, /wrote .*out: vocabulary 320/);
  assert.equal((await loadModelFolder(out)).config.vocabSize, 320);
  for (const [args, message] of [
    [["--method", "omp"], /--method omp needs --donor DIR/],
    [["--method", "nope"], /unknown --method "nope"/],
    [["--method", "aux"], /--method aux needs --aux-corpus FILE/],
    [["--method", "hypernet"], /--method hypernet needs --hypernet DIR/],
    [["--method", "copy", "--seed", "1.5"], /--seed must be an integer, got "1\.5"/],
    [["--method", "aux", "--aux-corpus", target, "--aux-dim", "0"], /--aux-dim must be a positive integer, got "0"/],
    [["--method", "fvt"], /already exists/],
  ] as const) {
    const r = await run(process.execPath, [...cli, "--model", model, "--tokenizer", target, "--out", out, "--no-progress", ...args]).then(() => null, (e) => e);
    assert.ok(r, `${args.join(" ")} fails`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
  }
  // aux from a target-language corpus.
  await writeFile(join(root, "de.txt"), DE.join("\n").repeat(5));
  const aux = await run(process.execPath, [...cli, "--model", model, "--tokenizer", target, "--method", "aux", "--aux-corpus", join(root, "de.txt"), "--aux-dim", "8", "--out", join(root, "aux"), "--json", "--no-progress"]);
  assert.ok(JSON.parse(aux.stdout).counts["aux-knn"] > 0);
  assert.deepEqual((await readdir(root)).sort(), ["aux", "de.txt", "model", "out", "target.json"]);
  await rm(root, { recursive: true });
});

test("the sharded BF16 output loads in Python (numpy parsing the format; BF16 as the top half of float32); other tensors equal the input's", async () => {
  try {
    await run("python3", ["-c", "import numpy"]);
  } catch {
    assert.fail("python3 with numpy is missing: bash scripts/setup.sh --dev");
  }
  const inPython = async (dir: string) => {
    const tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
    for (const f of (await readdir(dir)).filter((f) => f.endsWith(".safetensors")).sort()) {
      const { stdout } = await run("python3", ["scripts/golden/make_safetensors_golden.py", "--check", join(dir, f)]);
      Object.assign(tensors, JSON.parse(stdout).tensors);
    }
    return tensors;
  };
  const { root, model, target, out } = await scratch();
  await modelFolder(model, { dtype: "BF16", maxShardBytes: 12_000 });
  const result = await transferModelFolder({ modelDir: model, targetTokenizer: target, out });
  assert.ok((await readdir(out)).filter((f) => f.endsWith(".safetensors")).length > 1, "the output is sharded");
  const [before, after] = [await inPython(model), await inPython(out)];
  assert.equal(Object.keys(after).length, 12);
  for (const [name, t] of Object.entries(after)) {
    assert.equal(t.dtype, "bfloat16", name);
    if (result.rewritten.includes(name)) assert.deepEqual(t.shape, [result.vocabSize, D], name);
    else assert.deepEqual(t, before[name], `${name} equals the input's`);
  }
  // The rewritten rows read in Python as retoken reads them.
  const { files, weightMap } = await checkpointFiles(out);
  for (const name of result.rewritten) {
    const file = await openSafetensors(weightMap?.get(name) ?? files[0]!);
    const { data } = await file.readFloat32(name);
    await file.close();
    assert.deepEqual(after[name]!.values, Array.from(data), `${name}: Python and retoken read the same values`);
  }
  await rm(root, { recursive: true });
});

test("CLI: with no --model, the bundled default model is transferred", async () => {
  const { DEFAULT_MODEL_DIR } = await import("../../src/lm/node.js");
  const config = await readFile(join(DEFAULT_MODEL_DIR, "config.json"), "utf8");
  const { root, target, out } = await scratch();
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "transfer", "-t", target, "-o", out, "--add-special-tokens", "--json", "--no-progress"]);
  const result = JSON.parse(stdout);
  const moved = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
  assert.equal(moved.vocab_size, result.vocabSize);
  assert.equal(moved.hidden_size, JSON.parse(config).hidden_size);
  await rm(root, { recursive: true });
});

test("CLI end to end: transfer --method hypernet (bundled hypernet by default), then bpb --model on the output", async () => {
  const root = await mkdtemp(join(tmpdir(), "retoken-transfer-"));
  // A small German tokenizer trained on the bundled German sample; scored on the bundled held-out German text.
  const german = await readFile("assets/text/de-sample.txt", "utf8");
  const target = join(root, "de-512.json");
  await writeFile(target, JSON.stringify(await trainTokenizer(german.slice(0, 60_000), { model: "bpe", vocabSize: 512, pattern: "llama3", specialTokens: ["<|end_of_text|>"] })));
  const text = join(root, "de.txt");
  await writeFile(text, (await readFile("assets/text/de-heldout.txt", "utf8")).split("\n").slice(0, 20).join("\n") + "\n");
  const cli = ["--import", "tsx", "src/cli/main.ts"];
  const out = join(root, "out");
  const { stdout } = await run(process.execPath, [...cli, "transfer", "-t", target, "-o", out, "--method", "hypernet", "--add-special-tokens", "--json", "--no-progress"]);
  const result = JSON.parse(stdout);
  assert.equal(result.vocabSize, 513);
  assert.ok(result.counts.hypernet > 0, JSON.stringify(result.counts));
  const scored = JSON.parse((await run(process.execPath, [...cli, "bpb", "--model", out, text, "--json"])).stdout);
  // Far below a uniform guess over the new vocabulary (a model that lost its embeddings scores near or above it).
  const uniform = (Math.log2(513) * scored.tokens) / scored.bytes;
  assert.ok(scored.bitsPerByte > 0.5 && scored.bitsPerByte < 0.9 * uniform, JSON.stringify({ bpb: scored.bitsPerByte, uniform }));
  await rm(root, { recursive: true });
});

test("GPT-2 layout: transformer.wte is rewritten (tied), every other tensor, the mask buffers included, is copied", async () => {
  const { root, target, out } = await scratch();
  const model = join(root, "gpt2");
  await mkdir(model);
  const fixture = "test/fixtures/lm/gpt2-tiny";
  await writeFile(join(model, "config.json"), await readFile(join(fixture, "config.json")));
  await writeFile(join(model, "model.safetensors"), await readFile(join(fixture, "model.safetensors")));
  // A byte-level tokenizer with exactly the fixture's 80 rows.
  const small = await trainTokenizer(EN.join("\n"), { model: "bpe", vocabSize: 80, initialAlphabet: [], specialTokens: ["<|endoftext|>"] });
  assert.equal(Tokenizer.fromJSON(small).vocabSize(true), 80);
  await writeFile(join(model, "tokenizer.json"), JSON.stringify(small));
  const result = await transferModelFolder({ modelDir: model, targetTokenizer: target, out });
  assert.deepEqual(result.rewritten, ["transformer.wte.weight"]);
  const before = await tensors(model);
  const after = await tensors(out);
  assert.equal(after.size, before.size);
  for (const [name, t] of before) if (name !== "transformer.wte.weight") assert.ok(Buffer.from(after.get(name)!.bytes).equals(Buffer.from(t.bytes)), name);
  const moved = await loadModelFolder(out);
  assert.equal(moved.config.vocabSize, 320);
  await rm(root, { recursive: true });
});
