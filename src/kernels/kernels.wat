;; nengo-ts SIMD kernels, assembled by scripts/build-wasm.mjs into src/kernels/wasm.generated.ts.
;;
;; The module imports the memory it works on (the tfjs wasm backend's heap, so tensors are read and
;; written in place; or the reference simulator's signal arena) and Math.expm1 / Math.log1p (so the rare per-element paths round exactly as the JS
;; versions do). Pointers are byte offsets into that memory. All arithmetic is float64 (f64x2 lanes) in
;; the same order as the JS kernels, so results are bit-identical to them.

(module
  (import "env" "memory" (memory 0))
  (import "math" "expm1" (func $expm1 (param f64) (result f64)))
  (import "math" "log1p" (func $log1p (param f64) (result f64)))

  ;; ---- LIF step, float32 storage ---------------------------------------------------------------
  ;; Nengo's LIF.step on n elements: J, V, RT in; O (spikes), V2 (voltage), RT2 (refractory time) out.
  (global $pJ (mut i32) (i32.const 0))
  (global $pV (mut i32) (i32.const 0))
  (global $pRT (mut i32) (i32.const 0))
  (global $pO (mut i32) (i32.const 0))
  (global $pV2 (mut i32) (i32.const 0))
  (global $pRT2 (mut i32) (i32.const 0))
  (global $dt (mut f64) (f64.const 0))
  (global $tauRc (mut f64) (f64.const 0))
  (global $ff (mut f64) (f64.const 0))
  (global $minV (mut f64) (f64.const 0))
  (global $spike (mut f64) (f64.const 0))
  (global $tSpike0 (mut f64) (f64.const 0))

  ;; One element at byte offset $k (relative to every array), with the full Nengo logic.
  (func $lif1 (param $k i32)
    (local $j f64) (local $v f64) (local $rt f64)
    (local.set $j (f64.promote_f32 (f32.load (i32.add (global.get $pJ) (local.get $k)))))
    (local.set $v (f64.promote_f32 (f32.load (i32.add (global.get $pV) (local.get $k)))))
    (local.set $rt (f64.sub (f64.promote_f32 (f32.load (i32.add (global.get $pRT) (local.get $k)))) (global.get $dt)))
    (if (f64.le (local.get $rt) (f64.const 0))
      (then
        (local.set $v (f64.sub (local.get $v) (f64.mul (f64.sub (local.get $j) (local.get $v)) (global.get $ff)))))
      (else
        (if (f64.lt (local.get $rt) (global.get $dt))
          (then
            (local.set $v (f64.sub (local.get $v)
              (f64.mul (f64.sub (local.get $j) (local.get $v))
                (call $expm1 (f64.div (f64.sub (local.get $rt) (global.get $dt)) (global.get $tauRc))))))))))
    (if (f64.gt (local.get $v) (f64.const 1))
      (then
        (f32.store (i32.add (global.get $pO) (local.get $k)) (f32.demote_f64 (global.get $spike)))
        (f32.store (i32.add (global.get $pV2) (local.get $k)) (f32.const 0))
        (f32.store (i32.add (global.get $pRT2) (local.get $k))
          (f32.demote_f64 (f64.add (global.get $tSpike0)
            (f64.mul (global.get $tauRc)
              (call $log1p (f64.div (f64.sub (f64.const 1) (local.get $v)) (f64.sub (local.get $j) (f64.const 1)))))))))
      (else
        (f32.store (i32.add (global.get $pO) (local.get $k)) (f32.const 0))
        (f32.store (i32.add (global.get $pV2) (local.get $k))
          (f32.demote_f64 (select (global.get $minV) (local.get $v) (f64.lt (local.get $v) (global.get $minV)))))
        (f32.store (i32.add (global.get $pRT2) (local.get $k)) (f32.demote_f64 (local.get $rt))))))

  ;; The vector loop: four elements at a time in two f64x2 halves (all four written from the common
  ;; paths: a full step, or fully refractory with the voltage unchanged); then each element that is part
  ;; way out of its refractory period or spikes is redone by $lif1.
  (func (export "lifStepF32")
    (param $J i32) (param $V i32) (param $RT i32) (param $O i32) (param $V2 i32) (param $RT2 i32) (param $n i32)
    (param $dt f64) (param $tauRc f64) (param $ff f64) (param $minV f64) (param $spike f64) (param $tSpike0 f64)
    (local $k i32) (local $end i32) (local $end4 i32) (local $bits i32) (local $lane i32)
    (local $DT v128) (local $FF v128) (local $MINV v128) (local $ONE v128) (local $ZERO v128)
    (local $j v128) (local $v v128) (local $r v128)
    (local $jl v128) (local $vl v128) (local $rl v128) (local $jh v128) (local $vh v128) (local $rh v128)
    (global.set $pJ (local.get $J)) (global.set $pV (local.get $V)) (global.set $pRT (local.get $RT))
    (global.set $pO (local.get $O)) (global.set $pV2 (local.get $V2)) (global.set $pRT2 (local.get $RT2))
    (global.set $dt (local.get $dt)) (global.set $tauRc (local.get $tauRc)) (global.set $ff (local.get $ff))
    (global.set $minV (local.get $minV)) (global.set $spike (local.get $spike)) (global.set $tSpike0 (local.get $tSpike0))
    (local.set $DT (f64x2.splat (local.get $dt)))
    (local.set $FF (f64x2.splat (local.get $ff)))
    (local.set $MINV (f64x2.splat (local.get $minV)))
    (local.set $ONE (f64x2.splat (f64.const 1)))
    (local.set $ZERO (f64x2.splat (f64.const 0)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $end4)))
        (local.set $j (v128.load (i32.add (local.get $J) (local.get $k))))
        (local.set $v (v128.load (i32.add (local.get $V) (local.get $k))))
        (local.set $r (v128.load (i32.add (local.get $RT) (local.get $k))))
        (local.set $jl (f64x2.promote_low_f32x4 (local.get $j)))
        (local.set $vl (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $rl (f64x2.sub (f64x2.promote_low_f32x4 (local.get $r)) (local.get $DT)))
        (local.set $jh (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $j) (local.get $j))))
        (local.set $vh (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
        (local.set $rh (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $r) (local.get $r))) (local.get $DT)))
        ;; rt <= 0: v - (j - v) * ff; rt > 0: unchanged (exact for rt >= dt; 0 < rt < dt is redone below)
        (local.set $vl (v128.bitselect (local.get $vl)
          (f64x2.sub (local.get $vl) (f64x2.mul (f64x2.sub (local.get $jl) (local.get $vl)) (local.get $FF)))
          (f64x2.gt (local.get $rl) (local.get $ZERO))))
        (local.set $vh (v128.bitselect (local.get $vh)
          (f64x2.sub (local.get $vh) (f64x2.mul (f64x2.sub (local.get $jh) (local.get $vh)) (local.get $FF)))
          (f64x2.gt (local.get $rh) (local.get $ZERO))))
        (v128.store (i32.add (local.get $O) (local.get $k)) (local.get $ZERO))
        ;; pmax(v, minV) = v < minV ? minV : v
        (v128.store (i32.add (local.get $V2) (local.get $k))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (f64x2.pmax (local.get $vl) (local.get $MINV)))
            (f32x4.demote_f64x2_zero (f64x2.pmax (local.get $vh) (local.get $MINV)))))
        (v128.store (i32.add (local.get $RT2) (local.get $k))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $rl))
            (f32x4.demote_f64x2_zero (local.get $rh))))
        ;; lanes to redo: 0 < rt < dt, or v > 1
        (local.set $bits (i32.or
          (i64x2.bitmask (v128.or
            (v128.and (f64x2.gt (local.get $rl) (local.get $ZERO)) (f64x2.lt (local.get $rl) (local.get $DT)))
            (f64x2.gt (local.get $vl) (local.get $ONE))))
          (i32.shl (i64x2.bitmask (v128.or
            (v128.and (f64x2.gt (local.get $rh) (local.get $ZERO)) (f64x2.lt (local.get $rh) (local.get $DT)))
            (f64x2.gt (local.get $vh) (local.get $ONE)))) (i32.const 2))))
        (block $lanesDone
          (loop $lanes
            (br_if $lanesDone (i32.eqz (local.get $bits)))
            (local.set $lane (i32.ctz (local.get $bits)))
            (call $lif1 (i32.add (local.get $k) (i32.shl (local.get $lane) (i32.const 2))))
            (local.set $bits (i32.and (local.get $bits) (i32.sub (local.get $bits) (i32.const 1))))
            (br $lanes)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $next)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $k) (local.get $end)))
        (call $lif1 (local.get $k))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail))))
