;; nengo-ts SIMD kernels, assembled by scripts/build-wasm.mjs into src/kernels/wasm.generated.ts.
;;
;; The module imports the memory it works on (the tfjs wasm backend's heap, so tensors are read and
;; written in place) and Math.expm1 / Math.log1p (so the rare per-element paths round exactly as the JS
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
)
