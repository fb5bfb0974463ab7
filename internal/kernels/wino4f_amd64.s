//go:build amd64 && !noasm

#include "textflag.h"

// AT4 applies A (see winoAT4) to y0..y3 in Y0..Y3, with 4.0 in Y10: p =
// y0+y2 (Y8), q = y1+y3 (Y9), r = y0+4y2 (Y2), t = 2(y1+4y3) (Y1).
// Leaves the six results in Y0, Y4, Y5, Y6, Y7, Y3; clobbers Y1, Y2, Y8,
// Y9.
#define AT4 \
	VADDPS Y2, Y0, Y8; \
	VADDPS Y3, Y1, Y9; \
	VADDPS Y9, Y8, Y4; \
	VSUBPS Y9, Y8, Y5; \
	VFMADD213PS Y0, Y10, Y2; \
	VFMADD231PS Y10, Y3, Y1; \
	VADDPS Y1, Y1, Y1; \
	VADDPS Y1, Y2, Y6; \
	VSUBPS Y1, Y2, Y7

// DY4V(off, cm) loads columns off/4 .. off/4+7 of the four rows (SI,
// SI+pitch, SI+2pitch, R12 = SI+3pitch) into Y0..Y3 under the column mask
// cm and the row masks at R15 (32 bytes a row); masked lanes read nothing
// and count as zero.
#define DY4V(off, cm) \
	VANDPS 0(R15), cm, Y11; \
	VMASKMOVPS off(SI), Y11, Y0; \
	VANDPS 32(R15), cm, Y11; \
	VMASKMOVPS off(SI)(AX*1), Y11, Y1; \
	VANDPS 64(R15), cm, Y11; \
	VMASKMOVPS off(SI)(AX*2), Y11, Y2; \
	VANDPS 96(R15), cm, Y11; \
	VMASKMOVPS off(R12), Y11, Y3

// DY4S(off) stores T[i] (AT4's results) at tmp row i (R13 + 128i) + off.
#define DY4S(off) \
	VMOVUPS Y0, off(R13); \
	VMOVUPS Y4, off+128(R13); \
	VMOVUPS Y5, off+256(R13); \
	VMOVUPS Y6, off+384(R13); \
	VMOVUPS Y7, off+512(R13); \
	VMOVUPS Y3, off+640(R13)

// DY4R(off) transforms row i of T (tmp + off, off = 128i): the four
// columns of the eight tiles (tile l at 4l), split by in-lane 4x4
// transposes of the pieces tile l | tile l+4, then Z[i] = A T[i], stored
// at ξ = 6i .. 6i+5 (DI + ξ·X; X in R8, 2X in R9, 3X in R10), and moves
// DI to the next row.
#define DY4R(off) \
	VMOVUPS off(R13), X0; \
	VINSERTF128 $1, off+64(R13), Y0, Y0; \
	VMOVUPS off+16(R13), X1; \
	VINSERTF128 $1, off+80(R13), Y1, Y1; \
	VMOVUPS off+32(R13), X2; \
	VINSERTF128 $1, off+96(R13), Y2, Y2; \
	VMOVUPS off+48(R13), X3; \
	VINSERTF128 $1, off+112(R13), Y3, Y3; \
	VUNPCKLPS Y1, Y0, Y4; \
	VUNPCKHPS Y1, Y0, Y5; \
	VUNPCKLPS Y3, Y2, Y6; \
	VUNPCKHPS Y3, Y2, Y7; \
	VUNPCKLPD Y6, Y4, Y0; \
	VUNPCKHPD Y6, Y4, Y1; \
	VUNPCKLPD Y7, Y5, Y2; \
	VUNPCKHPD Y7, Y5, Y3; \
	AT4; \
	LEAQ (DI)(R10*1), R14; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y4, (DI)(R8*1); \
	VMOVUPS Y5, (DI)(R8*2); \
	VMOVUPS Y6, (R14); \
	VMOVUPS Y7, (DI)(R8*4); \
	VMOVUPS Y3, (R14)(R9*1); \
	LEAQ (DI)(R10*2), DI

// func winoDy4x8(src *float32, pitch, plane, nf int, dst *float32, dstF, dstX int, tmp *float32, cmask, rmask *int32)
// See winoDy4Go. nf >= 1; cmask holds the masks of the 32 columns, rmask
// those of the four rows (8 equal lanes each).
TEXT ·winoDy4x8(SB), NOSPLIT, $0-80
	MOVQ src+0(FP), SI
	MOVQ pitch+8(FP), AX
	SHLQ $2, AX
	MOVQ plane+16(FP), BX
	SHLQ $2, BX
	MOVQ nf+24(FP), CX
	MOVQ dst+32(FP), R11
	MOVQ dstF+40(FP), DX
	SHLQ $2, DX
	MOVQ dstX+48(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ tmp+56(FP), R13
	MOVQ cmask+64(FP), R14
	VMOVUPS 0(R14), Y12
	VMOVUPS 32(R14), Y13
	VMOVUPS 64(R14), Y14
	VMOVUPS 96(R14), Y15
	MOVQ rmask+72(FP), R15
	MOVL $0x40800000, R14
	MOVQ R14, X10
	VBROADCASTSS X10, Y10

dy4f:
	// Columns: T = A dy over 32 columns, into the six rows of tmp.
	LEAQ (SI)(AX*2), R12
	ADDQ AX, R12
	DY4V(0, Y12)
	AT4
	DY4S(0)
	DY4V(32, Y13)
	AT4
	DY4S(32)
	DY4V(64, Y14)
	AT4
	DY4S(64)
	DY4V(96, Y15)
	AT4
	DY4S(96)

	// Prefetch the window of the next tile row (rows 4 to 7, which the
	// call for the tile row below reads): the output gradients are read
	// once, by strided windows of every filter plane, which the hardware
	// prefetchers follow poorly.
	LEAQ (R12)(AX*1), R14
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 127(R14)
	PREFETCHT0 (R14)(AX*1)
	PREFETCHT0 64(R14)(AX*1)
	PREFETCHT0 127(R14)(AX*1)
	PREFETCHT0 (R14)(AX*2)
	PREFETCHT0 64(R14)(AX*2)
	PREFETCHT0 127(R14)(AX*2)
	LEAQ (R14)(AX*2), R14
	ADDQ AX, R14
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 127(R14)

	// Rows.
	MOVQ R11, DI
	DY4R(0)
	DY4R(128)
	DY4R(256)
	DY4R(384)
	DY4R(512)
	DY4R(640)

	ADDQ BX, SI
	ADDQ DX, R11
	DECQ CX
	JNZ dy4f
	VZEROUPPER
	RET
