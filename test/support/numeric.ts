// Comparing float outputs against golden files: the largest error relative to each value, with values below 1% of
// the largest magnitude compared on that floor (so near-zero entries do not blow the ratio up).
export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-2 * scale));
  return err;
}

/** The largest |got − want| relative to the largest |want| of the array (one scale for the whole array). */
export function errorRelativeToMax(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`${got.length} values compared with ${want.length}`);
  let err = 0;
  let scale = 1e-30;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}
