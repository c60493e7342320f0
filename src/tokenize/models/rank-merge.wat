;; The long-piece merge by rank lists (rank-merge.ts drives it and says why the order is HF's; bpe.ts's mergeHeap is
;; HF's heap, for runtimes without WebAssembly and models whose ranks do not rise). The same loops in JavaScript ran a
;; fresh process's first long megabyte mostly before V8 had optimised them (GPT-2, 1 MB of emoji: ~105 ms cold against
;; ~55 in a warm process); a wasm module is compiled before its first call and runs at speed from the start.
;;
;; Memory (byte offsets set by `layout`, every array of i32):
;;   [0, 8·slots)   the merge table's cells (two ints a slot: (left + 1) | low 11 bits of rank + 1 << 21,
;;                  right | high 11 bits << 21; 0 where empty), probed with MergeTable's hash: empty at first and
;;                  filled as pairs are met, each asked of the imported `resolve` (the model's MergeTable) once
;;   $ids           the merged id by rank (a merges list's; a rank file's merged id is its rank)
;;   $sym $len      the piece's symbols and their lengths (in and out; lengths only where the caller reads them:
;;                  $withLen)
;;   $prev $next    the links between live symbols (−1 past either end; next = −2: merged away)
;;   $qpos $qlink   the queue's entries: a position waiting to merge and the next entry of its rank's list (or of
;;                  the free list: a list's entries are freed when it is taken, and reused first)
;;   $heads $tails $sizes   per rank: its list's first and last entries and its size (0: no list)
;;   $heap          the ranks that have a list, a binary min-heap
;;   $batch         the positions of the list being merged
(module
  ;; The memory comes from the caller, made as large as it will need: growing it detaches its old ArrayBuffer, and
  ;; V8 then checks for detached buffers in every typed-array access of the process.
  (import "env" "memory" (memory 1))
  ;; The model's answer for a pair met for the first time: its rank, or 4194303 (NO_RANK) when it does not merge.
  (import "env" "resolve" (func $resolve (param i32 i32) (result i32)))
  (export "memory" (memory 0))
  (global $mask (mut i32) (i32.const 0))
  (global $ids (mut i32) (i32.const 0))
  (global $sym (mut i32) (i32.const 0))
  (global $len (mut i32) (i32.const 0))
  ;; 1 when the piece's lengths are kept (reset sets it)
  (global $withLen (mut i32) (i32.const 0))
  (global $prev (mut i32) (i32.const 0))
  (global $next (mut i32) (i32.const 0))
  (global $qpos (mut i32) (i32.const 0))
  (global $qlink (mut i32) (i32.const 0))
  (global $heads (mut i32) (i32.const 0))
  (global $tails (mut i32) (i32.const 0))
  (global $sizes (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 0))
  (global $batch (mut i32) (i32.const 0))
  ;; 1 when a merge's id is its rank (a rank file's rule), 0 when it is read from $ids; how many more pairs the
  ;; table may learn (it stays at most half full: past that, a pair not in it is asked of `resolve` each time)
  (global $byRank (mut i32) (i32.const 0))
  (global $room (mut i32) (i32.const 0))
  ;; entries made since `reset` (of `entries` at most), the first free one (−1: none), ranks in the heap
  (global $entries (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (global $free (mut i32) (i32.const -1))
  ;; 1 once an entry was wanted with none left (the piece's merge is then void: the caller runs it again with room
  ;; for the worst case, 3 entries a symbol)
  (global $full (export "full") (mut i32) (i32.const 0))
  (global $pending (export "pending") (mut i32) (i32.const 0))
  ;; what take_lowest took: the rank, and whether its positions came out ascending
  (global $lowest (export "lowest") (mut i32) (i32.const 0))
  (global $sorted (export "sorted") (mut i32) (i32.const 0))

  (func (export "layout") (param $mask i32) (param $ids i32) (param $sym i32) (param $len i32) (param $prev i32)
    (param $next i32) (param $qpos i32) (param $qlink i32) (param $heads i32) (param $tails i32) (param $sizes i32)
    (param $heap i32) (param $batch i32) (param $entries i32)
    (global.set $entries (local.get $entries))
    (global.set $mask (local.get $mask))
    (global.set $ids (local.get $ids))
    (global.set $sym (local.get $sym))
    (global.set $len (local.get $len))
    (global.set $prev (local.get $prev))
    (global.set $next (local.get $next))
    (global.set $qpos (local.get $qpos))
    (global.set $qlink (local.get $qlink))
    (global.set $heads (local.get $heads))
    (global.set $tails (local.get $tails))
    (global.set $sizes (local.get $sizes))
    (global.set $heap (local.get $heap))
    (global.set $batch (local.get $batch)))

  ;; The table (empty) may learn `room` pairs; `byRank`: see $byRank.
  (func (export "learn") (param $room i32) (param $byRank i32)
    (global.set $byRank (local.get $byRank))
    (global.set $room (local.get $room)))

  ;; A pair (a, b) met for the first time, its slot at byte `at` empty: asks `resolve`, and keeps the answer
  ;; in the slot while the table has room.
  (func $learn (param $a i32) (param $b i32) (param $at i32) (result i32)
    (local $r i32) (local $v i32)
    (local.set $r (call $resolve (local.get $a) (local.get $b)))
    (if (global.get $room)
      (then
        (global.set $room (i32.sub (global.get $room) (i32.const 1)))
        ;; the slot's value is rank + 1, 0 for a pair that does not merge
        (local.set $v (select (i32.const 0) (i32.add (local.get $r) (i32.const 1)) (i32.eq (local.get $r) (i32.const 4194303))))
        (i32.store (local.get $at) (i32.or (i32.add (local.get $a) (i32.const 1)) (i32.shl (i32.and (local.get $v) (i32.const 0x7ff)) (i32.const 21))))
        (i32.store offset=4 (local.get $at) (i32.or (local.get $b) (i32.shl (i32.shr_u (local.get $v) (i32.const 11)) (i32.const 21))))))
    (local.get $r))

  ;; The rank of the merge of (a, b), or 4194303 (NO_RANK, above every rank) when they do not merge (a pair not in
  ;; the table yet: learnt).
  (func $rank (param $a i32) (param $b i32) (result i32)
    (local $i i32) (local $at i32) (local $x i32) (local $y i32) (local $key i32) (local $r i32)
    (local.set $key (i32.add (local.get $a) (i32.const 1)))
    (local.set $i (i32.and
      (i32.xor (i32.mul (local.get $a) (i32.const 0x9e3779b1))
               (i32.mul (i32.add (local.get $b) (i32.const 0x7f4a7c15)) (i32.const 0x85ebca6b)))
      (global.get $mask)))
    (loop $probe
      (local.set $at (i32.shl (local.get $i) (i32.const 3)))
      (local.set $x (i32.load (local.get $at)))
      (if (i32.eq (i32.and (local.get $x) (i32.const 0x1fffff)) (local.get $key))
        (then
          (local.set $y (i32.load offset=4 (local.get $at)))
          (if (i32.eq (i32.and (local.get $y) (i32.const 0x1fffff)) (local.get $b))
            (then
              (local.set $r (i32.sub
                (i32.or (i32.shr_u (local.get $x) (i32.const 21)) (i32.shl (i32.shr_u (local.get $y) (i32.const 21)) (i32.const 11)))
                (i32.const 1)))
              ;; rank −1: a pair recorded as not merging
              (return (select (i32.const 4194303) (local.get $r) (i32.lt_s (local.get $r) (i32.const 0)))))))
        (else
          (if (i32.eqz (local.get $x))
            (then
              (return (call $learn (local.get $a) (local.get $b) (local.get $at)))))))
      (local.set $i (i32.and (i32.add (local.get $i) (i32.const 1)) (global.get $mask)))
      (br $probe))
    (unreachable))

  ;; Adds `rank` to the heap of ranks that have a list.
  (func $push (param $rank i32)
    (local $i i32) (local $parent i32) (local $v i32)
    (local.set $i (global.get $pending))
    (global.set $pending (i32.add (local.get $i) (i32.const 1)))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $parent (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $v (i32.load (i32.add (global.get $heap) (i32.shl (local.get $parent) (i32.const 2)))))
        (br_if $done (i32.le_s (local.get $v) (local.get $rank)))
        (i32.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
        (local.set $i (local.get $parent))
        (br $up)))
    (i32.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 2))) (local.get $rank)))

  ;; Removes the heap's lowest rank.
  (func $pop
    (local $n i32) (local $last i32) (local $i i32) (local $c i32) (local $v i32) (local $w i32)
    (local.set $n (i32.sub (global.get $pending) (i32.const 1)))
    (global.set $pending (local.get $n))
    (local.set $last (i32.load (i32.add (global.get $heap) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_s (local.get $c) (local.get $n)))
        (local.set $v (i32.load (i32.add (global.get $heap) (i32.shl (local.get $c) (i32.const 2)))))
        (if (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $n))
          (then
            (local.set $w (i32.load offset=4 (i32.add (global.get $heap) (i32.shl (local.get $c) (i32.const 2)))))
            (if (i32.lt_s (local.get $w) (local.get $v))
              (then (local.set $c (i32.add (local.get $c) (i32.const 1))) (local.set $v (local.get $w))))))
        (br_if $done (i32.ge_s (local.get $v) (local.get $last)))
        (i32.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 2))) (local.get $v))
        (local.set $i (local.get $c))
        (br $down)))
    (i32.store (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 2))) (local.get $last)))

  ;; Queues `pos` on the list of `rank` (appended: lists keep the order positions were added in). Exported for the
  ;; queue's test.
  (func $add (export "add") (param $rank i32) (param $pos i32)
    (local $e i32) (local $r4 i32) (local $size i32)
    (local.set $e (global.get $free))
    (if (i32.ge_s (local.get $e) (i32.const 0))
      (then (global.set $free (i32.load (i32.add (global.get $qlink) (i32.shl (local.get $e) (i32.const 2))))))
      (else
        (local.set $e (global.get $count))
        (if (i32.ge_s (local.get $e) (global.get $entries)) (then (global.set $full (i32.const 1)) (return)))
        (global.set $count (i32.add (local.get $e) (i32.const 1)))))
    (i32.store (i32.add (global.get $qpos) (i32.shl (local.get $e) (i32.const 2))) (local.get $pos))
    (i32.store (i32.add (global.get $qlink) (i32.shl (local.get $e) (i32.const 2))) (i32.const -1))
    (local.set $r4 (i32.shl (local.get $rank) (i32.const 2)))
    (local.set $size (i32.load (i32.add (global.get $sizes) (local.get $r4))))
    (i32.store (i32.add (global.get $sizes) (local.get $r4)) (i32.add (local.get $size) (i32.const 1)))
    (if (i32.eqz (local.get $size))
      (then
        (i32.store (i32.add (global.get $heads) (local.get $r4)) (local.get $e))
        (call $push (local.get $rank)))
      (else
        (i32.store
          (i32.add (global.get $qlink) (i32.shl (i32.load (i32.add (global.get $tails) (local.get $r4))) (i32.const 2)))
          (local.get $e))))
    (i32.store (i32.add (global.get $tails) (local.get $r4)) (local.get $e)))

  ;; Empties the queue for a new piece, whose lengths are kept when `withLen` is 1.
  (func (export "reset") (param $withLen i32)
    (global.set $withLen (local.get $withLen))
    (global.set $count (i32.const 0))
    (global.set $free (i32.const -1))
    (global.set $full (i32.const 0)))

  ;; Links symbols [from, to) of n and queues every pair among them that merges.
  (func (export "queuePairs") (param $n i32) (param $from i32) (param $to i32)
    (local $i i32) (local $i4 i32) (local $r i32)
    (local.set $i (local.get $from))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (local.get $to)))
        (local.set $i4 (i32.shl (local.get $i) (i32.const 2)))
        (i32.store (i32.add (global.get $prev) (local.get $i4)) (i32.sub (local.get $i) (i32.const 1)))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $n))
          (then
            (i32.store (i32.add (global.get $next) (local.get $i4)) (i32.add (local.get $i) (i32.const 1)))
            (local.set $r (call $rank
              (i32.load (i32.add (global.get $sym) (local.get $i4)))
              (i32.load offset=4 (i32.add (global.get $sym) (local.get $i4)))))
            (if (i32.ne (local.get $r) (i32.const 4194303)) (then (call $add (local.get $r) (local.get $i)))))
          (else (i32.store (i32.add (global.get $next) (local.get $i4)) (i32.const -1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))

  ;; Takes the list of the lowest rank waiting out of the queue: its positions into the batch, in the order they were
  ;; added (`sorted`: 1 when that is ascending; the caller sorts them otherwise), its entries onto the free list;
  ;; returns their count and leaves the rank in `lowest`.
  (func (export "takeLowest") (result i32)
    (local $l4 i32) (local $n i32) (local $i i32) (local $e i32) (local $p i32) (local $last i32) (local $sorted i32)
    (global.set $lowest (i32.load (global.get $heap)))
    (call $pop)
    (local.set $l4 (i32.shl (global.get $lowest) (i32.const 2)))
    (local.set $n (i32.load (i32.add (global.get $sizes) (local.get $l4))))
    (i32.store (i32.add (global.get $sizes) (local.get $l4)) (i32.const 0))
    (local.set $e (i32.load (i32.add (global.get $heads) (local.get $l4))))
    (local.set $last (i32.const -1))
    (local.set $sorted (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $p (i32.load (i32.add (global.get $qpos) (i32.shl (local.get $e) (i32.const 2)))))
        (local.set $sorted (i32.and (local.get $sorted) (i32.ge_s (local.get $p) (local.get $last))))
        (i32.store (i32.add (global.get $batch) (i32.shl (local.get $i) (i32.const 2))) (local.get $p))
        (local.set $last (local.get $p))
        (local.set $e (i32.load (i32.add (global.get $qlink) (i32.shl (local.get $e) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (global.set $sorted (local.get $sorted))
    (if (local.get $n)
      (then
        (i32.store (i32.add (global.get $qlink) (i32.shl (i32.load (i32.add (global.get $tails) (local.get $l4))) (i32.const 2)))
          (global.get $free))
        (global.set $free (i32.load (i32.add (global.get $heads) (local.get $l4))))))
    (local.get $n))

  ;; Merges the pairs of rank `v` at batch[from, to) (ascending) left to right, queuing the pairs each merge makes;
  ;; 0 as soon as one of those ranks at or below `v` (the rank-list order would no longer be HF's), else 1.
  (func (export "mergeList") (param $from i32) (param $to i32) (param $v i32) (result i32)
    (local $k i32) (local $merged i32) (local $pos i32) (local $pos4 i32) (local $right i32) (local $right4 i32)
    (local $after i32) (local $before i32) (local $r i32)
    (local.set $merged (if (result i32) (global.get $byRank)
      (then (local.get $v))
      (else (i32.load (i32.add (global.get $ids) (i32.shl (local.get $v) (i32.const 2)))))))
    (local.set $k (local.get $from))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $k) (local.get $to)))
        (block $skip
          (local.set $pos (i32.load (i32.add (global.get $batch) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $pos4 (i32.shl (local.get $pos) (i32.const 2)))
          (local.set $right (i32.load (i32.add (global.get $next) (local.get $pos4))))
          (br_if $skip (i32.lt_s (local.get $right) (i32.const 0)))
          (local.set $right4 (i32.shl (local.get $right) (i32.const 2)))
          (br_if $skip (i32.ne (local.get $v) (call $rank
            (i32.load (i32.add (global.get $sym) (local.get $pos4)))
            (i32.load (i32.add (global.get $sym) (local.get $right4))))))
          (i32.store (i32.add (global.get $sym) (local.get $pos4)) (local.get $merged))
          (if (global.get $withLen)
            (then
              (i32.store (i32.add (global.get $len) (local.get $pos4))
                (i32.add (i32.load (i32.add (global.get $len) (local.get $pos4))) (i32.load (i32.add (global.get $len) (local.get $right4)))))))
          (local.set $after (i32.load (i32.add (global.get $next) (local.get $right4))))
          (i32.store (i32.add (global.get $next) (local.get $right4)) (i32.const -2))
          (i32.store (i32.add (global.get $next) (local.get $pos4)) (local.get $after))
          (if (i32.ge_s (local.get $after) (i32.const 0))
            (then (i32.store (i32.add (global.get $prev) (i32.shl (local.get $after) (i32.const 2))) (local.get $pos))))
          (local.set $before (i32.load (i32.add (global.get $prev) (local.get $pos4))))
          (if (i32.ge_s (local.get $before) (i32.const 0))
            (then
              (local.set $r (call $rank (i32.load (i32.add (global.get $sym) (i32.shl (local.get $before) (i32.const 2)))) (local.get $merged)))
              (if (i32.ne (local.get $r) (i32.const 4194303))
                (then
                  (if (i32.le_s (local.get $r) (local.get $v)) (then (return (i32.const 0))))
                  (call $add (local.get $r) (local.get $before))))))
          (if (i32.ge_s (local.get $after) (i32.const 0))
            (then
              (local.set $r (call $rank (local.get $merged) (i32.load (i32.add (global.get $sym) (i32.shl (local.get $after) (i32.const 2))))))
              (if (i32.ne (local.get $r) (i32.const 4194303))
                (then
                  (if (i32.le_s (local.get $r) (local.get $v)) (then (return (i32.const 0))))
                  (call $add (local.get $r) (local.get $pos)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each)))
    (i32.const 1))

  ;; Empties every list (a merge that stopped early leaves some waiting).
  (func (export "clear")
    (local $i i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (global.get $pending)))
        (i32.store (i32.add (global.get $sizes) (i32.shl (i32.load (i32.add (global.get $heap) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))
          (i32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (global.set $pending (i32.const 0)))

  ;; Moves the symbols of [from, to) not merged away to the front from `m` on; returns the new count.
  (func (export "compact") (param $from i32) (param $to i32) (param $m i32) (result i32)
    (local $i i32) (local $i4 i32) (local $m4 i32)
    (local.set $i (local.get $from))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (local.get $to)))
        (local.set $i4 (i32.shl (local.get $i) (i32.const 2)))
        (if (i32.ne (i32.load (i32.add (global.get $next) (local.get $i4))) (i32.const -2))
          (then
            (local.set $m4 (i32.shl (local.get $m) (i32.const 2)))
            (i32.store (i32.add (global.get $sym) (local.get $m4)) (i32.load (i32.add (global.get $sym) (local.get $i4))))
            (if (global.get $withLen)
              (then (i32.store (i32.add (global.get $len) (local.get $m4)) (i32.load (i32.add (global.get $len) (local.get $i4))))))
            (local.set $m (i32.add (local.get $m) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $m)))
