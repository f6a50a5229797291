;; Rate kernels with their derivatives for the dl simulator's training path, assembled by
;; scripts/build-wasm.mjs. Like kernels.wat, the module imports the memory it works on (the tfjs wasm
;; heap); pointers are byte offsets. Arithmetic is float64 (f64x2), with a vector natural logarithm
;; (fdlibm's method, within an ulp of Math.log), so the float32 results match the JS kernels to rounding.

(module
  (import "env" "memory" (memory 0))

  ;; log(u) for u > 0, normal, per f64x2 lane: u = 2^k (1 + f) with sqrt(2)/2 <= 1 + f < sqrt(2),
  ;; log = k ln2 + log1p(f) by fdlibm's polynomial in s = f / (2 + f).
  (func $log2x (param $u v128) (result v128)
    (local $bits v128) (local $hi v128) (local $i v128) (local $k v128) (local $f v128)
    (local $s v128) (local $z v128) (local $w v128) (local $r v128) (local $hfsq v128) (local $dk v128)
    (local.set $bits (local.get $u))
    ;; i = ((high mantissa word + 0x95f64) & 0x100000): set when the mantissa is >= sqrt(2)
    (local.set $hi (i64x2.shr_u (v128.and (local.get $bits) (v128.const i64x2 0x000fffff00000000 0x000fffff00000000))
      (i32.const 32)))
    (local.set $i (v128.and (i64x2.add (local.get $hi) (v128.const i64x2 0x95f64 0x95f64))
      (v128.const i64x2 0x100000 0x100000)))
    ;; k = exponent - 1023 + (i >> 20)
    (local.set $k (i64x2.add
      (i64x2.sub (i64x2.shr_u (local.get $bits) (i32.const 52)) (v128.const i64x2 1023 1023))
      (i64x2.shr_u (local.get $i) (i32.const 20))))
    ;; x normalised: mantissa with exponent 0x3ff (or 0x3fe when i is set)
    (local.set $f (f64x2.sub
      (v128.or (v128.and (local.get $bits) (v128.const i64x2 0x000fffffffffffff 0x000fffffffffffff))
        (i64x2.shl (v128.xor (local.get $i) (v128.const i64x2 0x3ff00000 0x3ff00000)) (i32.const 32)))
      (v128.const f64x2 1 1)))
    (local.set $dk (f64x2.convert_low_i32x4_s
      (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $k) (local.get $k))))
    (local.set $s (f64x2.div (local.get $f) (f64x2.add (v128.const f64x2 2 2) (local.get $f))))
    (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
    (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
    ;; R = z (Lg1 + w (Lg3 + w (Lg5 + w Lg7))) + w (Lg2 + w (Lg4 + w Lg6))
    (local.set $r (f64x2.add
      (f64x2.mul (local.get $z)
        (f64x2.add (v128.const f64x2 6.666666666666735130e-01 6.666666666666735130e-01)
          (f64x2.mul (local.get $w)
            (f64x2.add (v128.const f64x2 2.857142874366239149e-01 2.857142874366239149e-01)
              (f64x2.mul (local.get $w)
                (f64x2.add (v128.const f64x2 1.818357216161805012e-01 1.818357216161805012e-01)
                  (f64x2.mul (local.get $w) (v128.const f64x2 1.479819860511658591e-01 1.479819860511658591e-01))))))))
      (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 3.999999999940941908e-01 3.999999999940941908e-01)
          (f64x2.mul (local.get $w)
            (f64x2.add (v128.const f64x2 2.222219843214978396e-01 2.222219843214978396e-01)
              (f64x2.mul (local.get $w) (v128.const f64x2 1.531383769920937332e-01 1.531383769920937332e-01))))))))
    (local.set $hfsq (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.mul (local.get $f) (local.get $f))))
    ;; dk ln2_hi - ((hfsq - (s (hfsq + R) + dk ln2_lo)) - f)
    (f64x2.sub
      (f64x2.mul (local.get $dk) (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))
      (f64x2.sub
        (f64x2.sub (local.get $hfsq)
          (f64x2.add (f64x2.mul (local.get $s) (f64x2.add (local.get $hfsq) (local.get $r)))
            (f64x2.mul (local.get $dk) (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10))))
        (local.get $f))))

  ;; log1p(x) for x > 0 per lane: log(1 + x) * x / ((1 + x) - 1), the rounding of 1 + x corrected.
  (func $log1pPos2x (param $x v128) (result v128)
    (local $u v128)
    (local.set $u (f64x2.add (v128.const f64x2 1 1) (local.get $x)))
    (v128.bitselect
      (local.get $x)
      (f64x2.mul (call $log2x (local.get $u))
        (f64x2.div (local.get $x) (f64x2.sub (local.get $u) (v128.const f64x2 1 1))))
      (f64x2.eq (local.get $u) (v128.const f64x2 1 1))))

  ;; Two lanes of the LIF rate at j = J - 1 (float64): [rate, dRate/dJ], 0 where j <= 0.
  (func $lifRate2x (param $J v128) (param $tauRc v128) (param $tauRef v128) (param $amp v128) (result v128 v128)
    (local $j v128) (local $on v128) (local $jj v128) (local $den v128)
    (local.set $j (f64x2.sub (local.get $J) (v128.const f64x2 1 1)))
    (local.set $on (f64x2.gt (local.get $j) (v128.const f64x2 0 0)))
    (local.set $jj (v128.bitselect (local.get $j) (v128.const f64x2 1 1) (local.get $on))) ;; no 1/0 off lanes
    (local.set $den (f64x2.add (local.get $tauRef)
      (f64x2.mul (local.get $tauRc)
        (call $log1pPos2x (f64x2.div (v128.const f64x2 1 1) (local.get $jj))))))
    (v128.and (local.get $on) (f64x2.div (local.get $amp) (local.get $den)))
    (v128.and (local.get $on)
      (f64x2.div (f64x2.mul (local.get $amp) (local.get $tauRc))
        (f64x2.mul (f64x2.mul (f64x2.mul (local.get $den) (local.get $den)) (local.get $jj))
          (f64x2.add (local.get $jj) (v128.const f64x2 1 1))))))

  ;; LIF rate and derivative on float32 arrays: J (n) -> R, G; four elements per iteration, then the tail.
  (func (export "lifRateF32")
    (param $pJ i32) (param $pR i32) (param $pG i32) (param $n i32)
    (param $tauRc f64) (param $tauRef f64) (param $amp f64)
    (local $k i32) (local $end i32) (local $end4 i32)
    (local $TRC v128) (local $TREF v128) (local $AMP v128)
    (local $j v128) (local $rl v128) (local $gl v128) (local $rh v128) (local $gh v128)
    (local.set $TRC (f64x2.splat (local.get $tauRc)))
    (local.set $TREF (f64x2.splat (local.get $tauRef)))
    (local.set $AMP (f64x2.splat (local.get $amp)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $end) (i32.const -16)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $end4)))
        (local.set $j (v128.load (i32.add (local.get $pJ) (local.get $k))))
        (if (i32.eqz (v128.any_true (f32x4.gt (local.get $j) (v128.const f32x4 1 1 1 1))))
          (then ;; all four below threshold (the common case): zeros, no logarithms
            (v128.store (i32.add (local.get $pR) (local.get $k)) (v128.const i32x4 0 0 0 0))
            (v128.store (i32.add (local.get $pG) (local.get $k)) (v128.const i32x4 0 0 0 0))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $next)))
        (call $lifRate2x (f64x2.promote_low_f32x4 (local.get $j)) (local.get $TRC) (local.get $TREF) (local.get $AMP))
        (local.set $gl)
        (local.set $rl)
        (call $lifRate2x
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $j) (local.get $j)))
          (local.get $TRC) (local.get $TREF) (local.get $AMP))
        (local.set $gh)
        (local.set $rh)
        (v128.store (i32.add (local.get $pR) (local.get $k))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $rl)) (f32x4.demote_f64x2_zero (local.get $rh))))
        (v128.store (i32.add (local.get $pG) (local.get $k))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $gl)) (f32x4.demote_f64x2_zero (local.get $gh))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $next)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $k) (local.get $end)))
        (call $lifRate2x (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $pJ) (local.get $k)))))
          (local.get $TRC) (local.get $TREF) (local.get $AMP))
        (local.set $gl)
        (local.set $rl)
        (f32.store (i32.add (local.get $pR) (local.get $k)) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $rl))))
        (f32.store (i32.add (local.get $pG) (local.get $k)) (f32.demote_f64 (f64x2.extract_lane 0 (local.get $gl))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail))))
)
