//go:build amd64 && !noasm

#include "textflag.h"

// func dwTaps32(dst *float32, nb int, src *float32, off *int, w *float32, ntaps int, init float32)
// For every block of 32 floats (nb of them): dst[k] = init, then
// dst[k] = fma(w[t], src[off[t]+k], dst[k]) for t < ntaps in order.
TEXT ·dwTaps32(SB), NOSPLIT, $0-52
	MOVQ dst+0(FP), DI
	MOVQ nb+8(FP), CX
	MOVQ src+16(FP), SI
	MOVQ off+24(FP), R8
	MOVQ w+32(FP), R9
	MOVQ ntaps+40(FP), R10
	VBROADCASTSS init+48(FP), Y15

tapsblock:
	VMOVAPS Y15, Y0
	VMOVAPS Y15, Y1
	VMOVAPS Y15, Y2
	VMOVAPS Y15, Y3
	XORQ BX, BX

tapsloop:
	MOVQ (R8)(BX*8), DX
	LEAQ (SI)(DX*4), DX
	VBROADCASTSS (R9)(BX*4), Y4
	VFMADD231PS (DX), Y4, Y0
	VFMADD231PS 32(DX), Y4, Y1
	VFMADD231PS 64(DX), Y4, Y2
	VFMADD231PS 96(DX), Y4, Y3
	INCQ BX
	CMPQ BX, R10
	JLT tapsloop
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	DECQ CX
	JNZ tapsblock
	VZEROUPPER
	RET

// func dwDots32(a *float32, nb int, src *float32, off *int, acc *float32, ntaps int)
// For t < ntaps: acc[t] += Σ_{k<32·nb} a[k]·src[off[t]+k], summed in four
// 8-lane accumulators (one per 8-float quarter of a block) that are added
// as (q0+q1)+(q2+q3) and then across lanes as sum8 does.
TEXT ·dwDots32(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), DI
	MOVQ src+16(FP), SI
	MOVQ off+24(FP), R8
	MOVQ acc+32(FP), R9
	MOVQ ntaps+40(FP), R10
	XORQ BX, BX

dotstap:
	MOVQ (R8)(BX*8), DX
	LEAQ (SI)(DX*4), DX
	MOVQ DI, AX
	MOVQ nb+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dotsblock:
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	VMOVUPS 64(AX), Y6
	VMOVUPS 96(AX), Y7
	VFMADD231PS (DX), Y4, Y0
	VFMADD231PS 32(DX), Y5, Y1
	VFMADD231PS 64(DX), Y6, Y2
	VFMADD231PS 96(DX), Y7, Y3
	ADDQ $128, AX
	ADDQ $128, DX
	DECQ CX
	JNZ dotsblock
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VADDSS (R9)(BX*4), X0, X0
	VMOVSS X0, (R9)(BX*4)
	INCQ BX
	CMPQ BX, R10
	JLT dotstap
	VZEROUPPER
	RET
