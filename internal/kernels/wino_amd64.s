//go:build amd64 && !noasm

#include "textflag.h"

// WROW(p, moff, h0, h1, h2, h3) loads row r of eight 4x4 input tiles
// (tile l at columns 2l..2l+3 from p) under its load masks (moff(R15),
// 24 lanes, for columns 0-7, 8-15, 2-9 and 10-17; masked lanes read
// nothing and count as zero), pairs the 4-float pieces so that the
// in-lane shuffles leave tiles 0-3 in the low lane and 4-7 in the high
// one, splits the row into the tiles' columns d0..d3 and applies the row
// transform: h0 = d0-d2, h1 = d1+d2, h2 = d2-d1, h3 = d1-d3. Clobbers
// Y8-Y15.
#define WROW(p, moff, h0, h1, h2, h3) \
	VMOVUPS moff+0(R15), Y12; \
	VMASKMOVPS 0(p), Y12, Y8; \
	VMOVUPS moff+32(R15), Y13; \
	VMASKMOVPS 32(p), Y13, Y9; \
	VMOVUPS moff+8(R15), Y14; \
	VMASKMOVPS 8(p), Y14, Y10; \
	VMOVUPS moff+40(R15), Y15; \
	VMASKMOVPS 40(p), Y15, Y11; \
	VPERM2F128 $0x20, Y9, Y8, Y12; \
	VPERM2F128 $0x31, Y9, Y8, Y13; \
	VPERM2F128 $0x20, Y11, Y10, Y14; \
	VPERM2F128 $0x31, Y11, Y10, Y15; \
	VSHUFPS $0x88, Y13, Y12, Y8; \
	VSHUFPS $0xDD, Y13, Y12, Y9; \
	VSHUFPS $0x88, Y15, Y14, Y10; \
	VSHUFPS $0xDD, Y15, Y14, Y11; \
	VSUBPS Y10, Y8, h0; \
	VADDPS Y10, Y9, h1; \
	VSUBPS Y9, Y10, h2; \
	VSUBPS Y11, Y9, h3