;; ---- LIF step, float64, in place (the reference simulator) ---------------------------------------
  ;; Nengo's LIF.step as lifSpikingKernel (src/neurons/lif.ts) computes it, operation for operation:
  ;; J in; V (voltage) and RT (refractory time) updated in place; O (output) written.
  ;; One element at byte offset $k from the original values j, v, r (refractory time before the step).
  (func $lif64 (param $k i32) (param $j f64) (param $v f64) (param $r f64)
    (param $dt f64) (param $tauRc f64) (param $ff f64) (param $minV f64) (param $h f64) (param $tauRef f64)
    (local $rt f64)
    (local.set $rt (f64.sub (local.get $r) (local.get $dt)))
    (if (f64.le (local.get $rt) (f64.const 0))
      (then
        (local.set $v (f64.sub (local.get $v) (f64.mul (f64.sub (local.get $j) (local.get $v)) (local.get $ff)))))
      (else
        (if (f64.lt (local.get $rt) (local.get $dt))
          (then
            (local.set $v (f64.sub (local.get $v)
              (f64.mul (f64.sub (local.get $j) (local.get $v))
                (call $expm1 (f64.div (f64.neg (f64.sub (local.get $dt) (local.get $rt))) (local.get $tauRc))))))))))
    (if (f64.gt (local.get $v) (f64.const 1))
      (then
        (f64.store (i32.add (global.get $pO) (local.get $k)) (local.get $h))
        (f64.store (i32.add (global.get $pV) (local.get $k)) (f64.const 0))
        (f64.store (i32.add (global.get $pRT) (local.get $k))
          (f64.add (local.get $tauRef)
            (f64.add (local.get $dt)
              (f64.mul (local.get $tauRc)
                (call $log1p (f64.div (f64.neg (f64.sub (local.get $v) (f64.const 1)))
                  (f64.sub (local.get $j) (f64.const 1)))))))))
      (else
        (f64.store (i32.add (global.get $pO) (local.get $k)) (f64.const 0))
        (f64.store (i32.add (global.get $pV) (local.get $k))
          (select (local.get $minV) (local.get $v) (f64.lt (local.get $v) (local.get $minV))))
        (f64.store (i32.add (global.get $pRT) (local.get $k)) (local.get $rt)))))

  ;; Two elements at a time: the common paths (a full step; or refractory through the whole step, voltage
  ;; unchanged) as vectors; lanes part way out of their refractory period or spiking are redone by $lif64
  ;; from the values loaded before the step.
  (func (export "lifStepF64")
    (param $J i32) (param $V i32) (param $RT i32) (param $O i32) (param $n i32)
    (param $dt f64) (param $tauRc f64) (param $ff f64) (param $minV f64) (param $h f64) (param $tauRef f64)
    (local $k i32) (local $end i32) (local $end2 i32) (local $bits i32) (local $lane i32)
    (local $DT v128) (local $FF v128) (local $MINV v128) (local $ONE v128) (local $ZERO v128)
    (local $j v128) (local $v v128) (local $r v128) (local $rt v128) (local $v2 v128)
    (global.set $pV (local.get $V)) (global.set $pRT (local.get $RT)) (global.set $pO (local.get $O))
    (local.set $DT (f64x2.splat (local.get $dt)))
    (local.set $FF (f64x2.splat (local.get $ff)))
    (local.set $MINV (f64x2.splat (local.get $minV)))
    (local.set $ONE (f64x2.splat (f64.const 1)))
    (local.set $ZERO (f64x2.splat (f64.const 0)))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (local.set $end2 (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $end2)))
        (local.set $j (v128.load (i32.add (local.get $J) (local.get $k))))
        (local.set $v (v128.load (i32.add (local.get $V) (local.get $k))))
        (local.set $r (v128.load (i32.add (local.get $RT) (local.get $k))))
        (local.set $rt (f64x2.sub (local.get $r) (local.get $DT)))
        ;; rt <= 0: v - (j - v) * ff; otherwise unchanged (exact for rt >= dt; 0 < rt < dt is redone)
        (local.set $v2 (v128.bitselect
          (f64x2.sub (local.get $v) (f64x2.mul (f64x2.sub (local.get $j) (local.get $v)) (local.get $FF)))
          (local.get $v)
          (f64x2.le (local.get $rt) (local.get $ZERO))))
        (v128.store (i32.add (local.get $O) (local.get $k)) (local.get $ZERO))
        ;; pmax(v, minV) = v < minV ? minV : v
        (v128.store (i32.add (local.get $V) (local.get $k)) (f64x2.pmax (local.get $v2) (local.get $MINV)))
        (v128.store (i32.add (local.get $RT) (local.get $k)) (local.get $rt))
        (local.set $bits (i64x2.bitmask (v128.or
          (v128.and (f64x2.gt (local.get $rt) (local.get $ZERO)) (f64x2.lt (local.get $rt) (local.get $DT)))
          (f64x2.gt (local.get $v2) (local.get $ONE)))))
        (if (i32.and (local.get $bits) (i32.const 1))
          (then (call $lif64 (local.get $k)
            (f64x2.extract_lane 0 (local.get $j)) (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 0 (local.get $r))
            (local.get $dt) (local.get $tauRc) (local.get $ff) (local.get $minV) (local.get $h) (local.get $tauRef))))
        (if (i32.and (local.get $bits) (i32.const 2))
          (then (call $lif64 (i32.add (local.get $k) (i32.const 8))
            (f64x2.extract_lane 1 (local.get $j)) (f64x2.extract_lane 1 (local.get $v)) (f64x2.extract_lane 1 (local.get $r))
            (local.get $dt) (local.get $tauRc) (local.get $ff) (local.get $minV) (local.get $h) (local.get $tauRef))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $next)))
    (if (i32.lt_u (local.get $k) (local.get $end))
      (then (call $lif64 (local.get $k)
        (f64.load (i32.add (local.get $J) (local.get $k)))
        (f64.load (i32.add (local.get $V) (local.get $k)))
        (f64.load (i32.add (local.get $RT) (local.get $k)))
        (local.get $dt) (local.get $tauRc) (local.get $ff) (local.get $minV) (local.get $h) (local.get $tauRef)))))

  ;; ---- dense matrix-vector product, float64 ----------------------------------------------------------
  ;; Y[i] += A[i, :] @ X for a row-major [rows, cols] A, summed as the JS loop (src/simulator/kernels.ts):
  ;; four partial sums s0..s3 over columns j = 0, 1, 2, 3 mod 4 (as two f64x2 accumulators), the remaining
  ;; columns added to s0, then Y[i] += (s0 + s1) + (s2 + s3).
  (func (export "gemvF64") (param $A i32) (param $X i32) (param $Y i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $c4 i32) (local $rowBytes i32) (local $a i32)
    (local $acc01 v128) (local $acc23 v128) (local $s0 f64)
    (local.set $c4 (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 3)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 3)))
    (local.set $a (local.get $A))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $acc01 (v128.const f64x2 0 0))
        (local.set $acc23 (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $c4)))
            (local.set $acc01 (f64x2.add (local.get $acc01)
              (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $j)))
                (v128.load (i32.add (local.get $X) (local.get $j))))))
            (local.set $acc23 (f64x2.add (local.get $acc23)
              (f64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $j)))
                (v128.load offset=16 (i32.add (local.get $X) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $col)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $acc01)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $s0 (f64.add (local.get $s0)
              (f64.mul (f64.load (i32.add (local.get $a) (local.get $j))) (f64.load (i32.add (local.get $X) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $tail)))
        (f64.store (local.get $Y) (f64.add (f64.load (local.get $Y))
          (f64.add
            (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc01)))
            (f64.add (f64x2.extract_lane 0 (local.get $acc23)) (f64x2.extract_lane 1 (local.get $acc23))))))
        (local.set $Y (i32.add (local.get $Y) (i32.const 8)))
        (local.set $a (i32.add (local.get $a) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; ---- rank-1 update, float64 (PES) -------------------------------------------------------------------
  ;; W[i, :] += E[i] * P for a row-major [rows, cols] W, rows with E[i] = 0 skipped (as the JS loop).
  (func (export "rank1F64") (param $W i32) (param $E i32) (param $P i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $c2 i32) (local $rowBytes i32) (local $e f64) (local $ev v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 3)))
    (local.set $c2 (i32.and (local.get $rowBytes) (i32.const -16)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $e (f64.load (local.get $E)))
        (if (f64.ne (local.get $e) (f64.const 0))
          (then
            (local.set $ev (f64x2.splat (local.get $e)))
            (local.set $j (i32.const 0))
            (block $colsDone
              (loop $col
                (br_if $colsDone (i32.ge_u (local.get $j) (local.get $c2)))
                (v128.store (i32.add (local.get $W) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $W) (local.get $j)))
                    (f64x2.mul (local.get $ev) (v128.load (i32.add (local.get $P) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $col)))
            (if (i32.lt_u (local.get $j) (local.get $rowBytes))
              (then
                (f64.store (i32.add (local.get $W) (local.get $j))
                  (f64.add (f64.load (i32.add (local.get $W) (local.get $j)))
                    (f64.mul (local.get $e) (f64.load (i32.add (local.get $P) (local.get $j))))))))))
        (local.set $E (i32.add (local.get $E) (i32.const 8)))
        (local.set $W (i32.add (local.get $W) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
;; ---- the reference simulator's merged operators -----------------------------------------------------
  ;; Tables of runs (i32) in the same memory, at byte address $T; offsets in them are float64 element
  ;; indices (byte address = index * 8). Each kernel does what its JS twin in src/simulator/kernels.ts does,
  ;; with the same operations on every element (no sums are reordered), so the values are identical.

  ;; y[0..len) += a[0..len) * x (byte addresses)
  (func $axpy (param $y i32) (param $a i32) (param $x f64) (param $len i32)
    (local $end i32) (local $xv v128)
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $len) (i32.const 3))))
    (local.set $xv (f64x2.splat (local.get $x)))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $y) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $y)
          (f64x2.add (v128.load (local.get $y)) (f64x2.mul (v128.load (local.get $a)) (local.get $xv))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br $next)))
    (if (i32.lt_u (local.get $y) (local.get $end))
      (then (f64.store (local.get $y)
        (f64.add (f64.load (local.get $y)) (f64.mul (f64.load (local.get $a)) (local.get $x)))))))

  ;; runs [a, x, y, len]: Y[y + k] += A[a + k] * M[x] unless M[x] = 0
  (func (export "axpyRuns") (param $T i32) (param $n i32)
    (local $end i32) (local $x f64)
    (local.set $end (i32.add (local.get $T) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $T) (local.get $end)))
        (local.set $x (f64.load (i32.shl (i32.load offset=4 (local.get $T)) (i32.const 3))))
        (if (f64.ne (local.get $x) (f64.const 0))
          (then (call $axpy
            (i32.shl (i32.load offset=8 (local.get $T)) (i32.const 3))
            (i32.shl (i32.load (local.get $T)) (i32.const 3))
            (local.get $x)
            (i32.load offset=12 (local.get $T)))))
        (local.set $T (i32.add (local.get $T) (i32.const 16)))
        (br $next))))

  ;; runs [s, d, len]: M[d + k] += M[s + k]
  (func (export "addRuns") (param $T i32) (param $n i32)
    (local $end i32) (local $s i32) (local $d i32) (local $dEnd i32)
    (local.set $end (i32.add (local.get $T) (i32.mul (local.get $n) (i32.const 12))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $T) (local.get $end)))
        (local.set $s (i32.shl (i32.load (local.get $T)) (i32.const 3)))
        (local.set $d (i32.shl (i32.load offset=4 (local.get $T)) (i32.const 3)))
        (local.set $dEnd (i32.add (local.get $d) (i32.shl (i32.load offset=8 (local.get $T)) (i32.const 3))))
        (block $runDone
          (loop $pair
            (br_if $runDone (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $dEnd)))
            (v128.store (local.get $d) (f64x2.add (v128.load (local.get $d)) (v128.load (local.get $s))))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (local.set $s (i32.add (local.get $s) (i32.const 16)))
            (br $pair)))
        (if (i32.lt_u (local.get $d) (local.get $dEnd))
          (then (f64.store (local.get $d) (f64.add (f64.load (local.get $d)) (f64.load (local.get $s))))))
        (local.set $T (i32.add (local.get $T) (i32.const 12)))
        (br $next))))

  ;; runs [a, aStep, x, xStep, y, len] (steps 0 or 1): M[y + k] += M[a + k aStep] * M[x + k xStep]
  (func (export "mulAddRuns") (param $T i32) (param $n i32)
    (local $end i32) (local $a i32) (local $as i32) (local $x i32) (local $xs i32) (local $y i32) (local $yEnd i32)
    (local.set $end (i32.add (local.get $T) (i32.mul (local.get $n) (i32.const 24))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $T) (local.get $end)))
        (local.set $a (i32.shl (i32.load (local.get $T)) (i32.const 3)))
        (local.set $as (i32.shl (i32.load offset=4 (local.get $T)) (i32.const 3)))
        (local.set $x (i32.shl (i32.load offset=8 (local.get $T)) (i32.const 3)))
        (local.set $xs (i32.shl (i32.load offset=12 (local.get $T)) (i32.const 3)))
        (local.set $y (i32.shl (i32.load offset=16 (local.get $T)) (i32.const 3)))
        (local.set $yEnd (i32.add (local.get $y) (i32.shl (i32.load offset=20 (local.get $T)) (i32.const 3))))
        (block $runDone
          (loop $el
            (br_if $runDone (i32.ge_u (local.get $y) (local.get $yEnd)))
            (f64.store (local.get $y)
              (f64.add (f64.load (local.get $y)) (f64.mul (f64.load (local.get $a)) (f64.load (local.get $x)))))
            (local.set $y (i32.add (local.get $y) (i32.const 8)))
            (local.set $a (i32.add (local.get $a) (local.get $as)))
            (local.set $x (i32.add (local.get $x) (local.get $xs)))
            (br $el)))
        (local.set $T (i32.add (local.get $T) (i32.const 24)))
        (br $next))))

  ;; runs [u, y, x, len] of one-state filters (lowpass): x = x a + b u; y = x
  (func (export "lowpassRuns") (param $T i32) (param $n i32) (param $a f64) (param $b f64)
    (local $end i32) (local $u i32) (local $y i32) (local $x i32) (local $xEnd i32)
    (local $av v128) (local $bv v128) (local $v v128) (local $s f64)
    (local.set $av (f64x2.splat (local.get $a)))
    (local.set $bv (f64x2.splat (local.get $b)))
    (local.set $end (i32.add (local.get $T) (i32.shl (local.get $n) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $T) (local.get $end)))
        (local.set $u (i32.shl (i32.load (local.get $T)) (i32.const 3)))
        (local.set $y (i32.shl (i32.load offset=4 (local.get $T)) (i32.const 3)))
        (local.set $x (i32.shl (i32.load offset=8 (local.get $T)) (i32.const 3)))
        (local.set $xEnd (i32.add (local.get $x) (i32.shl (i32.load offset=12 (local.get $T)) (i32.const 3))))
        (block $runDone
          (loop $pair
            (br_if $runDone (i32.gt_u (i32.add (local.get $x) (i32.const 16)) (local.get $xEnd)))
            (local.set $v (f64x2.add (f64x2.mul (v128.load (local.get $x)) (local.get $av))
              (f64x2.mul (local.get $bv) (v128.load (local.get $u)))))
            (v128.store (local.get $x) (local.get $v))
            (v128.store (local.get $y) (local.get $v))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (local.set $u (i32.add (local.get $u) (i32.const 16)))
            (br $pair)))
        (if (i32.lt_u (local.get $x) (local.get $xEnd))
          (then
            (local.set $s (f64.add (f64.mul (f64.load (local.get $x)) (local.get $a))
              (f64.mul (local.get $b) (f64.load (local.get $u)))))
            (f64.store (local.get $x) (local.get $s))
            (f64.store (local.get $y) (local.get $s))))
        (local.set $T (i32.add (local.get $T) (i32.const 16)))
        (br $next))))

  ;; Products with spiking inputs, driven by the spikes. The table at $T: $nSeg segments [lo, hi, ptrs]
  ;; (element range of inputs; ptrs: i32 index, relative to the table, of hi - lo + 1 entry bounds); the
  ;; entries of input element q (relative i32 indices [ptr[q - lo], ptr[q - lo + 1])) are triples
  ;; [at, y, rows]: M[y + i] += M[at + i] * M[q] for i < rows, for every q with M[q] != 0.
  (func $spikeEntries (param $T i32) (param $p i32) (param $x f64)
    (local $e i32) (local $eEnd i32)
    (local.set $e (i32.add (local.get $T) (i32.shl (i32.load (local.get $p)) (i32.const 2))))
    (local.set $eEnd (i32.add (local.get $T) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $e) (local.get $eEnd)))
        (call $axpy
          (i32.shl (i32.load offset=4 (local.get $e)) (i32.const 3))
          (i32.shl (i32.load (local.get $e)) (i32.const 3))
          (local.get $x)
          (i32.load offset=8 (local.get $e)))
        (local.set $e (i32.add (local.get $e) (i32.const 12)))
        (br $next))))

  (func (export "spikeScatter") (param $T i32) (param $nSeg i32)
    (local $seg i32) (local $segEnd i32) (local $q i32) (local $hi i32) (local $p i32) (local $x f64)
    (local $v v128)
    (local.set $seg (local.get $T))
    (local.set $segEnd (i32.add (local.get $T) (i32.mul (local.get $nSeg) (i32.const 12))))
    (block $done
      (loop $nextSeg
        (br_if $done (i32.ge_u (local.get $seg) (local.get $segEnd)))
        (local.set $q (i32.shl (i32.load (local.get $seg)) (i32.const 3)))
        (local.set $hi (i32.shl (i32.load offset=4 (local.get $seg)) (i32.const 3)))
        (local.set $p (i32.add (local.get $T) (i32.shl (i32.load offset=8 (local.get $seg)) (i32.const 2))))
        ;; two inputs at a time: most are zero
        (block $pairsDone
          (loop $pair
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $q) (i32.const 16)) (local.get $hi)))
            (local.set $v (v128.load (local.get $q)))
            (if (v128.any_true (f64x2.ne (local.get $v) (v128.const f64x2 0 0)))
              (then
                (local.set $x (f64x2.extract_lane 0 (local.get $v)))
                (if (f64.ne (local.get $x) (f64.const 0))
                  (then (call $spikeEntries (local.get $T) (local.get $p) (local.get $x))))
                (local.set $x (f64x2.extract_lane 1 (local.get $v)))
                (if (f64.ne (local.get $x) (f64.const 0))
                  (then (call $spikeEntries (local.get $T) (i32.add (local.get $p) (i32.const 4)) (local.get $x))))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $pair)))
        (if (i32.lt_u (local.get $q) (local.get $hi))
          (then
            (local.set $x (f64.load (local.get $q)))
            (if (f64.ne (local.get $x) (f64.const 0))
              (then (call $spikeEntries (local.get $T) (local.get $p) (local.get $x))))))
        (local.set $seg (i32.add (local.get $seg) (i32.const 12)))
        (br $nextSeg))))
