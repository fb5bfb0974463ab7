//go:build !noasm

#include "textflag.h"

// The AVX-512 form of gemm5x16: two 5x16 tiles at once, each row of each
// tile one ZMM accumulator (its two 8-float halves side by side). Every
// output value gets the same fused multiply-adds in the same order as in
// gemm5x16, so the results are bit for bit the same.

// STEP2(ob, o0, ..., o4): one step p of the sum for both tiles. Z10 holds
// B row p of the first tile's halves, Z11 of the second's.
#define STEP2(ob, o0, o1, o2, o3, o4) \
	MOVLQSX ob(DX), R9; \
	VMOVUPS (BX)(R9*4), Y10; \
	VINSERTF64X4 $1, (SI)(R9*4), Z10, Z10; \
	VMOVUPS (R8)(R9*4), Y11; \
	VINSERTF64X4 $1, (DI)(R9*4), Z11, Z11; \
	VBROADCASTSS o0(AX), Z12; \
	VFMADD231PS Z10, Z12, Z0; \
	VFMADD231PS Z11, Z12, Z5; \
	VBROADCASTSS o1(AX), Z13; \
	VFMADD231PS Z10, Z13, Z1; \
	VFMADD231PS Z11, Z13, Z6; \
	VBROADCASTSS o2(AX), Z12; \
	VFMADD231PS Z10, Z12, Z2; \
	VFMADD231PS Z11, Z12, Z7; \
	VBROADCASTSS o3(AX), Z13; \
	VFMADD231PS Z10, Z13, Z3; \
	VFMADD231PS Z11, Z13, Z8; \
	VBROADCASTSS o4(AX), Z12; \
	VFMADD231PS Z10, Z12, Z4; \
	VFMADD231PS Z11, Z12, Z9

// STORE2(o, z, y, c0, c1) stores row r (coff entry at byte o) of a tile:
// the low half of z (y) at c0, the high half at c1. The high half is taken
// out first: a VEX instruction on y would clear it.
#define STORE2(o, z, y, c0, c1) \
	MOVLQSX o(DX), R9; \
	VEXTRACTF64X4 $1, z, Y15; \
	VMOVUPS y, (c0)(R9*4); \
	VMOVUPS Y15, (c1)(R9*4)

// ADDTO2(o, z, y, c0, c1) adds row r of a tile into C, low half then high.
#define ADDTO2(o, z, y, c0, c1) \
	MOVLQSX o(DX), R9; \
	VEXTRACTF64X4 $1, z, Y15; \
	VADDPS (c0)(R9*4), y, y; \
	VMOVUPS y, (c0)(R9*4); \
	VADDPS (c1)(R9*4), Y15, Y15; \
	VMOVUPS Y15, (c1)(R9*4)

// func gemm5x32(k int, a *float32, boff *int32, b *float32, bsrc *int32, coff *int32, c *float32, csrc *int32, npairs int, bias *float32, flags int)
// For each pair j < npairs, tiles u = 2j and v = 2j+1 of gemm5x16, stored
// in the order gemm5x16 stores them (all of u, then all of v). k, npairs
// >= 1; bias may be nil.
TEXT ·gemm5x32(SB), NOSPLIT, $0-88
	MOVQ bsrc+32(FP), R11
	MOVQ csrc+56(FP), R12
	MOVQ npairs+64(FP), R10
	MOVQ b+24(FP), R13

pair:
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ boff+16(FP), DX
	MOVQ bias+72(FP), DI
	TESTQ DI, DI
	JEQ zero
	VBROADCASTSS 0(DI), Z0
	VBROADCASTSS 4(DI), Z1
	VBROADCASTSS 8(DI), Z2
	VBROADCASTSS 12(DI), Z3
	VBROADCASTSS 16(DI), Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z1, Z6
	VMOVAPS Z2, Z7
	VMOVAPS Z3, Z8
	VMOVAPS Z4, Z9
	JMP start

zero:
	// VEX-encoded zeroing clears the whole ZMM register.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

start:
	MOVLQSX 0(R11), BX
	LEAQ (R13)(BX*4), BX
	MOVLQSX 4(R11), SI
	LEAQ (R13)(SI*4), SI
	MOVLQSX 8(R11), R8
	LEAQ (R13)(R8*4), R8
	MOVLQSX 12(R11), DI
	LEAQ (R13)(DI*4), DI
	CMPQ CX, $4
	JLT tail

loop4:
	STEP2(0, 0, 4, 8, 12, 16)
	STEP2(4, 20, 24, 28, 32, 36)
	STEP2(8, 40, 44, 48, 52, 56)
	STEP2(12, 60, 64, 68, 72, 76)
	ADDQ $80, AX
	ADDQ $16, DX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE loop4

tail:
	TESTQ CX, CX
	JEQ epilogue

loop1:
	STEP2(0, 0, 4, 8, 12, 16)
	ADDQ $20, AX
	ADDQ $4, DX
	DECQ CX
	JNZ loop1

epilogue:
	MOVQ coff+40(FP), DX
	MOVQ c+48(FP), BX
	MOVLQSX 0(R12), DI
	LEAQ (BX)(DI*4), DI
	MOVLQSX 4(R12), SI
	LEAQ (BX)(SI*4), SI
	MOVLQSX 8(R12), R8
	LEAQ (BX)(R8*4), R8
	MOVLQSX 12(R12), CX
	LEAQ (BX)(CX*4), CX
	MOVQ flags+80(FP), R9
	TESTQ $1, R9
	JNE add

store:
	STORE2(0, Z0, Y0, DI, SI)
	STORE2(4, Z1, Y1, DI, SI)
	STORE2(8, Z2, Y2, DI, SI)
	STORE2(12, Z3, Y3, DI, SI)
	STORE2(16, Z4, Y4, DI, SI)
	STORE2(0, Z5, Y5, R8, CX)
	STORE2(4, Z6, Y6, R8, CX)
	STORE2(8, Z7, Y7, R8, CX)
	STORE2(12, Z8, Y8, R8, CX)
	STORE2(16, Z9, Y9, R8, CX)
	JMP next

add:
	ADDTO2(0, Z0, Y0, DI, SI)
	ADDTO2(4, Z1, Y1, DI, SI)
	ADDTO2(8, Z2, Y2, DI, SI)
	ADDTO2(12, Z3, Y3, DI, SI)
	ADDTO2(16, Z4, Y4, DI, SI)
	ADDTO2(0, Z5, Y5, R8, CX)
	ADDTO2(4, Z6, Y6, R8, CX)
	ADDTO2(8, Z7, Y7, R8, CX)
	ADDTO2(12, Z8, Y8, R8, CX)
	ADDTO2(16, Z9, Y9, R8, CX)

next:
	ADDQ $16, R11
	ADDQ $16, R12
	DECQ R10
	JNZ pair
	VZEROUPPER
	RET
