// `npm run quality:heal`: the quality table of token healing (issue 13). FLORES devtest lines are cut between two
// letters of a word; for each healing mode, the probability that generation (temperature 1, as `retoken generate
// --heal MODE` samples) continues the prompt with the true next 8 bytes, summed exactly over every token path that
// spells them (non-canonical paths included), with each mode's own constraint:
//   off       the prompt's own tokens, then free steps;
//   rollback  the kept tokens, then steps masked to the healing candidates (renormalised) until the removed bytes
//             are spelled again;
//   exact     a cover of the prompt's bytes drawn with P(cover)/A(prompt), then free steps.
// Free steps complete a character a token left open as generation does (HealingConstraint). Paths through special
// tokens are not counted (they spell no bytes). A branch whose probability falls e^-SLACK below the best complete path
// found so far is not expanded; the mass it could add is bounded and reported (`prunedBound`, relative).
// Also reported: the exact byte-level model's own log P(next 8 bytes | prompt) (257-way normalised, ByteLM), the
// canonical paths' share of exact's number (log A(prompt · next 8 bytes) − log A(prompt), never above exact), and per
// language the paired differences exact − rollback and rollback − off with their standard errors (the cuts differ
// far more from each other than the modes do, so only paired differences say whether an order is more than noise).
// Each scored cut is appended to OUT.rows.jsonl as it is done; a rerun with the same settings resumes from there.
// Lines are taken round-robin over the languages, so `--cpu-budget S` (stop taking new cuts after S CPU seconds of
// this run) leaves every language with about as many cuts; the output says how many were scored.
//   node --import tsx scripts/heal-quality.ts [--lines N] [--languages a,b] [--seed S] [--cpu-budget S] [--out docs/heal-quality.json]
import { relative } from "node:path";
import { appendFileSync, existsSync, readFileSync, writeFileSync, renameSync, unlinkSync } from "node:fs";
import { loadLanguageModel } from "../src/lm/node.js";
import { tokenLM, type TokenState } from "../src/lm/token-lm.js";
import { HealingConstraint, canonicality, coverRule, exactHealingCovers, exactHealingPlan, healedGenerate, planHealing, type HealMode, type HealingPlan } from "../src/decode/index.js";
import { floresLines } from "../test/support/corpora.js";
import { mulberry32 } from "../src/util/random.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const LINES = Number(arg("lines", "8"));
const SEED = Number(arg("seed", "13"));
const OUT = arg("out", "docs/heal-quality.json");
const CPU_BUDGET = Number(arg("cpu-budget", "Infinity"));
// `--targets model`: the next 8 bytes are not the text's but drawn by `generate --heal exact` itself (temperature 1)
// from the same prompt. On such targets exact must win on average: E[log p_exact − log p_mode] is the KL divergence of
// the two continuation distributions (Gibbs' inequality), ≥ 0 — a check that exact's number is its sampler's.
const TARGETS = arg("targets", "text");
if (TARGETS !== "text" && TARGETS !== "model") throw new Error(`--targets: expected text or model, got ${JSON.stringify(TARGETS)}`);
const NEXT_BYTES = 8;
const SLACK = 25;
/** Two modes that end on the same token path differ only by float rounding of the model (their states are reached by
 * different batches): up to ~1e-6 nats. Closer than this counts as a tie. */
const TIE = 1e-5;
const LANGUAGES = arg("languages", "eng_Latn,deu_Latn,fra_Latn,spa_Latn,pol_Latn,rus_Cyrl").split(",");
const MODES: HealMode[] = ["off", "rollback", "exact"];
const utf8 = new TextEncoder();

const { folder, tokenizer, dir } = await loadLanguageModel(undefined);
const lm = await tokenLM(folder);
const canon = canonicality(tokenizer);
const rule = coverRule(tokenizer);
const table = canon.table;
const bos = folder.config.bosTokenId!;

/** A point of generation: the model after some tokens, the healing constraint there, how many owed bytes the next
 * tokens still spell before new ones, and how many of the target bytes are spelled. */
interface Branch {
  state: TokenState;
  logProbs: Float64Array;
  logP: number;
  constraint: HealingConstraint;
  owed: number;
  at: number;
}

interface Search {
  best: number;
  pruned: number;
}

