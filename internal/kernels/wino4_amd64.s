//go:build amd64 && !noasm

#include "textflag.h"

// BT6 applies Bᵀ (see winoB6) to d0..d5 in Y9, Y10, Y11, Y12, Y0, Y1, with
// 4.0 in Y15: c = d4-d2 (Y2), 4(d0-d2)+c (Y3), e = 2(d3-d1) (Y4), a =
// d4-4d2 (Y0), b = d3-4d1 (Y12). Leaves V0..V5 in Y3, Y5, Y6, Y7, Y8, Y1;
// clobbers Y0, Y2, Y4, Y12.
#define BT6 \
	VSUBPS Y11, Y0, Y2; \
	VSUBPS Y11, Y9, Y3; \
	VFMADD213PS Y2, Y15, Y3; \
	VFNMADD231PS Y15, Y11, Y0; \
	VSUBPS Y10, Y12, Y4; \
	VADDPS Y4, Y4, Y4; \
	VSUBPS Y12, Y1, Y1; \
	VADDPS Y4, Y4, Y5; \
	VSUBPS Y5, Y1, Y1; \
	VFNMADD231PS Y15, Y10, Y12; \
	VADDPS Y12, Y0, Y5; \
	VSUBPS Y12, Y0, Y6; \
	VADDPS Y4, Y2, Y7; \
	VSUBPS Y4, Y2, Y8

// IN4V(off) loads columns off/4 .. off/4+7 of the six rows (SI, SI+wp,
// SI+2wp, R12 = SI+3wp, …) into the inputs of BT6, under the load masks
// of the rows (R15 + 160r + off); masked lanes read nothing and count as
// zero. Clobbers Y13, Y14.
#define IN4V(off) \
	VMOVUPS off(R15), Y13; \
	VMASKMOVPS off(SI), Y13, Y9; \
	VMOVUPS off+160(R15), Y14; \
	VMASKMOVPS off(SI)(AX*1), Y14, Y10; \
	VMOVUPS off+320(R15), Y13; \
	VMASKMOVPS off(SI)(AX*2), Y13, Y11; \
	VMOVUPS off+480(R15), Y14; \
	VMASKMOVPS off(R12), Y14, Y12; \
	VMOVUPS off+640(R15), Y13; \
	VMASKMOVPS off(R12)(AX*1), Y13, Y0; \
	VMOVUPS off+800(R15), Y14; \
	VMASKMOVPS off(R12)(AX*2), Y14, Y1

// IN4S(off) stores T[i] (BT6's outputs) at tmp row i (R13 + 160i) + off.
#define IN4S(off) \
	VMOVUPS Y3, off(R13); \
	VMOVUPS Y5, off+160(R13); \
	VMOVUPS Y6, off+320(R13); \
	VMOVUPS Y7, off+480(R13); \
	VMOVUPS Y8, off+640(R13); \
	VMOVUPS Y1, off+800(R13)

// IN4R(off) transforms row i of T (tmp + off, off = 160i): the six
// columns of the eight tiles (tile l at 4l), split by in-lane 4x4
// transposes of the pieces tile l | tile l+4, then V[i] = T[i] B, stored
// at ξ = 6i .. 6i+5 (DI + ξ·X; X in R8, 2X in R9, 3X in R10), and moves
// DI to the next row.
#define IN4R(off) \
	VMOVUPS off+0(R13), X0; \
	VINSERTF128 $1, off+64(R13), Y0, Y0; \
	VMOVUPS off+16(R13), X1; \
	VINSERTF128 $1, off+80(R13), Y1, Y1; \
	VMOVUPS off+32(R13), X2; \
	VINSERTF128 $1, off+96(R13), Y2, Y2; \
	VMOVUPS off+48(R13), X3; \
	VINSERTF128 $1, off+112(R13), Y3, Y3; \
	VMOVUPS off+64(R13), X4; \
	VINSERTF128 $1, off+128(R13), Y4, Y4; \
	VUNPCKLPS Y1, Y0, Y5; \
	VUNPCKLPS Y3, Y2, Y6; \
	VUNPCKHPS Y1, Y0, Y7; \
	VUNPCKHPS Y3, Y2, Y8; \
	VUNPCKLPD Y6, Y5, Y9; \
	VUNPCKHPD Y6, Y5, Y10; \
	VUNPCKLPD Y8, Y7, Y11; \
	VUNPCKHPD Y8, Y7, Y12; \
	VUNPCKLPS Y2, Y1, Y5; \
	VUNPCKLPS Y4, Y3, Y6; \
	VUNPCKLPD Y6, Y5, Y0; \
	VUNPCKHPD Y6, Y5, Y1; \
	BT6; \
	LEAQ (DI)(R10*1), R14; \
	VMOVUPS Y3, (DI); \
	VMOVUPS Y5, (DI)(R8*1); \
	VMOVUPS Y6, (DI)(R8*2); \
	VMOVUPS Y7, (R14); \
	VMOVUPS Y8, (DI)(R8*4); \
	VMOVUPS Y1, (R14)(R9*1); \
	LEAQ (DI)(R10*2), DI

