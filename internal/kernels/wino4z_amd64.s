//go:build amd64 && !noasm

#include "textflag.h"

// The AVX-512VL form of winoOut4x8: the 24 column results S[a][j] stay in
// registers (Y0..Y5 for row 0, Y16..Y21, Y22..Y27 and Y28..Y31, Y10, Y11
// for rows 1..3), which the EVEX encoding of the 256-bit operations
// reaches. The additions and the products by 2, 4 and 8 are those of AT6,
// in the same order, so the bits are those of winoOut4x8 and winoOut4Go.

// OUT4C(s0, s1, s2, s3) applies Aᵀ to column j of M (R12; 6X in R9, 18X
// in R10) into s0..s3 (S[0..3][j]) and moves R12 to the next column:
// p = m1+m2 (in s2), q = m1-m2 (in s3), r = m3+m4 (Y8), s = m3-m4 (Y6).
#define OUT4C(s0, s1, s2, s3) \
	LEAQ (R12)(R10*1), R14; \
	VMOVUPS (R12)(R9*1), Y6; \
	VMOVUPS (R12)(R9*2), Y7; \
	VADDPS Y7, Y6, s2; \
	VSUBPS Y7, Y6, s3; \
	VMOVUPS (R14), Y6; \
	VMOVUPS (R14)(R9*1), Y7; \
	VADDPS Y7, Y6, Y8; \
	VSUBPS Y7, Y6, Y6; \
	VMOVUPS (R12), Y7; \
	VADDPS s2, Y7, s0; \
	VADDPS Y8, s0, s0; \
	VMOVAPS s3, s1; \
	VFMADD231PS Y13, Y6, s1; \
	VFMADD231PS Y14, Y8, s2; \
	VFMADD231PS Y15, Y6, s3; \
	VMOVUPS (R14)(R9*2), Y7; \
	VADDPS Y7, s3, s3; \
	ADDQ R8, R12

// OUT4R applies AT6 to row S[a] in Y0..Y5 (temporaries Y6..Y9), adds the
// bias (Y12) and interleaves the four outputs of each tile as OUT4H does,
// into Y0..Y3; Y10 and Y11 are left alone.
#define OUT4R \
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
	VADDPS Y5, Y7, Y7; \
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
	VUNPCKLPD Y5, Y4, Y6; \
	VUNPCKHPD Y5, Y4, Y7; \
	VPERM2F128 $0x20, Y9, Y8, Y0; \
	VPERM2F128 $0x20, Y7, Y6, Y1; \
	VPERM2F128 $0x31, Y9, Y8, Y2; \
	VPERM2F128 $0x31, Y7, Y6, Y3

// func winoOut4x8z(m *float32, mF, mX, nf int, bias *float32, dst *float32, pitch, plane int, tmp *float32, ncols, nrows, rem int)
// The AVX-512VL form of winoOut4x8, with the same arguments (tmp only
// holds the store mask at 768).
TEXT ·winoOut4x8z(SB), NOSPLIT, $0-96
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

z4f:
	// Columns: S = Aᵀ M, into registers.
	MOVQ R11, R12
	OUT4C(Y0, Y16, Y22, Y28)
	OUT4C(Y1, Y17, Y23, Y29)
	OUT4C(Y2, Y18, Y24, Y30)
	OUT4C(Y3, Y19, Y25, Y31)
	OUT4C(Y4, Y20, Y26, Y10)
	OUT4C(Y5, Y21, Y27, Y11)

	// Rows: y = S A + bias, nrows output rows of ncols columns, row a
	// moved into Y0..Y5 first (row 0 is there).
	VBROADCASTSS (BX), Y12
	MOVQ DI, R12
	XORQ SI, SI
	JMP z4row

z4next:
	ADDQ AX, R12
	INCQ SI
	CMPQ SI, nrows+80(FP)
	JEQ z4done
	CMPQ SI, $2
	JEQ z4r2
	JGT z4r3
	VMOVAPS Y16, Y0
	VMOVAPS Y17, Y1
	VMOVAPS Y18, Y2
	VMOVAPS Y19, Y3
	VMOVAPS Y20, Y4
	VMOVAPS Y21, Y5
	JMP z4row

z4r2:
	VMOVAPS Y22, Y0
	VMOVAPS Y23, Y1
	VMOVAPS Y24, Y2
	VMOVAPS Y25, Y3
	VMOVAPS Y26, Y4
	VMOVAPS Y27, Y5
	JMP z4row

z4r3:
	VMOVAPS Y28, Y0
	VMOVAPS Y29, Y1
	VMOVAPS Y30, Y2
	VMOVAPS Y31, Y3
	VMOVAPS Y10, Y4
	VMOVAPS Y11, Y5

z4row:
	OUT4R
	CMPQ ncols+72(FP), $32
	JLT z4part
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	VMOVUPS Y3, 96(R12)
	JMP z4next

z4part:
	CMPQ ncols+72(FP), $8
	JLT z4m0
	VMOVUPS Y0, (R12)
	CMPQ ncols+72(FP), $16
	JLT z4m1
	VMOVUPS Y1, 32(R12)
	CMPQ ncols+72(FP), $24
	JLT z4m2
	VMOVUPS Y2, 64(R12)
	VMOVAPS Y3, Y0
	LEAQ 96(R12), R15
	JMP z4tail

z4m2:
	VMOVAPS Y2, Y0
	LEAQ 64(R12), R15
	JMP z4tail

z4m1:
	VMOVAPS Y1, Y0
	LEAQ 32(R12), R15
	JMP z4tail

z4m0:
	MOVQ R12, R15

z4tail:
	// The piece across ncols, as in winoOut4x8.
	CMPQ rem+88(FP), $4
	JEQ z4half
	CMPQ rem+88(FP), $0
	JEQ z4next
	CMPQ rem+88(FP), $2
	JEQ z4two
	CMPQ rem+88(FP), $6
	JEQ z4six
	VMOVUPS 768(R13), Y4
	VMASKMOVPS Y0, Y4, (R15)
	JMP z4next

z4two:
	VMOVQ X0, (R15)
	JMP z4next

z4six:
	VMOVUPS X0, (R15)
	VEXTRACTF128 $1, Y0, X0
	VMOVQ X0, 16(R15)
	JMP z4next

z4half:
	VMOVUPS X0, (R15)
	JMP z4next

z4done:
	ADDQ DX, R11
	ADDQ $4, BX
	MOVQ plane+56(FP), R14
	SHLQ $2, R14
	ADDQ R14, DI
	DECQ CX
	JNZ z4f
	VZEROUPPER
	RET
