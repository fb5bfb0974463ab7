//go:build amd64 && !noasm

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

#define STEP(o0, o1, o2, o3, o4) \
	VMOVUPS (BX), Y10; \
	VMOVUPS 32(BX), Y11; \
	VBROADCASTSS o0(AX), Y12; \
	VFMADD231PS Y10, Y12, Y0; \
	VFMADD231PS Y11, Y12, Y1; \
	VBROADCASTSS o1(AX), Y13; \
	VFMADD231PS Y10, Y13, Y2; \
	VFMADD231PS Y11, Y13, Y3; \
	VBROADCASTSS o2(AX), Y14; \
	VFMADD231PS Y10, Y14, Y4; \
	VFMADD231PS Y11, Y14, Y5; \
	VBROADCASTSS o3(AX), Y12; \
	VFMADD231PS Y10, Y12, Y6; \
	VFMADD231PS Y11, Y12, Y7; \
	VBROADCASTSS o4(AX), Y13; \
	VFMADD231PS Y10, Y13, Y8; \
	VFMADD231PS Y11, Y13, Y9; \
	ADDQ DX, BX

// func sgemmKernel5x16(k int, a, b *float32, ldb int, c *float32, ldc int)
TEXT ·sgemmKernel5x16(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), SI
	SHLQ $2, SI
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
	CMPQ CX, $4
	JLT tail

loop4:
	STEP(0, 4, 8, 12, 16)
	STEP(20, 24, 28, 32, 36)
	STEP(40, 44, 48, 52, 56)
	STEP(60, 64, 68, 72, 76)
	ADDQ $80, AX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE loop4

tail:
	TESTQ CX, CX
	JEQ store

loop1:
	STEP(0, 4, 8, 12, 16)
	ADDQ $20, AX
	DECQ CX
	JNZ loop1

store:
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS 32(DI), Y1, Y1
	VMOVUPS Y1, 32(DI)
	ADDQ SI, DI
	VADDPS (DI), Y2, Y2
	VMOVUPS Y2, (DI)
	VADDPS 32(DI), Y3, Y3
	VMOVUPS Y3, 32(DI)
	ADDQ SI, DI
	VADDPS (DI), Y4, Y4
	VMOVUPS Y4, (DI)
	VADDPS 32(DI), Y5, Y5
	VMOVUPS Y5, 32(DI)
	ADDQ SI, DI
	VADDPS (DI), Y6, Y6
	VMOVUPS Y6, (DI)
	VADDPS 32(DI), Y7, Y7
	VMOVUPS Y7, 32(DI)
	ADDQ SI, DI
	VADDPS (DI), Y8, Y8
	VMOVUPS Y8, (DI)
	VADDPS 32(DI), Y9, Y9
	VMOVUPS Y9, 32(DI)
	VZEROUPPER
	RET

// func dotKernel3x4(k8, m3 int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// For t < m3, r < 3, j < 4: C[3t+r][j] += Σ_{p < 8*k8} A[3t+r][p]·B[j][p]
// (rows of A and B are lda and ldb elements apart, C rows ldc apart).
// k8 and m3 must be >= 1.
TEXT ·dotKernel3x4(SB), NOSPLIT, $0-64
	MOVQ a+16(FP), AX
	MOVQ lda+24(FP), R8
	SHLQ $2, R8
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), DX
	SHLQ $2, DX
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), SI
	SHLQ $2, SI
	LEAQ (BX)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), DX
	MOVQ m3+8(FP), R14

tileloop:
	MOVQ k8+0(FP), CX
	LEAQ (AX)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	XORQ R13, R13
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
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

