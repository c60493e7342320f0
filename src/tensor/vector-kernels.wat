;; The element-wise loops of the CPU language model (src/lm/llama-cpu.ts) and its optimizer in WebAssembly SIMD:
;; softmax rows, SiLU-gated products, RMSNorm, rotary embeddings, AdamW and their backward passes. V8 runs these
;; loops as scalar JS (an exp ~6.6 ns, an RMSNorm element ~2.9 ns on the reference VM); four lanes at a time here cost
;; 3–8× less. Assembled by scripts/build-wasm.mjs into vector-kernels-wasm.ts (a test checks the two agree). Every
;; pointer is a byte offset into this module's memory; the JS side (vector-kernels.ts) copies arrays in and out.
(module
  ;; The memory comes from the caller, made as large as it will need: growing it (here or from JavaScript) detaches
  ;; its old ArrayBuffer, and V8 then checks for detached buffers in every typed-array access of the process.
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))

  ;; Lane masks for the last, partial vector of a run: at byte 16·k, the first k lanes set (k = 1..4). Arrays start at
  ;; byte 128 (the JS side's views).
  (data (i32.const 16) "\ff\ff\ff\ff\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 32) "\ff\ff\ff\ff\ff\ff\ff\ff\00\00\00\00\00\00\00\00")
  (data (i32.const 48) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\00\00\00\00")
  (data (i32.const 64) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")

  ;; dst[j] ← exp(a·src[j] − b) for j < n, four lanes at a time; returns Σ dst (f64: each vector's lanes widened to
  ;; two f64x2 halves, so a vocabulary row's sum stays exact to double rounding). The exp and the widening are written
  ;; out inside the loop (V8 does not inline wasm calls, and a call per vector cost more than the arithmetic: a
  ;; helper for the widening alone made this loop 1.4× slower): the exp within 3e-7 relative, x clamped to [-87, 88]
  ;; (below: ~1e-38 instead of a subnormal or 0, which a softmax sum cannot tell apart; above: overflow);
  ;; n = round(x·log2 e) by adding 1.5·2^23, which rounds and leaves n in the low mantissa bits (V8 expands wasm's
  ;; round and convert instructions into long sequences); r = x − n·ln 2 in two parts (Cody–Waite); e^r by its
  ;; degree-6 Taylor polynomial on |r| ≤ ln2/2 (error < 1.3e-7), in Estrin's order (r², then three short chains):
  ;; the exp is bound by the latency of its dependent steps, and Horner's order chains all twelve; times 2^n from
  ;; exponent bits. For the same reason the main loop takes two vectors at once, their steps interleaved (each
  ;; vector's chain waits on its own results only). pmin/pmax are one instruction each on x64. The last one to
  ;; seven elements go one vector at a time, the last vector masked: lanes past n are neither stored nor summed.
  (func $exp_affine (param $src i32) (param $dst i32) (param $n i32) (param $a f32) (param $b f32) (result f64)
    (local $j i32) (local $left i32) (local $va v128) (local $vb v128) (local $mask v128) (local $acc v128)
    (local $x v128) (local $k v128) (local $m v128) (local $r v128) (local $q v128) (local $p v128) (local $addr i32)
    (local $x2 v128) (local $k2 v128) (local $m2 v128) (local $r2 v128) (local $q2 v128) (local $p2 v128)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $acc (v128.const f64x2 0 0))
    (block $pairs (loop $l2
      (br_if $pairs (i32.gt_s (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
      (local.set $x (f32x4.sub (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))) (local.get $vb)))
      (local.set $x2 (f32x4.sub (f32x4.mul (local.get $va) (v128.load offset=16 (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))) (local.get $vb)))
      (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
      (local.set $x2 (f32x4.pmin (f32x4.pmax (local.get $x2) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
      (local.set $k (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504)) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $k2 (f32x4.add (f32x4.mul (local.get $x2) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504)) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $m (f32x4.sub (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $m2 (f32x4.sub (local.get $k2) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $m) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r2 (f32x4.sub (local.get $x2) (f32x4.mul (local.get $m2) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $m) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $r2 (f32x4.sub (local.get $r2) (f32x4.mul (local.get $m2) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $q (f32x4.mul (local.get $r) (local.get $r)))
      (local.set $q2 (f32x4.mul (local.get $r2) (local.get $r2)))
      (local.set $m (f32x4.add (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)) (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)) (f32x4.mul (local.get $q) (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3))))
      (local.set $m2 (f32x4.add (f32x4.add (f32x4.mul (local.get $r2) (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)) (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)) (f32x4.mul (local.get $q2) (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3))))
      (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)) (v128.const f32x4 0.5 0.5 0.5 0.5)) (f32x4.mul (local.get $q) (local.get $m))))
      (local.set $p2 (f32x4.add (f32x4.add (f32x4.mul (local.get $r2) (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)) (v128.const f32x4 0.5 0.5 0.5 0.5)) (f32x4.mul (local.get $q2) (local.get $m2))))
      (local.set $p (f32x4.add (f32x4.add (local.get $r) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $q) (local.get $p))))
      (local.set $p2 (f32x4.add (f32x4.add (local.get $r2) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $q2) (local.get $p2))))
      (local.set $p (f32x4.mul (local.get $p) (i32x4.shl (i32x4.sub (local.get $k) (v128.const i32x4 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81)) (i32.const 23))))
      (local.set $p2 (f32x4.mul (local.get $p2) (i32x4.shl (i32x4.sub (local.get $k2) (v128.const i32x4 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81)) (i32.const 23))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.add (f64x2.promote_low_f32x4 (local.get $p)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p) (local.get $p)))) (f64x2.add (f64x2.promote_low_f32x4 (local.get $p2)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p2) (local.get $p2)))))))
      (local.set $addr (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $addr) (local.get $p))
      (v128.store offset=16 (local.get $addr) (local.get $p2))
      (local.set $j (i32.add (local.get $j) (i32.const 8)))
      (br $l2)))
    (block $b (loop $l
      (br_if $b (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $left (i32.sub (local.get $n) (local.get $j)))
      (local.set $mask (v128.load (i32.shl (select (i32.const 4) (local.get $left) (i32.ge_u (local.get $left) (i32.const 4))) (i32.const 4))))
      (local.set $x (f32x4.sub (f32x4.mul (local.get $va) (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))) (local.get $vb)))
      (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87 -87 -87 -87)) (v128.const f32x4 88 88 88 88)))
      (local.set $k (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504)) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $m (f32x4.sub (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912)))
      (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $m) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
      (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $m) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      (local.set $q (f32x4.mul (local.get $r) (local.get $r)))
      (local.set $m (f32x4.add (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 8.33333333e-3 8.33333333e-3 8.33333333e-3 8.33333333e-3)) (v128.const f32x4 4.16666667e-2 4.16666667e-2 4.16666667e-2 4.16666667e-2)) (f32x4.mul (local.get $q) (v128.const f32x4 1.38888889e-3 1.38888889e-3 1.38888889e-3 1.38888889e-3))))
      (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $r) (v128.const f32x4 0.166666667 0.166666667 0.166666667 0.166666667)) (v128.const f32x4 0.5 0.5 0.5 0.5)) (f32x4.mul (local.get $q) (local.get $m))))
      (local.set $p (f32x4.add (f32x4.add (local.get $r) (v128.const f32x4 1 1 1 1)) (f32x4.mul (local.get $q) (local.get $p))))
      (local.set $p (f32x4.mul (local.get $p) (i32x4.shl (i32x4.sub (local.get $k) (v128.const i32x4 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81 0x4B3FFF81)) (i32.const 23))))
      (local.set $p (v128.and (local.get $mask) (local.get $p)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.promote_low_f32x4 (local.get $p)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p) (local.get $p))))))
      (local.set $addr (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $addr) (v128.bitselect (local.get $p) (v128.load (local.get $addr)) (local.get $mask)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))
    (call $hsum (local.get $acc)))


  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; For each of `rows` rows of `cols` floats at $p (row-major): m = max, x ← exp(x − m) in place, s = Σ exp (f64);
  ;; writes m (f32) to $maxOut[i] and s (f64) to $sumOut[i]. `causal`: the rows are rows $first, $first+1, … of a
  ;; causal attention matrix — row r covers columns 0..r and the rest of it is set to 0. `normalise`: divide by s.
  (func (export "exp_rows") (param $p i32) (param $rows i32) (param $cols i32) (param $causal i32) (param $first i32) (param $normalise i32) (param $maxOut i32) (param $sumOut i32)
    (local $i i32) (local $row i32) (local $len i32) (local $end4 i32) (local $j i32) (local $addr i32)
    (local $vmax v128) (local $m f32) (local $sum f64) (local $inv v128)
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $row (i32.add (local.get $p) (i32.shl (i32.mul (local.get $i) (local.get $cols)) (i32.const 2))))
        (local.set $len (if (result i32) (local.get $causal) (then (i32.add (i32.add (local.get $first) (local.get $i)) (i32.const 1))) (else (local.get $cols))))
        (local.set $end4 (i32.and (local.get $len) (i32.const -4)))
        ;; max
        (local.set $vmax (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $j (i32.const 0))
        (block $b1 (loop $l1
          (br_if $b1 (i32.ge_u (local.get $j) (local.get $end4)))
          (local.set $vmax (f32x4.pmax (local.get $vmax) (v128.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l1)))
        (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $vmax)) (f32x4.extract_lane 1 (local.get $vmax)))
                               (f32.max (f32x4.extract_lane 2 (local.get $vmax)) (f32x4.extract_lane 3 (local.get $vmax)))))
        (block $b2 (loop $l2
          (br_if $b2 (i32.ge_u (local.get $j) (local.get $len)))
          (local.set $m (f32.max (local.get $m) (f32.load (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l2)))
        (local.set $sum (call $exp_affine (local.get $row) (local.get $row) (local.get $len) (f32.const 1) (local.get $m)))
        (f32.store (i32.add (local.get $maxOut) (i32.shl (local.get $i) (i32.const 2))) (local.get $m))
        (f64.store (i32.add (local.get $sumOut) (i32.shl (local.get $i) (i32.const 3))) (local.get $sum))
        (if (local.get $normalise)
          (then
            (local.set $inv (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) (local.get $sum)))))
            (local.set $j (i32.const 0))
            (block $b5 (loop $l5
              (br_if $b5 (i32.ge_u (local.get $j) (local.get $end4)))
              (local.set $addr (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
              (v128.store (local.get $addr) (f32x4.mul (v128.load (local.get $addr)) (local.get $inv)))
              (local.set $j (i32.add (local.get $j) (i32.const 4)))
              (br $l5)))
            (block $b6 (loop $l6
              (br_if $b6 (i32.ge_u (local.get $j) (local.get $len)))
              (local.set $addr (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))))
              (f32.store (local.get $addr) (f32.mul (f32.load (local.get $addr)) (f32x4.extract_lane 0 (local.get $inv))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $l6)))))
        (memory.fill (i32.add (local.get $row) (i32.shl (local.get $len) (i32.const 2))) (i32.const 0)
                     (i32.shl (i32.sub (local.get $cols) (local.get $len)) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))

  ;; Softmax backward in place over rows (causal as above): d ← p ⊙ (d − Σ_j p_j d_j), the rest of a causal row 0.
  (func (export "softmax_backward_rows") (param $p i32) (param $d i32) (param $rows i32) (param $cols i32) (param $causal i32) (param $first i32)
    (local $i i32) (local $off i32) (local $len i32) (local $end4 i32) (local $j i32) (local $pa i32) (local $da i32)
    (local $acc v128) (local $dot f64) (local $vdot v128) (local $sdot f32) (local $v v128)
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $off (i32.shl (i32.mul (local.get $i) (local.get $cols)) (i32.const 2)))
        (local.set $len (if (result i32) (local.get $causal) (then (i32.add (i32.add (local.get $first) (local.get $i)) (i32.const 1))) (else (local.get $cols))))
        (local.set $end4 (i32.and (local.get $len) (i32.const -4)))
        (local.set $acc (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $b1 (loop $l1
          (br_if $b1 (i32.ge_u (local.get $j) (local.get $end4)))
          (local.set $pa (i32.add (i32.add (local.get $p) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $da (i32.add (i32.add (local.get $d) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $v (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $da))))
          (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.promote_low_f32x4 (local.get $v))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l1)))
        (local.set $dot (call $hsum (local.get $acc)))
        (block $b2 (loop $l2
          (br_if $b2 (i32.ge_u (local.get $j) (local.get $len)))
          (local.set $pa (i32.add (i32.add (local.get $p) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $da (i32.add (i32.add (local.get $d) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $dot (f64.add (local.get $dot) (f64.promote_f32 (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $da))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l2)))
        (local.set $sdot (f32.demote_f64 (local.get $dot)))
        (local.set $vdot (f32x4.splat (local.get $sdot)))
        (local.set $j (i32.const 0))
        (block $b3 (loop $l3
          (br_if $b3 (i32.ge_u (local.get $j) (local.get $end4)))
          (local.set $pa (i32.add (i32.add (local.get $p) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $da (i32.add (i32.add (local.get $d) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (v128.store (local.get $da) (f32x4.mul (v128.load (local.get $pa)) (f32x4.sub (v128.load (local.get $da)) (local.get $vdot))))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $l3)))
        (block $b4 (loop $l4
          (br_if $b4 (i32.ge_u (local.get $j) (local.get $len)))
          (local.set $pa (i32.add (i32.add (local.get $p) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $da (i32.add (i32.add (local.get $d) (local.get $off)) (i32.shl (local.get $j) (i32.const 2))))
          (f32.store (local.get $da) (f32.mul (f32.load (local.get $pa)) (f32.sub (f32.load (local.get $da)) (local.get $sdot))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $l4)))
        (memory.fill (i32.add (i32.add (local.get $d) (local.get $off)) (i32.shl (local.get $len) (i32.const 2))) (i32.const 0)
                     (i32.shl (i32.sub (local.get $cols) (local.get $len)) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))

;; out ← silu(gate) · up over n floats (the arrays padded to a multiple of 4); silu(g) = g / (1 + e^−g).
  (func (export "silu_mul") (param $gate i32) (param $up i32) (param $out i32) (param $n i32)
    (local $j i32) (local $o i32)
    (drop (call $exp_affine (local.get $gate) (local.get $out) (local.get $n) (f32.const -1) (f32.const 0)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (v128.store (i32.add (local.get $out) (local.get $o))
        (f32x4.div (f32x4.mul (v128.load (i32.add (local.get $gate) (local.get $o))) (v128.load (i32.add (local.get $up) (local.get $o))))
                   (f32x4.add (v128.const f32x4 1 1 1 1) (v128.load (i32.add (local.get $out) (local.get $o))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l))))

  ;; The backward of silu_mul: with s = σ(g), dUp ← dAct · g · s and dGate ← dAct · up · s · (1 + g · (1 − s)).
  (func (export "silu_mul_backward") (param $dact i32) (param $gate i32) (param $up i32) (param $dgate i32) (param $dup i32) (param $n i32)
    (local $j i32) (local $o i32) (local $g v128) (local $s v128) (local $da v128)
    (drop (call $exp_affine (local.get $gate) (local.get $dgate) (local.get $n) (f32.const -1) (f32.const 0)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $g (v128.load (i32.add (local.get $gate) (local.get $o))))
      (local.set $da (v128.load (i32.add (local.get $dact) (local.get $o))))
      (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (v128.load (i32.add (local.get $dgate) (local.get $o))))))
      (v128.store (i32.add (local.get $dup) (local.get $o)) (f32x4.mul (f32x4.mul (local.get $da) (local.get $g)) (local.get $s)))
      (v128.store (i32.add (local.get $dgate) (local.get $o))
        (f32x4.mul (f32x4.mul (f32x4.mul (local.get $da) (v128.load (i32.add (local.get $up) (local.get $o)))) (local.get $s))
                   (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $g) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $s))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l))))
;; sum ← a + b (when $b ≠ 0; else the rows of a are used as they are), then y ← sum / sqrt(mean(sum²) + eps) · w
  ;; per row of d floats (d a multiple of 4) and r[i] ← that row's factor: a residual add fused with the RMSNorm
  ;; that follows it.
  (func (export "add_rms_norm") (param $a i32) (param $b i32) (param $sum i32) (param $w i32) (param $y i32) (param $r i32) (param $rows i32) (param $d i32) (param $eps f64)
    (local $i i32) (local $j i32) (local $ro i32) (local $src i32) (local $acc v128) (local $v v128) (local $vf v128) (local $f f32)
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $ro (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 2)))
      (local.set $src (if (result i32) (local.get $b) (then (i32.add (local.get $sum) (local.get $ro))) (else (i32.add (local.get $a) (local.get $ro)))))
      (local.set $acc (v128.const f64x2 0 0))
      (local.set $j (i32.const 0))
      (block $b1 (loop $l1
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $v (v128.load (i32.add (i32.add (local.get $a) (local.get $ro)) (i32.shl (local.get $j) (i32.const 2)))))
        (if (local.get $b) (then
          (local.set $v (f32x4.add (local.get $v) (v128.load (i32.add (i32.add (local.get $b) (local.get $ro)) (i32.shl (local.get $j) (i32.const 2))))))
          (v128.store (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))))
        (local.set $v (f32x4.mul (local.get $v) (local.get $v)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.promote_low_f32x4 (local.get $v))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l1)))
      (local.set $f (f32.demote_f64 (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div (call $hsum (local.get $acc)) (f64.convert_i32_u (local.get $d))) (local.get $eps))))))
      (f32.store (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 2))) (local.get $f))
      (local.set $vf (f32x4.splat (local.get $f)))
      (local.set $j (i32.const 0))
      (block $b2 (loop $l2
        (br_if $b2 (i32.ge_u (local.get $j) (local.get $d)))
        (v128.store (i32.add (i32.add (local.get $y) (local.get $ro)) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.mul (f32x4.mul (v128.load (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2)))) (local.get $vf))
                     (v128.load (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

;; The backward of rms_norm given dy (rows of d floats, d a multiple of 4) and the forward's x and factors r:
  ;; dw += Σ_rows dy·x·f and dx += f·dy·w − (f³ · Σ_j dy·w·x / d)·x (dx accumulates: the residual path's gradient).
  (func (export "rms_norm_backward") (param $dy i32) (param $x i32) (param $r i32) (param $w i32) (param $dw i32) (param $dx i32) (param $rows i32) (param $d i32)
    (local $i i32) (local $j i32) (local $ro i32) (local $o i32) (local $f f32) (local $vf v128) (local $vc v128) (local $acc v128) (local $p v128) (local $dyv v128) (local $xv v128)
    (block $done (loop $rowLoop
      (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $ro (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 2)))
      (local.set $f (f32.load (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $vf (f32x4.splat (local.get $f)))
      (local.set $acc (v128.const f64x2 0 0))
      (local.set $j (i32.const 0))
      (block $b1 (loop $l1
        (br_if $b1 (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (local.set $dyv (v128.load (i32.add (i32.add (local.get $dy) (local.get $ro)) (local.get $o))))
        (local.set $xv (v128.load (i32.add (i32.add (local.get $x) (local.get $ro)) (local.get $o))))
        (local.set $p (f32x4.mul (f32x4.mul (local.get $dyv) (v128.load (i32.add (local.get $w) (local.get $o)))) (local.get $xv)))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.promote_low_f32x4 (local.get $p))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p) (local.get $p))))))
        (v128.store (i32.add (local.get $dw) (local.get $o))
          (f32x4.add (v128.load (i32.add (local.get $dw) (local.get $o))) (f32x4.mul (f32x4.mul (local.get $dyv) (local.get $xv)) (local.get $vf))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l1)))
      (local.set $vc (f32x4.splat (f32.demote_f64 (f64.div (f64.mul (f64.promote_f32 (f32.mul (f32.mul (local.get $f) (local.get $f)) (local.get $f))) (call $hsum (local.get $acc))) (f64.convert_i32_u (local.get $d))))))
      (local.set $j (i32.const 0))
      (block $b2 (loop $l2
        (br_if $b2 (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (v128.store (i32.add (i32.add (local.get $dx) (local.get $ro)) (local.get $o))
          (f32x4.add (v128.load (i32.add (i32.add (local.get $dx) (local.get $ro)) (local.get $o)))
            (f32x4.sub (f32x4.mul (f32x4.mul (local.get $vf) (v128.load (i32.add (i32.add (local.get $dy) (local.get $ro)) (local.get $o)))) (v128.load (i32.add (local.get $w) (local.get $o))))
                       (f32x4.mul (local.get $vc) (v128.load (i32.add (i32.add (local.get $x) (local.get $ro)) (local.get $o)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowLoop))))

  ;; Rotary embedding in place (HF's rotate_half) on [tokens, heads·hd], token n at position n mod len, tables
  ;; cos/sin [len, hd]; half = hd/2 a multiple of 4. `inverse` applies the transpose (the backward pass).
  (func (export "rotary") (param $a i32) (param $tokens i32) (param $len i32) (param $heads i32) (param $hd i32) (param $cos i32) (param $sin i32) (param $inverse i32)
    (local $n i32) (local $h i32) (local $i i32) (local $half i32) (local $t i32) (local $o i32) (local $p1 i32) (local $p2 i32) (local $t1 i32) (local $t2 i32)
    (local $x1 v128) (local $x2 v128)
    (local.set $half (i32.shr_u (local.get $hd) (i32.const 1)))
    (block $bn (loop $ln
      (br_if $bn (i32.ge_u (local.get $n) (local.get $tokens)))
      (local.set $t (i32.shl (i32.mul (i32.rem_u (local.get $n) (local.get $len)) (local.get $hd)) (i32.const 2)))
      (local.set $h (i32.const 0))
      (block $bh (loop $lh
        (br_if $bh (i32.ge_u (local.get $h) (local.get $heads)))
        (local.set $o (i32.add (local.get $a) (i32.shl (i32.mul (i32.add (i32.mul (local.get $n) (local.get $heads)) (local.get $h)) (local.get $hd)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $bi (loop $li
          (br_if $bi (i32.ge_u (local.get $i) (local.get $half)))
          (local.set $p1 (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $p2 (i32.add (local.get $p1) (i32.shl (local.get $half) (i32.const 2))))
          (local.set $t1 (i32.add (local.get $t) (i32.shl (local.get $i) (i32.const 2))))
          (local.set $t2 (i32.add (local.get $t1) (i32.shl (local.get $half) (i32.const 2))))
          (local.set $x1 (v128.load (local.get $p1)))
          (local.set $x2 (v128.load (local.get $p2)))
          (if (local.get $inverse)
            (then
              (v128.store (local.get $p1) (f32x4.add (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $cos) (local.get $t1)))) (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $sin) (local.get $t2))))))
              (v128.store (local.get $p2) (f32x4.sub (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $cos) (local.get $t2)))) (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $sin) (local.get $t1)))))))
            (else
              (v128.store (local.get $p1) (f32x4.sub (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $cos) (local.get $t1)))) (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $sin) (local.get $t1))))))
              (v128.store (local.get $p2) (f32x4.add (f32x4.mul (local.get $x2) (v128.load (i32.add (local.get $cos) (local.get $t2)))) (f32x4.mul (local.get $x1) (v128.load (i32.add (local.get $sin) (local.get $t2))))))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br $li)))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br $lh)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $ln))))
;; Σ x² over n floats (padded with zeros to a multiple of 4), squared and summed in f64.
  (func (export "sum_squares") (param $x i32) (param $n i32) (result f64)
    (local $j i32) (local $v v128) (local $lo v128) (local $hi v128) (local $acc v128)
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2)))))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (f64x2.mul (local.get $lo) (local.get $lo)) (f64x2.mul (local.get $hi) (local.get $hi)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; AdamW over n floats (the arrays padded to a multiple of 4), with the gradient scaled by $scale (clipping):
  ;; m ← b1·m + (1 − b1)·g, v ← b2·v + (1 − b2)·g², w ← w·decay − lrc1·m / (sqrt(v·ic2) + eps), where
  ;; lrc1 = lr / (1 − b1^t) and ic2 = 1 / (1 − b2^t) fold in the bias corrections.
  (func (export "adamw") (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
        (param $scale f32) (param $b1 f32) (param $b2 f32) (param $lrc1 f32) (param $ic2 f32) (param $eps f32) (param $decay f32)
    (local $j i32) (local $o i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $vb1 v128) (local $vb2 v128) (local $v1b1 v128) (local $v1b2 v128) (local $vscale v128) (local $vlr v128) (local $vic2 v128) (local $veps v128) (local $vdecay v128)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $v1b1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $v1b2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $vscale (f32x4.splat (local.get $scale)))
    (local.set $vlr (f32x4.splat (local.get $lrc1)))
    (local.set $vic2 (f32x4.splat (local.get $ic2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vdecay (f32x4.splat (local.get $decay)))
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (local.get $vscale)))
      (local.set $mv (f32x4.add (f32x4.mul (local.get $vb1) (v128.load (i32.add (local.get $m) (local.get $o)))) (f32x4.mul (local.get $v1b1) (local.get $gv))))
      (local.set $vv (f32x4.add (f32x4.mul (local.get $vb2) (v128.load (i32.add (local.get $v) (local.get $o)))) (f32x4.mul (local.get $v1b2) (f32x4.mul (local.get $gv) (local.get $gv)))))
      (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mv))
      (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vv))
      (v128.store (i32.add (local.get $w) (local.get $o))
        (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $w) (local.get $o))) (local.get $vdecay))
                   (f32x4.div (f32x4.mul (local.get $vlr) (local.get $mv))
                              (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vv) (local.get $vic2))) (local.get $veps)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l))))
)