/** P(the next tokens spell `target` from `at` on | branch), summed over paths (linear probabilities). */
async function pathMass(b: Branch, target: Uint8Array, search: Search): Promise<number> {
  const allowed = b.constraint.allowed();
  if (allowed && allowed.length === 0) return 0;
  let logZ = 0;
  if (allowed) {
    let z = 0;
    for (const id of allowed) z += Math.exp(b.logProbs[id]!);
    logZ = Math.log(z);
  }
  const rest = target.subarray(b.at);
  // Tokens whose bytes (past the owed ones) agree with the target: they end it, or spell a part of it and go on.
  const ending: number[] = [];
  const going: number[] = [];
  const consider = (id: number) => {
    if (table.isSpecial(id)) return;
    const bytes = table.bytes(id);
    if (bytes.length <= b.owed) return void going.push(id);
    const spelled = bytes.subarray(b.owed);
    const n = Math.min(spelled.length, rest.length);
    for (let i = 0; i < n; i++) if (spelled[i] !== rest[i]) return;
    (spelled.length >= rest.length ? ending : going).push(id);
  };
  if (allowed) for (const id of allowed) consider(id);
  else {
    for (const id of table.withPrefix(rest)) consider(id);
    for (const id of table.prefixesOf(rest)) if (table.length(id) < rest.length) consider(id);
  }
  let total = 0;
  for (const id of ending) {
    const logP = b.logP + b.logProbs[id]! - logZ;
    search.best = Math.max(search.best, logP);
    total += Math.exp(logP);
  }
  going.sort((x, y) => b.logProbs[y]! - b.logProbs[x]!);
  for (const id of going) {
    const logP = b.logP + b.logProbs[id]! - logZ;
    if (logP < search.best - SLACK) {
      search.pruned += Math.exp(logP);
      continue;
    }
    const [r] = await lm.extend([{ from: b.state, ids: [id] }]);
    const constraint = b.constraint.fork();
    constraint.accept(id);
    const len = table.length(id);
    const spelled = Math.max(0, len - b.owed);
    total += await pathMass({ state: r!.state, logProbs: r!.logProbs, logP, constraint, owed: Math.max(0, b.owed - len), at: b.at + spelled }, target, search);
  }
  return total;
}

/** The root branch of a prompt's tokens (the start token first). */
async function rootAfter(ids: number[], plan: HealingPlan, logP: number, at: number): Promise<Branch> {
  const [r] = await lm.extend([{ from: null, ids }]);
  return { state: r!.state, logProbs: r!.logProbs, logP, constraint: new HealingConstraint(canon, plan), owed: plan.removed.length, at };
}

async function scoreCut(prompt: string, target: Uint8Array) {
  const out: Record<string, number> = {};
  let prunedBound = 0;
  const ids = tokenizer.encodeIds(prompt, { addSpecialTokens: false });
  for (const mode of ["off", "rollback"] as const) {
    const plan = planHealing(canon, ids, new Uint8Array(0), mode);
    const search = { best: -Infinity, pruned: 0 };
    const p = await pathMass(await rootAfter([bos, ...plan.keptIds], plan, 0, 0), target, search);
    out[mode] = Math.log(p);
    prunedBound = Math.max(prunedBound, search.pruned / p);
  }
  // exact: every cover that agrees with the target, weighted by its probability.
  const healing = await exactHealingCovers(lm, tokenizer, rule, prompt);
  const search = { best: -Infinity, pruned: 0 };
  let p = 0;
  for (const cover of healing.covers) {
    const extra = cover.extra;
    const n = Math.min(extra.length, target.length);
    if (!extra.subarray(0, n).every((v, i) => v === target[i])) continue;
    if (extra.length >= target.length) {
      p += cover.p;
      continue;
    }
    const { plan, head } = exactHealingPlan(table, healing, cover, lm.startId);
    const constraint = new HealingConstraint(canon, plan);
    for (const id of head) constraint.accept(id);
    // The model state after the cover: its live node when it ends on the prompt's end, else one more step.
    const c = cover.cover;
    const after = c.whole ? { state: c.whole.state!, logProbs: c.whole.logProbs! } : (await lm.extend([{ from: c.parent.state, ids: [c.token] }]))[0]!;
    p += await pathMass({ state: after.state, logProbs: after.logProbs, logP: Math.log(cover.p), constraint, owed: 0, at: extra.length }, target, search);
  }
  out.exact = Math.log(p);
  prunedBound = Math.max(prunedBound, search.pruned / p);
  // The byte-level model itself: Σ log P(byte | before), 257-way normalised.
  const model = healing.model!;
  let byteLevel = 0;
  const coversBefore = model.coverMass();
  for (const b of target) {
    byteLevel += (await model.next()).logProbs[b]!;
    await model.push(b);
  }
  // The canonical part of exact's own number, computed the other way: A(prompt · target) / A(prompt), the covers of
  // the longer text over those of the prompt. exact adds the free steps' non-canonical paths to it, so it is never
  // below this (a check of the path search and of the cover weights).
  out.canonicalCovers = model.coverMass() - coversBefore;
  model.close();
  out.byteLevel = byteLevel;
  return { ...out, prunedBound };
}