// func winoIn4x8(x *float32, off, w, plane, nc int, dst *float32, dstC, dstX int, tmp *float32, mask *int32)
// See winoIn4Go. nc >= 1; the window starts at x + off (off may be
// negative: the cells before x are masked); mask holds six rows of 40.
TEXT ·winoIn4x8(SB), NOSPLIT, $0-80
	MOVQ x+0(FP), SI
	MOVQ off+8(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ w+16(FP), AX
	SHLQ $2, AX
	MOVQ plane+24(FP), BX
	SHLQ $2, BX
	MOVQ nc+32(FP), CX
	MOVQ dst+40(FP), R11
	MOVQ dstC+48(FP), DX
	SHLQ $2, DX
	MOVQ dstX+56(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*1), R9
	LEAQ (R9)(R8*1), R10
	MOVQ tmp+64(FP), R13
	MOVQ mask+72(FP), R15
	MOVL $0x40800000, R14
	MOVQ R14, X15
	VBROADCASTSS X15, Y15

in4ch:
	// Columns: T = Bᵀ d over 40 columns, into the six rows of tmp.
	LEAQ (SI)(AX*2), R12
	ADDQ AX, R12
	IN4V(0)
	BT6
	IN4S(0)
	IN4V(32)
	BT6
	IN4S(32)
	IN4V(64)
	BT6
	IN4S(64)
	IN4V(96)
	BT6
	IN4S(96)
	IN4V(128)
	BT6
	IN4S(128)

	// Prefetch rows 10 to 13 of the window (136 bytes of each), which the
	// call for the tile row two below reads besides the rows before: the
	// input is read in place, by strided windows of every channel plane,
	// which the hardware prefetchers follow poorly (one tile row ahead
	// measured a few percent slower than two).
	LEAQ (R12)(AX*4), R14
	LEAQ (R14)(AX*2), R14
	ADDQ AX, R14
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 135(R14)
	PREFETCHT0 (R14)(AX*1)
	PREFETCHT0 64(R14)(AX*1)
	PREFETCHT0 135(R14)(AX*1)
	PREFETCHT0 (R14)(AX*2)
	PREFETCHT0 64(R14)(AX*2)
	PREFETCHT0 135(R14)(AX*2)
	LEAQ (R14)(AX*2), R14
	ADDQ AX, R14
	PREFETCHT0 (R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 135(R14)

	// Rows: V[i] = T[i] B for the six rows of T.
	MOVQ R11, DI
	IN4R(0)
	IN4R(160)
	IN4R(320)
	IN4R(480)
	IN4R(640)
	IN4R(800)

	ADDQ BX, SI
	ADDQ DX, R11
	DECQ CX
	JNZ in4ch
	VZEROUPPER
	RET

// AT6 applies Aᵀ (see winoA6) to m0..m5 in Y0..Y5, with 2.0, 4.0 and 8.0
// in Y13, Y14, Y15: p = m1+m2 (Y6), q = m1-m2 (Y7), r = m3+m4 (Y8), s =
// m3-m4 (Y9). Leaves the four results in Y0, Y1, Y6, Y7.
#define AT6 \
	VADDPS Y2, Y1, Y6; \
	VSUBPS Y2, Y1, Y7; \
	VADDPS Y4, Y3, Y8; \
	VSUBPS Y4, Y3, Y9; \
	VADDPS Y6, Y0, Y0; \
	VADDPS Y8, Y0, Y0; \
	VMOVAPS Y7, Y1; \
	VFMADD231PS Y13, Y9, Y1; \
	VFMADD231PS Y14, Y8, Y6; \
	VFMADD231PS Y15, Y9, Y7; \
	VADDPS Y5, Y7, Y7

// OUT4V loads M[6i+j] for i < 6 (R12 = column j, 6X in R9, 18X in R10).
#define OUT4V \
	LEAQ (R12)(R10*1), R14; \
	VMOVUPS (R12), Y0; \
	VMOVUPS (R12)(R9*1), Y1; \
	VMOVUPS (R12)(R9*2), Y2; \
	VMOVUPS (R14), Y3; \
	VMOVUPS (R14)(R9*1), Y4; \
	VMOVUPS (R14)(R9*2), Y5

// OUT4S(off) stores S[a][j] (AT6's results) at tmp + 192a + off and moves
// R12 to the next column.
#define OUT4S(off) \
	VMOVUPS Y0, off(R13); \
	VMOVUPS Y1, off+192(R13); \
	VMOVUPS Y6, off+384(R13); \
	VMOVUPS Y7, off+576(R13); \
	ADDQ R8, R12

// OUT4H(off) loads row S[a] from R14 + off, applies AT6, adds the bias
// (Y12) and interleaves the four outputs of each tile (in-lane 4x4
// transposes, then the lanes in tile order) into Y0..Y3 (32 floats).
#define OUT4H(off) \
	VMOVUPS off(R14), Y0; \
	VMOVUPS off+32(R14), Y1; \
	VMOVUPS off+64(R14), Y2; \
	VMOVUPS off+96(R14), Y3; \
	VMOVUPS off+128(R14), Y4; \
	VMOVUPS off+160(R14), Y5; \
	AT6; \
	VADDPS Y12, Y0, Y0; \
	VADDPS Y12, Y1, Y1; \
	VADDPS Y12, Y6, Y6; \
	VADDPS Y12, Y7, Y7; \
	VUNPCKLPS Y1, Y0, Y2; \
	VUNPCKLPS Y7, Y6, Y3; \
	VUNPCKHPS Y1, Y0, Y4; \
	VUNPCKHPS Y7, Y6, Y5; \
	VUNPCKLPD Y3, Y2, Y8; \
	VUNPCKHPD Y3, Y2, Y9; \
	VUNPCKLPD Y5, Y4, Y10; \
	VUNPCKHPD Y5, Y4, Y11; \
	VPERM2F128 $0x20, Y9, Y8, Y0; \
	VPERM2F128 $0x20, Y11, Y10, Y1; \
	VPERM2F128 $0x31, Y9, Y8, Y2; \
	VPERM2F128 $0x31, Y11, Y10, Y3

// func winoOut4x8(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int, tmp *float32, ncols, nrows, rem int)
// See winoOut4Go. nf >= 1, 1 <= nrows <= 4, 1 <= ncols <= 32; with ncols
// < 32, tmp[192:200] holds the store mask of the 8-column piece across
// ncols (lanes < ncols mod 8 = rem).
TEXT ·winoOut4x8(SB), NOSPLIT, $0-96

	MOVQ m+0(FP), R11
	MOVQ mF+8(FP), DX
	SHLQ $2, DX
	MOVQ mX+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	ADDQ R9, R9
	LEAQ (R9)(R9*2), R10
	MOVQ nf+24(FP), CX
	MOVQ bias+32(FP), BX
	MOVQ dst+40(FP), DI
	MOVQ pitch+48(FP), AX
	SHLQ $2, AX
	MOVQ tmp+64(FP), R13
	MOVL $0x40000000, R14
	MOVQ R14, X13
	VBROADCASTSS X13, Y13
	MOVL $0x40800000, R14
	MOVQ R14, X14
	VBROADCASTSS X14, Y14
	MOVL $0x41000000, R14
	MOVQ R14, X15
	VBROADCASTSS X15, Y15

out4f:
	// Columns: S = Aᵀ M, into tmp.
	MOVQ R11, R12
	OUT4V
	AT6
	OUT4S(0)
	OUT4V
	AT6
	OUT4S(32)
	OUT4V
	AT6
	OUT4S(64)
	OUT4V
	AT6
	OUT4S(96)
	OUT4V
	AT6
	OUT4S(128)
	OUT4V
	AT6
	OUT4S(160)

	// Rows: y = S A + bias, four output rows.
	// Rows: y = S A + bias, nrows output rows of ncols columns (the
	// 8-column pieces past ncols left out, the one across it stored
	// through the mask at tmp + 768).
	VBROADCASTSS (BX), Y12
	MOVQ DI, R12
	MOVQ R13, R14
	MOVQ nrows+80(FP), SI

out4row:
	OUT4H(0)
	CMPQ ncols+72(FP), $32
	JLT out4part
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)
	JMP out4stored

out4part:
	CMPQ ncols+72(FP), $8
	JLT out4m0
	VMOVUPS Y0, (R12)
	CMPQ ncols+72(FP), $16
	JLT out4m1
	VMOVUPS Y1, 32(R12)
	CMPQ ncols+72(FP), $24
	JLT out4m2
	VMOVUPS Y2, 64(R12)
	VMOVAPS Y3, Y0
	LEAQ 96(R12), R15
	JMP out4tail

out4m2:
	VMOVAPS Y2, Y0
	LEAQ 64(R12), R15
	JMP out4tail

out4m1:
	VMOVAPS Y1, Y0
	LEAQ 32(R12), R15
	JMP out4tail

out4m0:
	MOVQ R12, R15

out4tail:
	// The piece across ncols, at R15 in Y0: nothing; 2, 4 or 6 floats
	// by plain stores; other counts through the mask.
	CMPQ rem+88(FP), $4
	JEQ out4half
	CMPQ rem+88(FP), $0
	JEQ out4stored
	CMPQ rem+88(FP), $2
	JEQ out4two
	CMPQ rem+88(FP), $6
	JEQ out4six
	VMOVUPS 768(R13), Y4
	VMASKMOVPS Y0, Y4, (R15)
	JMP out4stored

out4two:
	VMOVQ X0, (R15)
	JMP out4stored

out4six:
	VMOVUPS X0, (R15)
	VEXTRACTF128 $1, Y0, X0
	VMOVQ X0, 16(R15)
	JMP out4stored

out4half:
	VMOVUPS X0, (R15)

out4stored:
	ADDQ AX, R12
	ADDQ $192, R14
	DECQ SI
	JNZ out4row

	ADDQ DX, R11
	ADDQ $4, BX
	MOVQ plane+56(FP), R14
	SHLQ $2, R14
	ADDQ R14, DI
	DECQ CX
	JNZ out4f
	VZEROUPPER
	RET
