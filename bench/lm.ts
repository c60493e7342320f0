// The language-model speed table of issue 5, side by side with PyTorch CPU when torch imports: train-step time and
// forward tokens/s of the reference Llama (bench/lm-train.ts, bench/lm-forward.ts, bench/lm-torch.py), each in its own
// process (jax-js's worker threads spin-wait and would slow whatever shares the machine), `--rounds N` times back to
// back; prints every row as JSON and then the medians with the CPU path's ratio to PyTorch.
// Run: npm run bench:lm [-- --rounds 3]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 1;
if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`--rounds: expected a positive integer, got ${args[roundsAt + 1]}`);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

type Row = Record<string, string | number>;

function runJsonLines(command: string, commandArgs: string[]): Row[] | string {
  const r = spawnSync(command, commandArgs, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) return r.error.message;
  if (r.status !== 0) return `${command} ${commandArgs.join(" ")} exited with ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`;
  return r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Row);
}

// The first Python on PATH may be a pyenv or venv one without torch; Debian's python3-torch lives under /usr/bin.
const python = ["python3", "/usr/bin/python3"].find((exe) => {
  const probe = spawnSync(exe, ["-c", "import torch"], { stdio: "ignore" });
  return !probe.error && probe.status === 0;
});
const haveTorch = python !== undefined;
if (!haveTorch) console.error("PyTorch does not import here (apt install python3-torch, or pip install --no-deps torch): its column is left out");

const train = new Map<string, number[]>();
const forward = new Map<string, number[]>();
const push = (m: Map<string, number[]>, key: string, v: number) => m.set(key, [...(m.get(key) ?? []), v]);
for (let round = 1; round <= rounds; round++) {
  // Each backend in a process of its own: jax-js's worker threads spin-wait after its run and would slow the next.
  for (const [script, only] of [["lm-train.ts", "jax"], ["lm-train.ts", "cpu"], ["lm-forward.ts", "jax"], ["lm-forward.ts", "cpu"]] as const) {
    const rows = runJsonLines(process.execPath, ["--import", "tsx", here(script), `--only=${only}`]);
    if (typeof rows === "string") throw new Error(rows);
    for (const row of rows) {
      console.log(JSON.stringify({ round, ...row }));
      if ("secondsPerStep" in row) push(train, String(row.backend), Number(row.secondsPerStep));
      else if (row.mode !== "eager") push(forward, row.mode === "jit" ? "jax-js (wasm)" : String(row.mode), Number(row.tokensPerSecond));
    }
  }
  if (haveTorch) {
    const rows = runJsonLines(python!, [here("lm-torch.py")]);
    if (typeof rows === "string") throw new Error(rows);
    for (const row of rows) {
      console.log(JSON.stringify({ round, ...row }));
      push(train, "PyTorch", Number(row.trainSecondsPerStep));
      push(forward, "PyTorch", Number(row.forwardTokensPerSecond));
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuKey = [...train.keys()].find((k) => k.startsWith("CPU path"));
console.log(`\nmedians of ${rounds} round(s)`);
for (const [what, m, unit, slowerIf] of [["train step, batch 8 × 256", train, "s", "higher"], ["forward, batch 4 × 256", forward, "tok/s", "lower"]] as const) {
  for (const [backend, values] of m) console.log(`${what.padEnd(26)} ${backend.padEnd(52)} ${String(median(values)).padStart(8)} ${unit}   (${values.join(", ")})`);
  const torch = m.get("PyTorch");
  const cpu = cpuKey ? m.get(cpuKey) : undefined;
  if (torch && cpu) {
    const ratio = (c: number, t: number) => (slowerIf === "higher" ? c / t : t / c);
    const perRound = cpu.map((c, i) => ratio(c, torch[i]!).toFixed(2)).join(", ");
    console.log(`${what.padEnd(26)} CPU path is ${ratio(median(cpu), median(torch)).toFixed(2)}× PyTorch's time (per round: ${perRound}; target: within 2×)`);
  }
}