dotloop:
	VMOVUPS (AX)(R13*1), Y12
	VMOVUPS (R9)(R13*1), Y13
	VMOVUPS (R10)(R13*1), Y14
	VMOVUPS (BX)(R13*1), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS (R11)(R13*1), Y15
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y5
	VFMADD231PS Y15, Y14, Y9
	VMOVUPS (R12)(R13*1), Y15
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y6
	VFMADD231PS Y15, Y14, Y10
	VMOVUPS (DX)(R13*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y11
	ADDQ $32, R13
	DECQ CX
	JNZ dotloop

	// Reduce the accumulators of each row to [s0 s1 s2 s3] and add to C.
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VADDPS (DI), X0, X0
	VMOVUPS X0, (DI)
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VADDPS (DI)(SI*1), X4, X4
	VMOVUPS X4, (DI)(SI*1)
	VHADDPS Y9, Y8, Y8
	VHADDPS Y11, Y10, Y10
	VHADDPS Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS X9, X8, X8
	VADDPS (DI)(SI*2), X8, X8
	VMOVUPS X8, (DI)(SI*2)

	LEAQ (AX)(R8*2), AX
	ADDQ R8, AX
	LEAQ (DI)(SI*2), DI
	ADDQ SI, DI
	DECQ R14
	JNZ tileloop
	VZEROUPPER
	RET

// func reluForward8(x, y *float32, n8 int)
// y[i] = max(x[i], 0) for i < 8*n8 (NaN propagates). n8 must be >= 1.
TEXT ·reluForward8(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n8+16(FP), CX
	VXORPS Y0, Y0, Y0

reluf:
	VMAXPS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ reluf
	VZEROUPPER
	RET

// func reluBackward8(y, dy, dx *float32, n8 int)
// dx[i] = dy[i] if y[i] > 0 else 0, for i < 8*n8. n8 must be >= 1.
TEXT ·reluBackward8(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n8+24(FP), CX
	VXORPS Y0, Y0, Y0

relub:
	VMOVUPS (SI), Y1
	VCMPPS $0x0e, Y0, Y1, Y2
	VANDPS (BX), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DI
	DECQ CX
	JNZ relub
	VZEROUPPER
	RET

DATA poolIota<>+0(SB)/4, $0
DATA poolIota<>+4(SB)/4, $2
DATA poolIota<>+8(SB)/4, $4
DATA poolIota<>+12(SB)/4, $6
DATA poolIota<>+16(SB)/4, $8
DATA poolIota<>+20(SB)/4, $10
DATA poolIota<>+24(SB)/4, $12
DATA poolIota<>+28(SB)/4, $14
GLOBL poolIota<>(SB), RODATA|NOPTR, $32

// func maxPool2x2Row(r0, r1, y *float32, am *int32, n8 int, base, w int32)
// For 8*n8 windows t: the 2x2 window r0[2t], r0[2t+1], r1[2t], r1[2t+1];
// y[t] is its first maximum and am[t] = base + 2t + offset of the maximum
// (0, 1, w or w+1). am may be nil.
TEXT ·maxPool2x2Row(SB), NOSPLIT, $0-48
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ am+24(FP), DX
	MOVQ n8+32(FP), CX
	VPCMPEQD Y15, Y15, Y15
	VPSRLD $31, Y15, Y15          // int 1
	MOVL w+44(FP), AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14         // int w
	MOVL base+40(FP), AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
	VPADDD poolIota<>(SB), Y13, Y13 // base + 2t
	MOVL $16, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12         // int 16

poolloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2     // a (lane order 0 1 4 5 2 3 6 7)
	VSHUFPS $0xdd, Y1, Y0, Y3     // b
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VSHUFPS $0x88, Y1, Y0, Y4     // c
	VSHUFPS $0xdd, Y1, Y0, Y5     // d
	VCMPPS $0x0e, Y2, Y3, Y6      // s1 = b > a
	VBLENDVPS Y6, Y3, Y2, Y7      // m1 = s1 ? b : a
	VCMPPS $0x0e, Y4, Y5, Y8      // s2 = d > c
	VBLENDVPS Y8, Y5, Y4, Y9      // m2 = s2 ? d : c
	VCMPPS $0x0e, Y7, Y9, Y10     // s3 = m2 > m1
	VBLENDVPS Y10, Y9, Y7, Y11    // m = s3 ? m2 : m1
	VPERMPD $0xd8, Y11, Y11
	VMOVUPS Y11, (DI)
	TESTQ DX, DX
	JEQ noidx
	VPAND Y15, Y6, Y6             // o1 = s1 & 1
	VPAND Y15, Y8, Y8
	VPADDD Y14, Y8, Y8            // o2 = (s2 & 1) + w
	VBLENDVPS Y10, Y8, Y6, Y6     // o = s3 ? o2 : o1
	VPERMQ $0xd8, Y6, Y6
	VPADDD Y13, Y6, Y6
	VMOVDQU Y6, (DX)
	ADDQ $32, DX

noidx:
	VPADDD Y12, Y13, Y13
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $32, DI
	DECQ CX
	JNZ poolloop
	VZEROUPPER
	RET

// func addTo8(dst, src *float32, n8 int)
// dst[i] += src[i] for i < 8*n8. n8 must be >= 1.
TEXT ·addTo8(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n8+16(FP), CX

addloop:
	VMOVUPS (DI), Y0
	VADDPS (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ addloop
	VZEROUPPER
	RET
