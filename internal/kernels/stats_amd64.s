//go:build amd64 && !noasm

#include "textflag.h"

// STATPTRS loads R10-R13 with x plus the four element offsets of offs,
// CX with n4 and Y15 with mean.
#define STATPTRS \
	MOVQ x+0(FP), SI; \
	MOVQ offs+16(FP), R8; \
	MOVQ 0(R8), R9; \
	LEAQ (SI)(R9*4), R10; \
	MOVQ 8(R8), R9; \
	LEAQ (SI)(R9*4), R11; \
	MOVQ 16(R8), R9; \
	LEAQ (SI)(R9*4), R12; \
	MOVQ 24(R8), R9; \
	LEAQ (SI)(R9*4), R13; \
	MOVQ n4+24(FP), CX; \
	VBROADCASTSD mean+32(FP), Y15; \
	VXORPD Y0, Y0, Y0; \
	VXORPD Y1, Y1, Y1; \
	VXORPD Y2, Y2, Y2; \
	VXORPD Y3, Y3, Y3

// STATSTORE stores the four segments' lanes to out and returns.
#define STATSTORE \
	MOVQ out+40(FP), DI; \
	VMOVUPD Y0, 0(DI); \
	VMOVUPD Y1, 32(DI); \
	VMOVUPD Y2, 64(DI); \
	VMOVUPD Y3, 96(DI); \
	VZEROUPPER; \
	RET

#define STATNEXT \
	ADDQ $16, R10; \
	ADDQ $16, R11; \
	ADDQ $16, R12; \
	ADDQ $16, R13; \
	DECQ CX

// func statSum4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)
// For segment s < 4 at x+offs[s] and lane l < 4: out[4s+l] = Σ_{q<n4}
// float64(x[4q+l]), added in order of q.
TEXT ·statSum4(SB), NOSPLIT, $0-48
	STATPTRS

sumloop:
	VCVTPS2PD (R10), Y4
	VADDPD Y4, Y0, Y0
	VCVTPS2PD (R11), Y5
	VADDPD Y5, Y1, Y1
	VCVTPS2PD (R12), Y6
	VADDPD Y6, Y2, Y2
	VCVTPS2PD (R13), Y7
	VADDPD Y7, Y3, Y3
	STATNEXT
	JNZ sumloop
	STATSTORE

// func statSqDev4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)
// As statSum4 with the terms (float64(x) − mean)².
TEXT ·statSqDev4(SB), NOSPLIT, $0-48
	STATPTRS

sqloop:
	VCVTPS2PD (R10), Y4
	VSUBPD Y15, Y4, Y4
	VMULPD Y4, Y4, Y4
	VADDPD Y4, Y0, Y0
	VCVTPS2PD (R11), Y5
	VSUBPD Y15, Y5, Y5
	VMULPD Y5, Y5, Y5
	VADDPD Y5, Y1, Y1
	VCVTPS2PD (R12), Y6
	VSUBPD Y15, Y6, Y6
	VMULPD Y6, Y6, Y6
	VADDPD Y6, Y2, Y2
	VCVTPS2PD (R13), Y7
	VSUBPD Y15, Y7, Y7
	VMULPD Y7, Y7, Y7
	VADDPD Y7, Y3, Y3
	STATNEXT
	JNZ sqloop
	STATSTORE

// func statDotDev4(x, a *float32, offs *[4]int, n4 int, mean float64, out *[16]float64)
// As statSum4 with the terms float64(a)·(float64(x) − mean), a read at the
// same offsets as x.
TEXT ·statDotDev4(SB), NOSPLIT, $0-48
	STATPTRS
	MOVQ a+8(FP), DX
	SUBQ SI, DX

dotloop:
	VCVTPS2PD (R10), Y4
	VSUBPD Y15, Y4, Y4
	VCVTPS2PD (R10)(DX*1), Y8
	VMULPD Y8, Y4, Y4
	VADDPD Y4, Y0, Y0
	VCVTPS2PD (R11), Y5
	VSUBPD Y15, Y5, Y5
	VCVTPS2PD (R11)(DX*1), Y9
	VMULPD Y9, Y5, Y5
	VADDPD Y5, Y1, Y1
	VCVTPS2PD (R12), Y6
	VSUBPD Y15, Y6, Y6
	VCVTPS2PD (R12)(DX*1), Y10
	VMULPD Y10, Y6, Y6
	VADDPD Y6, Y2, Y2
	VCVTPS2PD (R13), Y7
	VSUBPD Y15, Y7, Y7
	VCVTPS2PD (R13)(DX*1), Y11
	VMULPD Y11, Y7, Y7
	VADDPD Y7, Y3, Y3
	STATNEXT
	JNZ dotloop
	STATSTORE

// func linComb8(dst, u, v *float32, n8 int, a, b, c float32)
// dst[j] = (a·u[j] + b·v[j]) + c for j < 8·n8, without fused
// multiply-adds.
TEXT ·linComb8(SB), NOSPLIT, $0-44
	MOVQ dst+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ n8+24(FP), CX
	VBROADCASTSS a+32(FP), Y13
	VBROADCASTSS b+36(FP), Y14
	VBROADCASTSS c+40(FP), Y15

linloop:
	VMULPS (SI), Y13, Y0
	VMULPS (DX), Y14, Y1
	VADDPS Y1, Y0, Y0
	VADDPS Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNZ linloop
	VZEROUPPER
	RET