/** Char offsets between two letters of one word, with at least NEXT_BYTES bytes after them. */
function cutPoints(line: string): number[] {
  const out: number[] = [];
  const letter = /\p{L}/u;
  for (let i = 1; i < line.length; i++) {
    if (!letter.test(line[i - 1]!) || !letter.test(line[i]!)) continue;
    if (utf8.encode(line.slice(i)).length < NEXT_BYTES) continue;
    out.push(i);
  }
  return out;
}

const random = mulberry32(SEED);
type Row = { language: string; line: number; prompt: string; next: string; [k: string]: number | string };
const rows: Row[] = [];
// Resume: cuts already scored with these settings (the same model, seed and lines per language).
const ROWS = `${OUT}.rows.jsonl`;
const key = JSON.stringify({ model: relative(process.cwd(), dir) || dir, seed: SEED, lines: LINES, ...(TARGETS === "model" ? { targets: TARGETS } : {}) });
const done = new Map<string, Row>();
if (existsSync(ROWS)) {
  const [head, ...rest] = readFileSync(ROWS, "utf8").split("\n").filter((l) => l.length > 0);
  if (head !== key) throw new Error(`${ROWS} holds cuts of other settings (${head}); remove it to start again`);
  for (const l of rest) {
    const r = JSON.parse(l) as Row;
    // JSON writes a probability of 0 (log −Infinity) as null.
    for (const k of [...MODES, "byteLevel", "canonicalCovers"]) if (r[k] === null) r[k] = -Infinity;
    done.set(`${r.language}/${r.line}`, r);
  }
} else writeFileSync(ROWS, key + "\n");
const started = performance.now();
const cpu = process.cpuUsage();
const floresOf = new Map(LANGUAGES.map((l) => [l, floresLines(l, "devtest")]));
let stoppedByBudget = false;
/** Cuts taken from an earlier run's rows file (their time is not in this run's seconds). */
let resumed = 0;
scoring: for (let k = 0; k < LINES; k++) {
  for (const language of LANGUAGES) {
    const lines = floresOf.get(language)!;
    const index = Math.floor(((k + 0.5) * lines.length) / LINES);
    const line = lines[index]!;
    const cuts = cutPoints(line);
    if (cuts.length === 0) continue;
    const at = cuts[Math.floor(random() * cuts.length)]!;
    const prompt = line.slice(0, at);
    let target = utf8.encode(line.slice(at)).subarray(0, NEXT_BYTES);
    const earlier = done.get(`${language}/${index}`);
    if (earlier && earlier.prompt === prompt) {
      rows.push(earlier);
      resumed++;
      continue;
    }
    const used = process.cpuUsage(cpu);
    if ((used.user + used.system) / 1e6 > CPU_BUDGET) {
      stoppedByBudget = true;
      break scoring;
    }
    if (TARGETS === "model") {
      const g = await healedGenerate(folder, tokenizer, canon, prompt, { heal: "exact", temperature: 1, seed: SEED * 100_003 + index, maxTokens: 4 * NEXT_BYTES });
      // A continuation that ends (end of text) within 8 bytes is left out.
      if (g.continuation.length < NEXT_BYTES) continue;
      target = g.continuation.slice(0, NEXT_BYTES);
    }
    const score = await scoreCut(prompt, target);
    const row: Row = { language, line: index, prompt, next: new TextDecoder().decode(target), ...(TARGETS === "model" ? { nextHex: Buffer.from(target).toString("hex") } : {}), ...score };
    rows.push(row);
    appendFileSync(ROWS, JSON.stringify(row) + "\n");
    process.stderr.write(`${language} ${rows.length}: ${MODES.map((m) => `${m} ${(score as Record<string, number>)[m]!.toFixed(3)}`).join(", ")}, byte-level ${score.byteLevel.toFixed(3)}\n`);
  }
}
const seconds = (performance.now() - started) / 1000;
const { user, system } = process.cpuUsage(cpu);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Mean of a paired difference and its standard error (sample standard deviation / √n). */
const paired = (rs: Row[], a: string, b: string) => {
  const d = rs.map((r) => (r[a] as number) - (r[b] as number));
  const m = mean(d);
  const se = d.length > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1) / d.length) : NaN;
  return { mean: m, standardError: se };
};
/** A mode can give the true bytes probability 0: `off` keeps the prompt's last tokens, and when the text's own
 * encoding spells them otherwise and a character is open there, no canonical token completes it the true way (the
 * generation falls back to the longest candidate). Such cuts are counted per mode; means and paired differences are
 * over the cuts where every mode is above 0 (the zeros only strengthen an order against the mode that has them). */