// func winoIn8(x *float32, off, w, plane, nc int, dst *float32, dstC, dstX int, mask *int32)
// See winoInGo. nc >= 1; the window starts at x + off (off may be
// negative: the cells before x are masked); mask holds four rows of 24.
TEXT ·winoIn8(SB), NOSPLIT, $0-72
	MOVQ x+0(FP), SI
	MOVQ off+8(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ w+16(FP), AX
	SHLQ $2, AX
	MOVQ plane+24(FP), BX
	SHLQ $2, BX
	MOVQ nc+32(FP), CX
	MOVQ dstC+48(FP), DX
	SHLQ $2, DX
	MOVQ dstX+56(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ dst+40(FP), R11
	LEAQ (R11)(R8*4), R12
	LEAQ (R12)(R8*4), R13
	LEAQ (R13)(R8*4), R14
	MOVQ mask+64(FP), R15

inch:
	// Rows 0 and 2: V0j = h0j - h2j.
	WROW(SI, 0, Y0, Y1, Y2, Y3)
	LEAQ (SI)(AX*2), DI
	WROW(DI, 192, Y4, Y5, Y6, Y7)
	VSUBPS Y4, Y0, Y0
	VSUBPS Y5, Y1, Y1
	VSUBPS Y6, Y2, Y2
	VSUBPS Y7, Y3, Y3
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, (R11)(R8*1)
	VMOVUPS Y2, (R11)(R9*1)
	VMOVUPS Y3, (R11)(R10*1)

	// Row 1: V1j = h1j + h2j, V2j = h2j - h1j.
	LEAQ (SI)(AX*1), DI
	WROW(DI, 96, Y0, Y1, Y2, Y3)
	VADDPS Y4, Y0, Y8
	VSUBPS Y0, Y4, Y9
	VMOVUPS Y8, (R12)
	VMOVUPS Y9, (R13)
	VADDPS Y5, Y1, Y8
	VSUBPS Y1, Y5, Y9
	VMOVUPS Y8, (R12)(R8*1)
	VMOVUPS Y9, (R13)(R8*1)
	VADDPS Y6, Y2, Y8
	VSUBPS Y2, Y6, Y9
	VMOVUPS Y8, (R12)(R9*1)
	VMOVUPS Y9, (R13)(R9*1)
	VADDPS Y7, Y3, Y8
	VSUBPS Y3, Y7, Y9
	VMOVUPS Y8, (R12)(R10*1)
	VMOVUPS Y9, (R13)(R10*1)

	// Row 3: V3j = h1j - h3j.
	LEAQ (DI)(AX*2), DI
	WROW(DI, 288, Y4, Y5, Y6, Y7)
	VSUBPS Y4, Y0, Y0
	VSUBPS Y5, Y1, Y1
	VSUBPS Y6, Y2, Y2
	VSUBPS Y7, Y3, Y3
	VMOVUPS Y0, (R14)
	VMOVUPS Y1, (R14)(R8*1)
	VMOVUPS Y2, (R14)(R9*1)
	VMOVUPS Y3, (R14)(R10*1)

	// Prefetch rows 4 and 5 of the window, which the call for the tile
	// row below reads besides these: the input is read in place, by
	// strided windows of every channel plane, which the hardware
	// prefetchers follow poorly.
	LEAQ (DI)(AX*1), DI
	PREFETCHT0 (DI)
	PREFETCHT0 71(DI)
	PREFETCHT0 (DI)(AX*1)
	PREFETCHT0 71(DI)(AX*1)

	ADDQ BX, SI
	ADDQ DX, R11
	ADDQ DX, R12
	ADDQ DX, R13
	ADDQ DX, R14
	DECQ CX
	JNZ inch
	VZEROUPPER
	RET

// func winoOut8(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int)
// See winoOut8Go. nf >= 1.
TEXT ·winoOut8(SB), NOSPLIT, $0-64
	MOVQ mF+8(FP), DX
	SHLQ $2, DX
	MOVQ mX+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ m+0(FP), R11
	LEAQ (R11)(R8*4), R12
	LEAQ (R12)(R8*4), R13
	LEAQ (R13)(R8*4), R14
	MOVQ nf+24(FP), CX
	MOVQ bias+32(FP), BX
	MOVQ dst+40(FP), DI
	MOVQ pitch+48(FP), AX
	SHLQ $2, AX
	MOVQ plane+56(FP), R15
	SHLQ $2, R15

outf:
	// s0j = (m0j + m1j) + m2j, s1j = (m1j - m2j) - m3j.
	VMOVUPS (R11), Y0
	VMOVUPS (R11)(R8*1), Y1
	VMOVUPS (R11)(R9*1), Y2
	VMOVUPS (R11)(R10*1), Y3
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R8*1), Y5
	VMOVUPS (R12)(R9*1), Y6
	VMOVUPS (R12)(R10*1), Y7
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMOVUPS (R13), Y8
	VADDPS Y8, Y0, Y0
	VSUBPS Y8, Y4, Y4
	VMOVUPS (R13)(R8*1), Y8
	VADDPS Y8, Y1, Y1
	VSUBPS Y8, Y5, Y5
	VMOVUPS (R13)(R9*1), Y8
	VADDPS Y8, Y2, Y2
	VSUBPS Y8, Y6, Y6
	VMOVUPS (R13)(R10*1), Y8
	VADDPS Y8, Y3, Y3
	VSUBPS Y8, Y7, Y7
	VSUBPS (R14), Y4, Y4
	VSUBPS (R14)(R8*1), Y5, Y5
	VSUBPS (R14)(R9*1), Y6, Y6
	VSUBPS (R14)(R10*1), Y7, Y7

	// y00 = (s00 + s01) + s02, y01 = (s01 - s02) - s03, likewise y1j
	// from s1j; then the bias.
	VBROADCASTSS (BX), Y12
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VSUBPS Y2, Y1, Y9
	VSUBPS Y3, Y9, Y9
	VADDPS Y5, Y4, Y10
	VADDPS Y6, Y10, Y10
	VSUBPS Y6, Y5, Y11
	VSUBPS Y7, Y11, Y11
	VADDPS Y12, Y8, Y8
	VADDPS Y12, Y9, Y9
	VADDPS Y12, Y10, Y10
	VADDPS Y12, Y11, Y11

	// Interleave the two columns of each output row and store 16 floats.
	VUNPCKLPS Y9, Y8, Y13
	VUNPCKHPS Y9, Y8, Y14
	VPERM2F128 $0x20, Y14, Y13, Y15
	VPERM2F128 $0x31, Y14, Y13, Y12
	VMOVUPS Y15, (DI)
	VMOVUPS Y12, 32(DI)
	VUNPCKLPS Y11, Y10, Y13
	VUNPCKHPS Y11, Y10, Y14
	VPERM2F128 $0x20, Y14, Y13, Y15
	VPERM2F128 $0x31, Y14, Y13, Y12
	VMOVUPS Y15, (DI)(AX*1)
	VMOVUPS Y12, 32(DI)(AX*1)

	ADDQ DX, R11
	ADDQ DX, R12
	ADDQ DX, R13
	ADDQ DX, R14
	ADDQ $4, BX
	ADDQ R15, DI
	DECQ CX
	JNZ outf
	VZEROUPPER
	RET

// WDYROW(p, e, o) loads 16 floats of an output-gradient row (tile l at
// columns 2l, 2l+1) and splits them into the tiles' even and odd columns,
// tiles 0-3 in the low lane. Clobbers Y14, Y15.
#define WDYROW(p, e, o) \
	VMOVUPS 0(p), X14; \
	VINSERTF128 $1, 32(p), Y14, Y14; \
	VMOVUPS 16(p), X15; \
	VINSERTF128 $1, 48(p), Y15, Y15; \
	VSHUFPS $0x88, Y15, Y14, e; \
	VSHUFPS $0xDD, Y15, Y14, o

// ZROW(a, b, i) stores row i of the transformed tile: a, a+b, a-b, b at
// ξ = 4i .. 4i+3 (R11 + 4i·X, X in R8, 2X in R9, 3X in R10). Clobbers
// Y12, Y13.
#define ZROW(a, b, base) \
	VADDPS b, a, Y12; \
	VSUBPS b, a, Y13; \
	VMOVUPS a, (base); \
	VMOVUPS Y12, (base)(R8*1); \
	VMOVUPS Y13, (base)(R9*1); \
	VMOVUPS b, (base)(R10*1)

// func winoDy8(src *float32, pitch, plane, nf int, dst *float32, dstF, dstX int)
// See winoDyGo. nf >= 1.
TEXT ·winoDy8(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ pitch+8(FP), AX
	SHLQ $2, AX
	MOVQ plane+16(FP), BX
	SHLQ $2, BX
	MOVQ nf+24(FP), CX
	MOVQ dstF+40(FP), DX
	SHLQ $2, DX
	MOVQ dstX+48(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ dst+32(FP), R11
	LEAQ (R11)(R8*4), R12
	LEAQ (R12)(R8*4), R13
	LEAQ (R13)(R8*4), R14

dyf:
	WDYROW(SI, Y0, Y1)
	LEAQ (SI)(AX*1), DI
	WDYROW(DI, Y2, Y3)
	// The rows of A·dy with the sign of row 3 left out: r0 = y0,
	// r1 = y0+y1, r2 = y0-y1, r3 = y1.
	VADDPS Y2, Y0, Y4
	VADDPS Y3, Y1, Y5
	VSUBPS Y2, Y0, Y6
	VSUBPS Y3, Y1, Y7
	ZROW(Y0, Y1, R11)
	ZROW(Y4, Y5, R12)
	ZROW(Y6, Y7, R13)
	ZROW(Y2, Y3, R14)

	ADDQ BX, SI
	ADDQ DX, R11
	ADDQ DX, R12
	ADDQ DX, R13
	ADDQ DX, R14
	DECQ CX
	JNZ dyf
	VZEROUPPER
	RET
