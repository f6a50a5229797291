;; Dense float64 matrix product for the builder (eval-point currents, solver products), assembled by
;; scripts/build-wasm.mjs. Works on its own memory (the caller copies operands in).
;;
;; gemmF64(A, B, C, m, k, n): C[m x n] += A[m x k] . B[k x n], row-major, byte offsets; m and n multiples
;; of 4 (the caller does the edges). Each C entry is summed over p in order with a separate multiply and
;; add, exactly as the JS loop `c += a * b`, so the results are the same bit for bit.

(module
  (memory (export "memory") 1)

  (func (export "gemmF64")
    (param $A i32) (param $B i32) (param $C i32) (param $m i32) (param $k i32) (param $n i32)
    (local $i i32) (local $j i32) (local $p i32)
    (local $rowStrideA i32) (local $rowStrideC i32) (local $pb i32) (local $pc i32) (local $pa i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $rowStrideA (i32.shl (local.get $k) (i32.const 3)))
    (local.set $rowStrideC (i32.shl (local.get $n) (i32.const 3)))
    ;; columns outer, rows inner: B[:, j..j+3] stays in cache while A's rows (a block the caller keeps
    ;; small) stream past it
    (block $jDone
      (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $i (i32.const 0))
        (block $iDone
          (loop $iLoop
            (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
            ;; pc = &C[i, j]
            (local.set $pc (i32.add (local.get $C)
              (i32.add (i32.mul (local.get $i) (local.get $rowStrideC)) (i32.shl (local.get $j) (i32.const 3)))))
            (local.set $c00 (v128.load (local.get $pc)))
            (local.set $c01 (v128.load offset=16 (local.get $pc)))
            (local.set $c10 (v128.load (i32.add (local.get $pc) (local.get $rowStrideC))))
            (local.set $c11 (v128.load offset=16 (i32.add (local.get $pc) (local.get $rowStrideC))))
            (local.set $c20 (v128.load (i32.add (local.get $pc) (i32.shl (local.get $rowStrideC) (i32.const 1)))))
            (local.set $c21 (v128.load offset=16 (i32.add (local.get $pc) (i32.shl (local.get $rowStrideC) (i32.const 1)))))
            (local.set $c30 (v128.load (i32.add (local.get $pc) (i32.mul (local.get $rowStrideC) (i32.const 3)))))
            (local.set $c31 (v128.load offset=16 (i32.add (local.get $pc) (i32.mul (local.get $rowStrideC) (i32.const 3)))))
            ;; pa = &A[i, 0], pb = &B[0, j]
            (local.set $pa (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $rowStrideA))))
            (local.set $pb (i32.add (local.get $B) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $p (i32.const 0))
            (block $pDone
              (loop $pLoop
                (br_if $pDone (i32.ge_u (local.get $p) (local.get $k)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $a (v128.load64_splat (local.get $pa)))
                (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a) (local.get $b0))))
                (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load64_splat (i32.add (local.get $pa) (local.get $rowStrideA))))
                (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a) (local.get $b0))))
                (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load64_splat (i32.add (local.get $pa) (i32.shl (local.get $rowStrideA) (i32.const 1)))))
                (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $a) (local.get $b0))))
                (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $a) (local.get $b1))))
                (local.set $a (v128.load64_splat (i32.add (local.get $pa) (i32.mul (local.get $rowStrideA) (i32.const 3)))))
                (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $a) (local.get $b0))))
                (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $a) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (i32.const 8)))
                (local.set $pb (i32.add (local.get $pb) (local.get $rowStrideC)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $pLoop)))
            (v128.store (local.get $pc) (local.get $c00))
            (v128.store offset=16 (local.get $pc) (local.get $c01))
            (v128.store (i32.add (local.get $pc) (local.get $rowStrideC)) (local.get $c10))
            (v128.store offset=16 (i32.add (local.get $pc) (local.get $rowStrideC)) (local.get $c11))
            (v128.store (i32.add (local.get $pc) (i32.shl (local.get $rowStrideC) (i32.const 1))) (local.get $c20))
            (v128.store offset=16 (i32.add (local.get $pc) (i32.shl (local.get $rowStrideC) (i32.const 1))) (local.get $c21))
            (v128.store (i32.add (local.get $pc) (i32.mul (local.get $rowStrideC) (i32.const 3))) (local.get $c30))
            (v128.store offset=16 (i32.add (local.get $pc) (i32.mul (local.get $rowStrideC) (i32.const 3))) (local.get $c31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $iLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jLoop))))
)