const finite = (rs: Row[]) => rs.filter((r) => [...MODES, "byteLevel", "canonicalCovers"].every((m) => Number.isFinite(r[m] as number)));
const summarise = (all: Row[]) => {
  const rs = finite(all);
  return {
    cuts: all.length,
    zeroProbability: Object.fromEntries(MODES.map((m) => [m, all.filter((r) => r[m] === -Infinity).length])),
    cutsInMeans: rs.length,
    meanLogProb: Object.fromEntries([...MODES, "byteLevel", "canonicalCovers"].map((m) => [m, mean(rs.map((r) => r[m] as number))])),
    exactAtLeastRollback: all.filter((r) => (r.exact as number) >= (r.rollback as number) - TIE).length,
    rollbackAtLeastOff: all.filter((r) => (r.rollback as number) >= (r.off as number) - TIE).length,
    exactMinusRollback: paired(rs, "exact", "rollback"),
    rollbackMinusOff: paired(rs, "rollback", "off"),
    exactBelowCanonicalCovers: all.filter((r) => (r.exact as number) < (r.canonicalCovers as number) - TIE).length,
  };
};
const perLanguage = Object.fromEntries(LANGUAGES.map((l) => [l, summarise(rows.filter((r) => r.language === l))]));
const all = summarise(rows);
const result = {
  what: `mean natural-log probability of the ${TARGETS === "model" ? "next 8 bytes drawn by generate --heal exact" : "true next 8 bytes"} at cut points inside words, FLORES devtest`,
  targets: TARGETS,
  model: relative(process.cwd(), dir) || dir,
  linesPerLanguage: LINES,
  stoppedByBudget,
  seed: SEED,
  seconds,
  cpuSeconds: (user + system) / 1e6,
  resumedCuts: resumed,
  forwardPasses: lm.forwardPasses,
  maxPrunedBound: Math.max(...rows.map((r) => r.prunedBound as number).filter((x) => Number.isFinite(x))),
  all,
  perLanguage,
  cuts: rows,
};
const tmp = `${OUT}.tmp`;
writeFileSync(tmp, JSON.stringify(result, null, 2) + "\n");
renameSync(tmp, OUT);
if (!stoppedByBudget) unlinkSync(ROWS);

const fmt = (x: number) => x.toFixed(3);
const pm = (d: { mean: number; standardError: number }) => `${d.mean >= 0 ? "+" : ""}${fmt(d.mean)} ± ${fmt(d.standardError)}`;
const line = (name: string, s: ReturnType<typeof summarise>) =>
  `| ${name} | ${s.cuts} | ${fmt(s.meanLogProb.off!)} | ${fmt(s.meanLogProb.rollback!)} | ${fmt(s.meanLogProb.exact!)} | ${fmt(s.meanLogProb.byteLevel!)} | ${pm(s.exactMinusRollback)} | ${pm(s.rollbackMinusOff)} | ${s.exactAtLeastRollback}/${s.cuts} | ${s.rollbackAtLeastOff}/${s.cuts} | ${MODES.map((m) => s.zeroProbability[m]).join(" / ")} |`;
console.log("| language | cuts | off | rollback | exact | byte-level model | exact − rollback (± s.e.) | rollback − off (± s.e.) | exact ≥ rollback | rollback ≥ off | P = 0 (off / rollback / exact) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const l of LANGUAGES) console.log(line(l, perLanguage[l]!));
console.log(line("all", all));
console.log(`\n${rows.length} cuts, ${seconds.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} s CPU (this run's cuts), ${lm.forwardPasses} forward passes, pruned mass ≤ ${result.maxPrunedBound.toExponential(1)} (relative)`);
