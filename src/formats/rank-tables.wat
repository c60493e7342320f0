;; A tiktoken rank file's tables, read from its text (see rank-tables.ts): each token's base64 decoded, filed by rank
;; and by its bytes. A cold start runs this once over 1–4 MB of text; the same loops in JavaScript ran mostly before
;; V8 had optimised them (~60 ms of a ~100 ms load for cl100k_base).
;;
;; Memory: a byte-class table at [0, 256), the text's bytes (ASCII) at [256, 256 + len), a zero byte after them. Tokens
;; are decoded in place at 256 on (four characters give at most three bytes, so the writes stay behind the reads): the
;; bytes of entry e are [at[e], at[e + 1]). Then, at `ids` and `at`, an array of `cap` i32 each (`at` one more);
;; after the walk, `startAt` and `endAt` by rank (−1: no such rank) and the hash slots (hash, entry + 1) — the
;; shapes of PackedRanks and util/byte-string-table.ts, whose polynomial hash this is (h = h·P + byte + 1 mod 2^32).
;; Anything the walk does not vouch for — a character out of place, base64 it would not decode, a repeated rank or
;; token, a rank past 50,000,000 — returns 0, and the caller reads the text with the JavaScript parser, whose errors
;; name the line.
(module
  ;; The memory comes from the caller, made as large as it will need: growing it (here or from JavaScript) detaches
  ;; its old ArrayBuffer, and V8 then checks for detached buffers in every typed-array access of the process.
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))
  ;; At [0, 256): each byte's class — its base64 value (0–63), 64 for "=", 255 for anything else. The text follows.
  (data (i32.const 0)
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\3e\ff\ff\ff\3f\34\35\36\37\38\39\3a\3b\3c\3d\ff\ff\ff\40\ff\ff"
    "\ff\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\ff\ff\ff\ff\ff"
    "\ff\1a\1b\1c\1d\1e\1f\20\21\22\23\24\25\26\27\28\29\2a\2b\2c\2d\2e\2f\30\31\32\33\ff\ff\ff\ff\ff"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff"
    "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
  (global $textEnd (mut i32) (i32.const 0))
  (global $json (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 0))
  (global $cap (export "cap") (mut i32) (i32.const 0))
  (global $count (export "count") (mut i32) (i32.const 0))
  (global $dataEnd (export "dataEnd") (mut i32) (i32.const 0))
  (global $ids (export "ids") (mut i32) (i32.const 0))
  (global $at (export "at") (mut i32) (i32.const 0))
  (global $startAt (export "startAt") (mut i32) (i32.const 0))
  (global $endAt (export "endAt") (mut i32) (i32.const 0))
  (global $rankLimit (export "rankLimit") (mut i32) (i32.const 0))
  (global $slots (export "slots") (mut i32) (i32.const 0))
  (global $slotCount (export "slotCount") (mut i32) (i32.const 0))
  ;; the read position, the write position (decoded bytes)
  (global $r (mut i32) (i32.const 0))
  (global $w (mut i32) (i32.const 0))

  ;; Heap room for `size` bytes (fresh pages are zero); −1 when memory cannot grow.
  (func $take (param $size i32) (result i32)
    (local $at i32) (local $end i32) (local $pages i32)
    (local.set $at (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $at) (local.get $size)))
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
        (then (return (i32.const -1))))))
    (global.set $heap (local.get $end))
    (local.get $at))