;; ---- matrix product, float64 (the builder) -------------------------------------------------------
  ;; C = A @ B for row-major A [rows, d] (contiguous), B [d, n] and C [rows, n] with row strides ldb and ldc
  ;; (elements); C is overwritten. Every C[i, k] sums A[i, j] B[j, k] over j = 0, 1, ... from +0, as the plain
  ;; loop does: vectors run along k (independent outputs), four rows and four columns at a time.
  (func (export "matmulF64") (param $A i32) (param $B i32) (param $C i32) (param $rows i32) (param $d i32)
    (param $n i32) (param $ldb i32) (param $ldc i32)
    (local $i i32) (local $k i32) (local $j i32) (local $n4 i32) (local $rowA i32) (local $bb i32) (local $cb i32)
    (local $db i32) (local $a i32) (local $b i32) (local $c i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $bb (i32.shl (local.get $ldb) (i32.const 3)))
    (local.set $cb (i32.shl (local.get $ldc) (i32.const 3)))
    (local.set $db (i32.shl (local.get $d) (i32.const 3)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    ;; blocks of four rows
    (block $rows4Done
      (loop $rows4
        (br_if $rows4Done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows)))
        (local.set $rowA (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $db))))
        (local.set $k (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_u (local.get $k) (local.get $n4)))
            (local.set $c00 (v128.const f64x2 0 0)) (local.set $c01 (v128.const f64x2 0 0))
            (local.set $c10 (v128.const f64x2 0 0)) (local.set $c11 (v128.const f64x2 0 0))
            (local.set $c20 (v128.const f64x2 0 0)) (local.set $c21 (v128.const f64x2 0 0))
            (local.set $c30 (v128.const f64x2 0 0)) (local.set $c31 (v128.const f64x2 0 0))
            (local.set $a (local.get $rowA))
            (local.set $b (i32.add (local.get $B) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jl
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $d)))
                (local.set $b0 (v128.load (local.get $b)))
                (local.set $b1 (v128.load offset=16 (local.get $b)))
                (local.set $x (f64x2.splat (f64.load (local.get $a))))
                (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $x) (local.get $b0))))
                (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $x) (local.get $b1))))
                (local.set $x (f64x2.splat (f64.load (i32.add (local.get $a) (local.get $db)))))
                (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $x) (local.get $b0))))
                (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $x) (local.get $b1))))
                (local.set $x (f64x2.splat (f64.load (i32.add (local.get $a) (i32.shl (local.get $db) (i32.const 1))))))
                (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $x) (local.get $b0))))
                (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $x) (local.get $b1))))
                (local.set $x (f64x2.splat (f64.load (i32.add (local.get $a) (i32.mul (local.get $db) (i32.const 3))))))
                (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $x) (local.get $b0))))
                (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $x) (local.get $b1))))
                (local.set $a (i32.add (local.get $a) (i32.const 8)))
                (local.set $b (i32.add (local.get $b) (local.get $bb)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jl)))
            (local.set $c (i32.add (local.get $C)
              (i32.add (i32.mul (local.get $i) (local.get $cb)) (i32.shl (local.get $k) (i32.const 3)))))
            (v128.store (local.get $c) (local.get $c00))
            (v128.store offset=16 (local.get $c) (local.get $c01))
            (local.set $c (i32.add (local.get $c) (local.get $cb)))
            (v128.store (local.get $c) (local.get $c10))
            (v128.store offset=16 (local.get $c) (local.get $c11))
            (local.set $c (i32.add (local.get $c) (local.get $cb)))
            (v128.store (local.get $c) (local.get $c20))
            (v128.store offset=16 (local.get $c) (local.get $c21))
            (local.set $c (i32.add (local.get $c) (local.get $cb)))
            (v128.store (local.get $c) (local.get $c30))
            (v128.store offset=16 (local.get $c) (local.get $c31))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; what the blocks left: the last rows (all columns), then the last columns of the blocked rows
    (call $matmulScalar (local.get $A) (local.get $B) (local.get $C) (local.get $i) (local.get $rows)
      (i32.const 0) (local.get $n) (local.get $d) (local.get $bb) (local.get $cb))
    (call $matmulScalar (local.get $A) (local.get $B) (local.get $C) (i32.const 0) (local.get $i)
      (local.get $n4) (local.get $n) (local.get $d) (local.get $bb) (local.get $cb)))

  ;; C[i, k] = sum_j A[i, j] B[j, k] (from +0, j in order) for rows [i0, i1) and columns [k0, k1);
  ;; $bb and $cb are the row strides of B and C in bytes
  (func $matmulScalar (param $A i32) (param $B i32) (param $C i32) (param $i0 i32) (param $i1 i32)
    (param $k0 i32) (param $k1 i32) (param $d i32) (param $bb i32) (param $cb i32)
    (local $i i32) (local $k i32) (local $j i32) (local $s f64) (local $a i32) (local $b i32)
    (local.set $i (local.get $i0))
    (block $iDone
      (loop $il
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $k (local.get $k0))
        (block $kDone
          (loop $kl
            (br_if $kDone (i32.ge_u (local.get $k) (local.get $k1)))
            (local.set $s (f64.const 0))
            (local.set $a (i32.add (local.get $A) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
            (local.set $b (i32.add (local.get $B) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $j (i32.const 0))
            (block $jDone
              (loop $jl
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $d)))
                (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $a)) (f64.load (local.get $b)))))
                (local.set $a (i32.add (local.get $a) (i32.const 8)))
                (local.set $b (i32.add (local.get $b) (local.get $bb)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jl)))
            (f64.store (i32.add (i32.add (local.get $C) (i32.mul (local.get $i) (local.get $cb))) (i32.shl (local.get $k) (i32.const 3)))
              (local.get $s))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $kl)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $il))))
)
