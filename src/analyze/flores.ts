// FLORES-200 as Petrov et al. (2023) prepared it for their parity table: the dev and devtest files each split on
// "\n" — keeping the empty string after the final newline —, the two lists concatenated and joined with one space.
// Their published counts (e.g. GPT-2: 52,567 English tokens) are reproduced only with exactly this preparation.

export function petrovFloresText(devFile: string, devtestFile: string): string {
  return [...devFile.split("\n"), ...devtestFile.split("\n")].join(" ");
}