;; The token at $r, up to the first character that is not base64 (the caller checks which it is), decoded at $w
  ;; and filed with `rank`; 0 when it is not a token this walk vouches for. Padding as util/base64.ts reads it: "="
  ;; only as the last one or two characters. No calls in the loop: V8 runs a module first with its baseline compiler,
  ;; which inlines nothing, and a load runs this once.
  (func $token (param $rank i32) (result i32)
    (local $start i32) (local $end i32) (local $p i32) (local $pad i32) (local $last i32) (local $v i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $w i32) (local $n i32) (local $e i32)
    (if (i32.gt_u (local.get $rank) (i32.const 50000000)) (then (return (i32.const 0))))
    (local.set $start (global.get $r))
    (local.set $end (local.get $start))
    (loop $scan
      (if (i32.lt_u (i32.load8_u (i32.load8_u (local.get $end))) (i32.const 65))
        (then (local.set $end (i32.add (local.get $end) (i32.const 1))) (br $scan))))
    (local.set $n (i32.sub (local.get $end) (local.get $start)))
    (if (i32.or (i32.eqz (local.get $n)) (i32.and (local.get $n) (i32.const 3))) (then (return (i32.const 0))))
    (if (i32.eq (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 61)) (then (local.set $pad (i32.const 1))))
    (if (i32.and (local.get $pad) (i32.eq (i32.load8_u (i32.sub (local.get $end) (i32.const 2))) (i32.const 61))) (then (local.set $pad (i32.const 2))))
    (local.set $last (i32.sub (local.get $end) (i32.const 4)))
    (local.set $w (global.get $w))
    (local.set $p (local.get $start))
    (loop $group
      (local.set $a (i32.load8_u (i32.load8_u (local.get $p))))
      (local.set $b (i32.load8_u (i32.load8_u offset=1 (local.get $p))))
      (local.set $c (i32.load8_u (i32.load8_u offset=2 (local.get $p))))
      (local.set $d (i32.load8_u (i32.load8_u offset=3 (local.get $p))))
      (if (i32.eq (local.get $p) (local.get $last))
        (then
          ;; "=" (64) in the padding reads as 0; anywhere else it is refused.
          (if (i32.ge_u (local.get $pad) (i32.const 1)) (then (local.set $d (i32.const 0))))
          (if (i32.eq (local.get $pad) (i32.const 2)) (then (local.set $c (i32.const 0))))))
      (if (i32.and (i32.or (i32.or (local.get $a) (local.get $b)) (i32.or (local.get $c) (local.get $d))) (i32.const 64)) (then (return (i32.const 0))))
      (local.set $v (i32.or (i32.or (i32.shl (local.get $a) (i32.const 18)) (i32.shl (local.get $b) (i32.const 12)))
                            (i32.or (i32.shl (local.get $c) (i32.const 6)) (local.get $d))))
      (i32.store8 (local.get $w) (i32.shr_u (local.get $v) (i32.const 16)))
      (i32.store8 offset=1 (local.get $w) (i32.shr_u (local.get $v) (i32.const 8)))
      (i32.store8 offset=2 (local.get $w) (local.get $v))
      (local.set $w (i32.add (local.get $w) (i32.const 3)))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $group (i32.lt_u (local.get $p) (local.get $end))))
    ;; The padding's bytes were written as zeros: drop them.
    (local.set $w (i32.sub (local.get $w) (local.get $pad)))
    (local.set $n (i32.sub (local.get $w) (global.get $w)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $e (global.get $count))
    (if (i32.ge_u (i32.add (local.get $e) (i32.const 1)) (global.get $cap)) (then (return (i32.const 0))))
    (i32.store (i32.add (global.get $ids) (i32.shl (local.get $e) (i32.const 2))) (local.get $rank))
    (i32.store (i32.add (global.get $at) (i32.shl (i32.add (local.get $e) (i32.const 1)) (i32.const 2))) (local.get $w))
    (global.set $w (local.get $w))
    (global.set $count (i32.add (local.get $e) (i32.const 1)))
    (if (i32.gt_s (local.get $rank) (global.get $rankLimit)) (then (global.set $rankLimit (local.get $rank))))
    (global.set $r (local.get $end))
    (i32.const 1))

  ;; The decimal number at $r (1–9 digits), −1 if there is none. (The sentinel after the text is not a digit.)
  (func $number (result i32)
    (local $v i32) (local $c i32) (local $k i32)
    (block $done (loop $digit
      (local.set $c (i32.sub (i32.load8_u (global.get $r)) (i32.const 48)))
      (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
      (if (i32.ge_u (local.get $k) (i32.const 9)) (then (return (i32.const -1))))
      (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (global.set $r (i32.add (global.get $r) (i32.const 1)))
      (br $digit)))
    (if (result i32) (local.get $k) (then (local.get $v)) (else (i32.const -1))))

  ;; Whether $r is at the end of a line: a newline, or the end of the text.
  (func $lineEnd (result i32)
    (i32.or (i32.ge_u (global.get $r) (global.get $textEnd)) (i32.eq (i32.load8_u (global.get $r)) (i32.const 10))))

  ;; Lines "<base64> <rank>" (a rank file; an empty line is skipped, one ending in CR is left to the JS parser).
  (func $rankLines (result i32)
    (local $rank i32) (local $start i32) (local $next i32)
    (block $end (loop $line
      (br_if $end (i32.ge_u (global.get $r) (global.get $textEnd)))
      (if (i32.eq (i32.load8_u (global.get $r)) (i32.const 10))
        (then (global.set $r (i32.add (global.get $r) (i32.const 1))) (br $line)))
      ;; The rank follows the token: read it first (the token is then decoded over the text before it).
      (local.set $start (global.get $r))
      (loop $skip
        (if (i32.lt_u (i32.load8_u (i32.load8_u (global.get $r))) (i32.const 65))
          (then (global.set $r (i32.add (global.get $r) (i32.const 1))) (br $skip))))
      (if (i32.or (i32.ge_u (global.get $r) (global.get $textEnd)) (i32.ne (i32.load8_u (global.get $r)) (i32.const 32))) (then (return (i32.const 0))))
      (global.set $r (i32.add (global.get $r) (i32.const 1)))
      (local.set $rank (call $number))
      (if (i32.or (i32.lt_s (local.get $rank) (i32.const 0)) (i32.eqz (call $lineEnd))) (then (return (i32.const 0))))
      (local.set $next (global.get $r))
      (global.set $r (local.get $start))
      (if (i32.eqz (call $token (local.get $rank))) (then (return (i32.const 0))))
      (global.set $r (local.get $next))
      (br $line)))
    (i32.const 1))

  ;; Lines "<mark> <first rank> <base64> <base64> …" (the tiktoken npm packages' bpe_ranks), ranks counting up. With
  ;; $json the text is a JSON string's bytes as they lie in the file (no escape in it): a control character there
  ;; (a newline included) would make the file invalid JSON, and a byte past ASCII would need a UTF-8 check, so either
  ;; gives it up.
  (func $rankGroups (result i32)
    (local $rank i32)
    (block $end (loop $line
      (br_if $end (i32.ge_u (global.get $r) (global.get $textEnd)))
      (if (i32.eq (i32.load8_u (global.get $r)) (i32.const 10))
        (then
          (if (global.get $json) (then (return (i32.const 0))))
          (global.set $r (i32.add (global.get $r) (i32.const 1))) (br $line)))
      (block $space (loop $mark
        (if (call $lineEnd) (then (return (i32.const 0))))
        (br_if $space (i32.eq (i32.load8_u (global.get $r)) (i32.const 32)))
        (if (i32.and (global.get $json) (i32.ge_u (i32.sub (i32.load8_u (global.get $r)) (i32.const 32)) (i32.const 96))) (then (return (i32.const 0))))
        (global.set $r (i32.add (global.get $r) (i32.const 1)))
        (br $mark)))
      (global.set $r (i32.add (global.get $r) (i32.const 1)))
      (local.set $rank (call $number))
      (if (i32.lt_s (local.get $rank) (i32.const 0)) (then (return (i32.const 0))))
      (block $done (loop $tokens
        (br_if $done (call $lineEnd))
        (if (i32.ne (i32.load8_u (global.get $r)) (i32.const 32)) (then (return (i32.const 0))))
        (global.set $r (i32.add (global.get $r) (i32.const 1)))
        ;; A space before the line's end ends it (the JS parser reads no token there).
        (br_if $done (call $lineEnd))
        (if (i32.eqz (call $token (local.get $rank))) (then (return (i32.const 0))))
        (local.set $rank (i32.add (local.get $rank) (i32.const 1)))
        (br $tokens)))
      (br $line)))
    (i32.const 1))

  ;; The text is at [256, 256 + len): reads it as rank lines (`mode` 0), rank groups (1) or rank groups in a JSON
  ;; string's bytes (2). 1 when every token is filed.
  (func (export "read") (param $len i32) (param $mode i32) (result i32)
    (local $e i32) (local $rank i32) (local $size i32) (local $mask i32) (local $slot i32) (local $h i32)
    (local $other i32) (local $a i32) (local $b i32) (local $n i32) (local $k i32) (local $same i32)
    (global.set $textEnd (i32.add (i32.const 256) (local.get $len)))
    (global.set $r (i32.const 256))
    (global.set $w (i32.const 256))
    ;; The sentinel after the text (no base64, no digit, no newline).
    (global.set $heap (i32.add (global.get $textEnd) (i32.const 8)))
    (if (i32.eq (call $take (i32.const 0)) (i32.const -1)) (then (return (i32.const 0))))
    (i32.store8 (global.get $textEnd) (i32.const 0))
    ;; A token takes at least four characters and a separator.
    (global.set $cap (i32.add (i32.div_u (local.get $len) (i32.const 5)) (i32.const 2)))
    (global.set $ids (call $take (i32.shl (global.get $cap) (i32.const 2))))
    (global.set $at (call $take (i32.shl (i32.add (global.get $cap) (i32.const 1)) (i32.const 2))))
    (if (i32.lt_s (i32.or (global.get $ids) (global.get $at)) (i32.const 0)) (then (return (i32.const 0))))
    (i32.store (global.get $at) (i32.const 256))
    (global.set $rankLimit (i32.const -1))
    (global.set $json (i32.eq (local.get $mode) (i32.const 2)))
    (if (i32.eqz (if (result i32) (local.get $mode) (then (call $rankGroups)) (else (call $rankLines)))) (then (return (i32.const 0))))
    (if (i32.eqz (global.get $count)) (then (return (i32.const 0))))
    (global.set $dataEnd (global.get $w))
    (global.set $rankLimit (i32.add (global.get $rankLimit) (i32.const 1)))
    ;; By rank. Where entry e has rank e (every known encoding but p50k_base) `at` is already both arrays: rank r is
    ;; [at[r], at[r + 1]). Otherwise they are built, and a rank seen twice gives up.
    (block $ranked
      (if (i32.eq (global.get $rankLimit) (global.get $count))
        (then
          (block $other (loop $each
            (if (i32.ge_u (local.get $e) (global.get $count))
              (then
                (global.set $startAt (global.get $at))
                (global.set $endAt (i32.add (global.get $at) (i32.const 4)))
                (br $ranked)))
            (br_if $other (i32.ne (i32.load (i32.add (global.get $ids) (i32.shl (local.get $e) (i32.const 2)))) (local.get $e)))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $each)))))
      (global.set $startAt (call $take (i32.shl (global.get $rankLimit) (i32.const 2))))
      (global.set $endAt (call $take (i32.shl (global.get $rankLimit) (i32.const 2))))
      (if (i32.lt_s (i32.or (global.get $startAt) (global.get $endAt)) (i32.const 0)) (then (return (i32.const 0))))
      (memory.fill (global.get $endAt) (i32.const 0xff) (i32.shl (global.get $rankLimit) (i32.const 2)))
      (local.set $e (i32.const 0))
      (loop $each
        (if (i32.lt_u (local.get $e) (global.get $count))
          (then
            (local.set $rank (i32.shl (i32.load (i32.add (global.get $ids) (i32.shl (local.get $e) (i32.const 2)))) (i32.const 2)))
            (if (i32.ge_s (i32.load (i32.add (global.get $endAt) (local.get $rank))) (i32.const 0)) (then (return (i32.const 0))))
            (i32.store (i32.add (global.get $startAt) (local.get $rank)) (i32.load (i32.add (global.get $at) (i32.shl (local.get $e) (i32.const 2)))))
            (i32.store (i32.add (global.get $endAt) (local.get $rank)) (i32.load offset=4 (i32.add (global.get $at) (i32.shl (local.get $e) (i32.const 2)))))
            (local.set $e (i32.add (local.get $e) (i32.const 1)))
            (br $each)))))
    ;; By bytes: at least two slots per entry (ByteStringTable grows past one in two); a token seen twice gives up.
    (local.set $size (i32.const 16))
    (block $sized (loop $double
      (br_if $sized (i32.ge_u (local.get $size) (i32.shl (global.get $count) (i32.const 1))))
      (local.set $size (i32.shl (local.get $size) (i32.const 1)))
      (br $double)))
    (global.set $slotCount (local.get $size))
    (local.set $mask (i32.sub (local.get $size) (i32.const 1)))
    (global.set $slots (call $take (i32.shl (local.get $size) (i32.const 3))))
    (if (i32.lt_s (global.get $slots) (i32.const 0)) (then (return (i32.const 0))))
    (local.set $e (i32.const 0))
    (block $filed (loop $each
      (br_if $filed (i32.ge_u (local.get $e) (global.get $count)))
      (local.set $a (i32.load (i32.add (global.get $at) (i32.shl (local.get $e) (i32.const 2)))))
      (local.set $n (i32.sub (i32.load offset=4 (i32.add (global.get $at) (i32.shl (local.get $e) (i32.const 2)))) (local.get $a)))
      (local.set $h (i32.const 0))
      (local.set $k (i32.const 0))
      (loop $hash
        (local.set $h (i32.add (i32.add (i32.mul (local.get $h) (i32.const 0x01000193)) (i32.load8_u (i32.add (local.get $a) (local.get $k)))) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $hash (i32.lt_u (local.get $k) (local.get $n))))
      (local.set $slot (i32.and (local.get $h) (local.get $mask)))
      (block $free (loop $probe
        (local.set $other (i32.load offset=4 (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3)))))
        (br_if $free (i32.eqz (local.get $other)))
        (local.set $other (i32.sub (local.get $other) (i32.const 1)))
        (if (i32.eq (i32.load (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3)))) (local.get $h))
          (then
            (local.set $b (i32.load (i32.add (global.get $at) (i32.shl (local.get $other) (i32.const 2)))))
            (if (i32.eq (i32.sub (i32.load offset=4 (i32.add (global.get $at) (i32.shl (local.get $other) (i32.const 2)))) (local.get $b)) (local.get $n))
              (then
                (local.set $same (i32.const 1))
                (local.set $k (i32.const 0))
                (block $compared (loop $cmp
                  (br_if $compared (i32.ge_u (local.get $k) (local.get $n)))
                  (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $k))) (i32.load8_u (i32.add (local.get $b) (local.get $k))))
                    (then (local.set $same (i32.const 0)) (br $compared)))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br $cmp)))
                (if (local.get $same) (then (return (i32.const 0))))))))
        (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
        (br $probe)))
      (i32.store (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3))) (local.get $h))
      (i32.store offset=4 (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3))) (i32.add (local.get $e) (i32.const 1)))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))
      (br $each)))
    (i32.const 1))
)
