//go:build amd64 && !noasm

#include "textflag.h"

#define STEP(ob, o0, o1, o2, o3, o4) \
	MOVLQSX ob(DX), R9; \
	VMOVUPS (BX)(R9*4), Y10; \
	VMOVUPS (SI)(R9*4), Y11; \
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
	VFMADD231PS Y11, Y13, Y9

// STORE(o, ya, yb) stores row r (coff entry at byte o) of both halves.
#define STORE(o, ya, yb) \
	MOVLQSX o(DX), R9; \
	VMOVUPS ya, (DI)(R9*4); \
	VMOVUPS yb, (SI)(R9*4)

// ADDTO(o, ya, yb) adds row r of both halves into C, one after the other.
#define ADDTO(o, ya, yb) \
	MOVLQSX o(DX), R9; \
	VADDPS (DI)(R9*4), ya, ya; \
	VMOVUPS ya, (DI)(R9*4); \
	VADDPS (SI)(R9*4), yb, yb; \
	VMOVUPS yb, (SI)(R9*4)

// func gemm5x16(k int, a *float32, boff *int32, b *float32, bsrc *int32, coff *int32, c *float32, csrc *int32, ntiles int, bias *float32, flags int)
// For each tile u < ntiles: b0 = b+bsrc[2u], b1 = b+bsrc[2u+1], c0 = c+csrc[2u],
// c1 = c+csrc[2u+1]; see kernelGo. k, ntiles >= 1; bias may be nil.
TEXT ·gemm5x16(SB), NOSPLIT, $0-88
	MOVQ bsrc+32(FP), R11
	MOVQ csrc+56(FP), R12
	MOVQ ntiles+64(FP), R10
	MOVQ b+24(FP), R13

tile:
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ boff+16(FP), DX
	MOVLQSX 0(R11), BX
	LEAQ (R13)(BX*4), BX
	MOVLQSX 4(R11), SI
	LEAQ (R13)(SI*4), SI
	MOVQ bias+72(FP), DI
	TESTQ DI, DI
	JEQ zero
	VBROADCASTSS 0(DI), Y0
	VMOVAPS Y0, Y1
	VBROADCASTSS 4(DI), Y2
	VMOVAPS Y2, Y3
	VBROADCASTSS 8(DI), Y4
	VMOVAPS Y4, Y5
	VBROADCASTSS 12(DI), Y6
	VMOVAPS Y6, Y7
	VBROADCASTSS 16(DI), Y8
	VMOVAPS Y8, Y9
	JMP start

zero:
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
	CMPQ CX, $4
	JLT tail

loop4:
	STEP(0, 0, 4, 8, 12, 16)
	STEP(4, 20, 24, 28, 32, 36)
	STEP(8, 40, 44, 48, 52, 56)
	STEP(12, 60, 64, 68, 72, 76)
	ADDQ $80, AX
	ADDQ $16, DX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE loop4

tail:
	TESTQ CX, CX
	JEQ epilogue

loop1:
	STEP(0, 0, 4, 8, 12, 16)
	ADDQ $20, AX
	ADDQ $4, DX
	DECQ CX
	JNZ loop1

epilogue:
	MOVQ flags+80(FP), R8
	MOVQ coff+40(FP), DX
	MOVQ c+48(FP), BX
	MOVLQSX 0(R12), DI
	LEAQ (BX)(DI*4), DI
	MOVLQSX 4(R12), SI
	LEAQ (BX)(SI*4), SI
	TESTQ $1, R8
	JNE add

store:
	STORE(0, Y0, Y1)
	STORE(4, Y2, Y3)
	STORE(8, Y4, Y5)
	STORE(12, Y6, Y7)
	STORE(16, Y8, Y9)
	JMP next

add:
	ADDTO(0, Y0, Y1)
	ADDTO(4, Y2, Y3)
	ADDTO(8, Y4, Y5)
	ADDTO(12, Y6, Y7)
	ADDTO(16, Y8, Y9)

next:
	ADDQ $8, R11
	ADDQ $8, R12
	DECQ R10
	JNZ tile
	VZEROUPPER
	RET

// DOTROW(off, y0, y1, y2) loads A row r (at DX+off) into Y15 and adds its
// products with the three B vectors Y12..Y14 to the accumulators y0..y2.
#define DOTROW(off, y0, y1, y2) \
	VMOVUPS off, Y15; \
	VFMADD231PS Y12, Y15, y0; \
	VFMADD231PS Y13, Y15, y1; \
	VFMADD231PS Y14, Y15, y2

// ROWSUM3(y0, y1, y2, x0) adds the lane sums of y0, y1, y2 (lanes summed
// as ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7))) to the three floats at R10; x0
// is the low half of y0.
#define ROWSUM3(y0, y1, y2, x0) \
	VHADDPS y1, y0, y0; \
	VHADDPS y2, y2, y2; \
	VHADDPS y2, y0, y0; \
	VEXTRACTF128 $1, y0, X15; \
	VADDPS X15, x0, x0; \
	VMOVSD (R10), X14; \
	VADDPS X14, x0, X14; \
	VMOVSD X14, (R10); \
	VMOVHLPS x0, x0, X13; \
	VADDSS 8(R10), X13, X13; \
	VMOVSS X13, 8(R10)

// func dot4x3(nimg int, a *float32, lda, aimg int, src *int32, nch int, b *float32, boff *int32, bimg int, c *float32, ldc int)
// See dotGo. nimg, nch >= 1.
TEXT ·dot4x3(SB), NOSPLIT, $0-88
	MOVQ lda+16(FP), DI
	SHLQ $2, DI
	LEAQ (DI)(DI*2), R15
	MOVQ a+8(FP), AX
	MOVQ b+48(FP), SI
	MOVQ nimg+0(FP), R14
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

dimage:
	MOVQ boff+56(FP), DX
	MOVLQSX 0(DX), BX
	LEAQ (SI)(BX*4), BX
	MOVLQSX 4(DX), R8
	LEAQ (SI)(R8*4), R8
	MOVLQSX 8(DX), R9
	LEAQ (SI)(R9*4), R9
	MOVQ src+32(FP), R12
	MOVQ nch+40(FP), CX
	MOVQ AX, DX

dchunk:
	MOVLQSX (R12), R13
	ADDQ $4, R12
	VMOVUPS (BX)(R13*4), Y12
	VMOVUPS (R8)(R13*4), Y13
	VMOVUPS (R9)(R13*4), Y14
	DOTROW((DX), Y0, Y1, Y2)
	DOTROW((DX)(DI*1), Y3, Y4, Y5)
	DOTROW((DX)(DI*2), Y6, Y7, Y8)
	DOTROW((DX)(R15*1), Y9, Y10, Y11)
	ADDQ $32, DX
	DECQ CX
	JNZ dchunk

	MOVQ aimg+24(FP), R13
	LEAQ (AX)(R13*4), AX
	MOVQ bimg+64(FP), R13
	LEAQ (SI)(R13*4), SI
	DECQ R14
	JNZ dimage

	MOVQ c+72(FP), R10
	MOVQ ldc+80(FP), DX
	SHLQ $2, DX
	ROWSUM3(Y0, Y1, Y2, X0)
	ADDQ DX, R10
	ROWSUM3(Y3, Y4, Y5, X3)
	ADDQ DX, R10
	ROWSUM3(Y6, Y7, Y8, X6)
	ADDQ DX, R10
	ROWSUM3(Y9, Y10, Y11, X9)
	VZEROUPPER
	RET

// func sum8(x *float32, n8 int) float32
// The sum of x[i] for i < 8*n8 (n8 >= 1): eight lane sums, added as
// ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7)).
TEXT ·sum8(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n8+8(FP), CX
	VXORPS Y0, Y0, Y0

sumloop:
	VADDPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNZ sumloop
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, ret+16(FP)
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

// POOLLOAD loads the 2x2 windows of a chunk: a, b (top row) into Y2, Y3
// and c, d (bottom row) into Y4, Y5, in the lane order 0 1 4 5 2 3 6 7.
// BX is the top-left of the chunk, R11 the offset of its second half and
// R12 the row stride, in bytes.
#define POOLLOAD \
	VMOVUPS (BX), Y0; \
	VMOVUPS (BX)(R11*1), Y1; \
	VSHUFPS $0x88, Y1, Y0, Y2; \
	VSHUFPS $0xdd, Y1, Y0, Y3; \
	ADDQ R12, BX; \
	VMOVUPS (BX), Y0; \
	VMOVUPS (BX)(R11*1), Y1; \
	VSHUFPS $0x88, Y1, Y0, Y4; \
	VSHUFPS $0xdd, Y1, Y0, Y5

// func maxPool2x2Fwd(x, y *float32, am *int32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base, relu int)
// For every plane and chunk (xoff, yoff) = tab[2i], tab[2i+1]: window l < 8
// of the chunk has its top-left at x[xoff+lanes[l]], where lanes is
// 0, 2, 4, 6 and hi + 0, 2, 4, 6. Its output goes to y[yoff+l] (l < 4) or
// y[yoff+yhi+l-4] (l >= 4): the window's first maximum, and am likewise
// its index base + plane*xplane + xoff + lanes[l] + (0, 1, w or w+1). The
// first four are stored before the last four, so that where the two groups
// overlap, the last four win (equal values, in this use). am may be nil.
// Planes are xplane and yplane elements apart. If relu is not 0, y is
// max(maximum, 0) and windows whose maximum is not positive get argmax -1.
TEXT ·maxPool2x2Fwd(SB), NOSPLIT, $0-112
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ am+16(FP), DX
	MOVQ planes+24(FP), AX
	MOVQ hi+64(FP), R11
	SHLQ $2, R11
	MOVQ yhi+72(FP), R15
	SHLQ $2, R15
	MOVQ w+80(FP), R12
	VPCMPEQD Y15, Y15, Y15
	VPSRLD $31, Y15, Y15          // int 1
	VMOVD R12, X14
	VPBROADCASTD X14, Y14         // int w
	SHLQ $2, R12
	MOVQ lanes+88(FP), R8
	VMOVDQU (R8), Y13             // lanes
	MOVQ base+96(FP), R14
	MOVQ relu+104(FP), R13

fwdplane:
	MOVQ tab+32(FP), R8
	MOVQ nch+40(FP), CX

fwdchunk:
	MOVLQSX 0(R8), R9
	MOVLQSX 4(R8), R10
	LEAQ (SI)(R9*4), BX
	POOLLOAD
	// s1 = b > a, or b is NaN and a is not: !(b <= a) && a == a (and
	// so on), so that the first NaN of a window wins, as in sel.
	VCMPPS $0x06, Y2, Y3, Y6      // !(b <= a)
	VCMPPS $0x07, Y2, Y2, Y0      // a == a
	VANDPS Y0, Y6, Y6             // s1
	VBLENDVPS Y6, Y3, Y2, Y7      // m1 = s1 ? b : a
	VCMPPS $0x06, Y4, Y5, Y8
	VCMPPS $0x07, Y4, Y4, Y1
	VANDPS Y1, Y8, Y8             // s2: d over c
	VBLENDVPS Y8, Y5, Y4, Y9      // m2 = s2 ? d : c
	VCMPPS $0x06, Y7, Y9, Y10
	VCMPPS $0x07, Y7, Y7, Y0
	VANDPS Y0, Y10, Y10           // s3: m2 over m1
	VBLENDVPS Y10, Y9, Y7, Y11    // m = s3 ? m2 : m1
	TESTQ R13, R13
	JEQ fwdstore
	VXORPS Y12, Y12, Y12
	VMAXPS Y11, Y12, Y11          // max(m, 0), NaN propagates
	VADDPS Y12, Y11, Y11          // -0 + 0 = +0, as Go's max(-0, 0)

fwdstore:
	VPERMPD $0xd8, Y11, Y11
	CMPQ R15, $16
	JNE fwdsplity                 // out of line, after the RET
	VMOVUPS Y11, (DI)(R10*4)      // yhi = 4: one store

fwdstored:
	TESTQ DX, DX
	JEQ fwdnext
	VPAND Y15, Y6, Y6             // o1 = s1 & 1
	VPAND Y15, Y8, Y8
	VPADDD Y14, Y8, Y8            // o2 = (s2 & 1) + w
	VBLENDVPS Y10, Y8, Y6, Y6     // o = s3 ? o2 : o1
	VPERMQ $0xd8, Y6, Y6
	LEAQ (R14)(R9*1), BX
	VMOVD BX, X12
	VPBROADCASTD X12, Y12
	VPADDD Y13, Y12, Y12
	VPADDD Y12, Y6, Y6
	TESTQ R13, R13
	JEQ fwdam
	VXORPS Y12, Y12, Y12
	VCMPPS $0x0e, Y12, Y11, Y12   // max > 0
	VPCMPEQD Y10, Y10, Y10
	VBLENDVPS Y12, Y6, Y10, Y6    // else -1

fwdam:
	CMPQ R15, $16
	JNE fwdsplitam
	VMOVDQU Y6, (DX)(R10*4)

fwdnext:
	ADDQ $8, R8
	DECQ CX
	JNZ fwdchunk
	MOVQ xplane+48(FP), R9
	LEAQ (SI)(R9*4), SI
	ADDQ R9, R14
	MOVQ yplane+56(FP), R10
	LEAQ (DI)(R10*4), DI
	TESTQ DX, DX
	JEQ fwdplanenext
	LEAQ (DX)(R10*4), DX

fwdplanenext:
	DECQ AX
	JNZ fwdplane
	VZEROUPPER
	RET

fwdsplity:
	LEAQ (DI)(R10*4), BX
	VMOVUPS X11, (BX)
	VEXTRACTF128 $1, Y11, (BX)(R15*1)
	JMP fwdstored

fwdsplitam:
	LEAQ (DX)(R10*4), BX
	VMOVDQU X6, (BX)
	VEXTRACTI128 $1, Y6, (BX)(R15*1)
	JMP fwdnext

// func maxPool2x2Bwd(dy *float32, am *int32, dx *float32, planes int, tab *int32, nch, xplane, yplane, hi, yhi, w int, lanes *int32, base int)
// The gradient of maxPool2x2Fwd (same chunk table and layout): every cell
// of every window gets the window's dy if it is the window's argmax and 0
// otherwise (so windows with argmax -1 pass nothing), and the windows'
// cells of dx are overwritten, not accumulated.
TEXT ·maxPool2x2Bwd(SB), NOSPLIT, $0-104
	MOVQ dy+0(FP), SI
	MOVQ am+8(FP), DX
	MOVQ dx+16(FP), DI
	MOVQ planes+24(FP), AX
	MOVQ hi+64(FP), R11
	SHLQ $2, R11
	MOVQ yhi+72(FP), R15
	SHLQ $2, R15
	MOVQ w+80(FP), R12
	VMOVD R12, X14
	VPBROADCASTD X14, Y14         // int w
	VPCMPEQD Y15, Y15, Y15
	VPSUBD Y15, Y14, Y15          // int w+1
	VPXOR Y1, Y1, Y1              // int 0
	VPCMPEQD Y7, Y7, Y7
	VPSUBD Y7, Y1, Y7             // int 1
	SHLQ $2, R12
	MOVQ lanes+88(FP), R8
	VMOVDQU (R8), Y13             // lanes
	MOVQ base+96(FP), R14

bwdplane:
	MOVQ tab+32(FP), R8
	MOVQ nch+40(FP), CX

bwdchunk:
	MOVLQSX 0(R8), R9
	MOVLQSX 4(R8), R10
	LEAQ (R14)(R9*1), BX
	VMOVD BX, X12
	VPBROADCASTD X12, Y12
	VPADDD Y13, Y12, Y12
	CMPQ R15, $16
	JNE bwdsplit                  // out of line, after the RET
	VMOVDQU (DX)(R10*4), Y0       // yhi = 4: one load each
	VMOVUPS (SI)(R10*4), Y2

bwdloaded:
	VPSUBD Y12, Y0, Y0            // offset of the argmax in its window; Y2: g
	VPCMPEQD Y1, Y0, Y3
	VANDPS Y2, Y3, Y3             // a: offset 0
	VPCMPEQD Y14, Y0, Y5
	VANDPS Y2, Y5, Y5             // c: offset w
	VPCMPEQD Y15, Y0, Y6
	VANDPS Y2, Y6, Y6             // d: offset w+1
	VPCMPEQD Y7, Y0, Y4
	VANDPS Y2, Y4, Y4             // b: offset 1
	LEAQ (DI)(R9*4), BX
	VUNPCKLPS Y4, Y3, Y8          // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS Y4, Y3, Y9          // a2 b2 a3 b3 | a6 b6 a7 b7
	VPERM2F128 $0x20, Y9, Y8, Y10
	VPERM2F128 $0x31, Y9, Y8, Y11
	VMOVUPS Y10, (BX)
	VMOVUPS Y11, (BX)(R11*1)
	ADDQ R12, BX
	VUNPCKLPS Y6, Y5, Y8
	VUNPCKHPS Y6, Y5, Y9
	VPERM2F128 $0x20, Y9, Y8, Y10
	VPERM2F128 $0x31, Y9, Y8, Y11
	VMOVUPS Y10, (BX)
	VMOVUPS Y11, (BX)(R11*1)
	ADDQ $8, R8
	DECQ CX
	JNZ bwdchunk
	MOVQ xplane+48(FP), R9
	LEAQ (DI)(R9*4), DI
	ADDQ R9, R14
	MOVQ yplane+56(FP), R10
	LEAQ (SI)(R10*4), SI
	LEAQ (DX)(R10*4), DX
	DECQ AX
	JNZ bwdplane
	VZEROUPPER
	RET

bwdsplit:
	LEAQ (DX)(R10*4), BX
	VMOVDQU (BX), X0
	VINSERTI128 $1, (BX)(R15*1), Y0, Y0
	LEAQ (SI)(R10*4), BX
	VMOVUPS (BX), X2
	VINSERTF128 $1, (BX)(R15*1), Y2, Y2
	JMP bwdloaded

// PDROWS(y0, y1, y2, y3, y4) adds g (Y11) times the five rows at R12,
// R12+R10, ..., R12+4*R10 to y0..y4.
#define PDROWS(y0, y1, y2, y3, y4) \
	VFMADD231PS (R12), Y11, y0; \
	VFMADD231PS (R12)(R10*1), Y11, y1; \
	VFMADD231PS (R12)(R10*2), Y11, y2; \
	LEAQ (R12)(R10*2), R13; \
	VFMADD231PS (R13)(R10*1), Y11, y3; \
	VFMADD231PS (R13)(R10*2), Y11, y4

// POOLDOT(name, two) defines name(nf int, cnt *int32, list *float32,
// x *float32, wrow, wch int, acc *float32, accf int, sums *float32): for
// every filter f < nf and each of its cnt[f] entries (v, off) in list
// (float32 v, int32 off; filter f's entries follow filter f-1's), it adds
// v times the eight floats at x + off + c*wch + i*wrow to acc[f*accf +
// 8*(5c+i)] for i < 5 and c < 1 (two: c < 2), and v to sums[f] if sums is
// not nil. The entries' loads do not depend on earlier results, so the
// out-of-order core can run ahead of the FMAs.
#define POOLDOT(name, two) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVQ cnt+8(FP), DX; \
	MOVQ list+16(FP), BX; \
	MOVQ x+24(FP), SI; \
	MOVQ wrow+32(FP), R10; \
	SHLQ $2, R10; \
	MOVQ wch+40(FP), R11; \
	SHLQ $2, R11; \
	MOVQ acc+48(FP), DI; \
	MOVQ accf+56(FP), R8; \
	SHLQ $2, R8; \
	MOVQ sums+64(FP), CX; \
	MOVQ nf+0(FP), R14; \
filter: \
	MOVLQSX (DX), AX; \
	ADDQ $4, DX; \
	TESTQ AX, AX; \
	JEQ nextfilter; \
	VXORPS X12, X12, X12; \
	VMOVUPS (DI), Y0; \
	VMOVUPS 32(DI), Y1; \
	VMOVUPS 64(DI), Y2; \
	VMOVUPS 96(DI), Y3; \
	VMOVUPS 128(DI), Y4; \
	VMOVUPS 160(DI), Y5; \
	VMOVUPS 192(DI), Y6; \
	VMOVUPS 224(DI), Y7; \
	VMOVUPS 256(DI), Y8; \
	VMOVUPS 288(DI), Y9; \
entry: \
	VBROADCASTSS (BX), Y11; \
	MOVLQSX 4(BX), R9; \
	ADDQ $8, BX; \
	LEAQ (SI)(R9*4), R12; \
	VADDSS X11, X12, X12; \
	PDROWS(Y0, Y1, Y2, Y3, Y4); \
	two; \
	DECQ AX; \
	JNZ entry; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	VMOVUPS Y4, 128(DI); \
	VMOVUPS Y5, 160(DI); \
	VMOVUPS Y6, 192(DI); \
	VMOVUPS Y7, 224(DI); \
	VMOVUPS Y8, 256(DI); \
	VMOVUPS Y9, 288(DI); \
	TESTQ CX, CX; \
	JEQ nextfilter; \
	VADDSS (CX), X12, X12; \
	VMOVSS X12, (CX); \
nextfilter: \
	TESTQ CX, CX; \
	JEQ nextacc; \
	ADDQ $4, CX; \
nextacc: \
	ADDQ R8, DI; \
	DECQ R14; \
	JNZ filter; \
	VZEROUPPER; \
	RET

#define SECOND \
	ADDQ R11, R12; \
	PDROWS(Y5, Y6, Y7, Y8, Y9)

#define NONE

POOLDOT(·poolDot5, NONE)
POOLDOT(·poolDot10, SECOND)

// func poolList(nf, npo int, dq *float32, am *int32, amoff, amf int, src *int32, np int, list *float32, cnt *int32)
// For every filter f < nf and window o < npo of the planes dq, am (filter
// f's at f*npo): with p = am - amoff - f*amf, windows with 0 <= p < np are
// appended to list as (dq, src[p]) (float32, int32) and cnt[f] gets their
// number. Branch-free: every window is written, and overwritten by the
// next one unless valid. nf, npo >= 1.
TEXT ·poolList(SB), NOSPLIT, $0-80
	MOVQ dq+16(FP), BX
	MOVQ am+24(FP), DX
	MOVQ amoff+32(FP), R8
	MOVQ src+48(FP), SI
	MOVQ list+64(FP), DI
	XORQ R13, R13
	MOVQ nf+0(FP), CX

listfilter:
	MOVQ R13, R14
	MOVQ npo+8(FP), AX

listwindow:
	MOVLQSX (DX), R9
	ADDQ $4, DX
	SUBQ R8, R9
	CMPQ R9, np+56(FP)
	SBBQ R10, R10                 // -1 if 0 <= p < np
	ANDQ R10, R9
	MOVL (SI)(R9*4), R11
	MOVL (BX), R12
	ADDQ $4, BX
	ANDL R10, R12
	MOVL R12, (DI)(R13*8)
	MOVL R11, 4(DI)(R13*8)
	SUBQ R10, R13
	DECQ AX
	JNZ listwindow

	MOVQ nf+0(FP), R9
	SUBQ CX, R9                   // f
	MOVQ R13, R10
	SUBQ R14, R10
	MOVQ cnt+72(FP), R11
	MOVL R10, (R11)(R9*4)
	ADDQ amf+40(FP), R8
	DECQ CX
	JNZ listfilter
	RET

// func copyRows(dst *float32, dpitch int, src *float32, spitch int, rows, n, left, width int)
// For r < rows, row r of dst (width floats at dst + r*dpitch) gets the n
// floats of row r of src (at src + r*spitch) at [left, left+n) and zeros
// elsewhere: it is first cleared in [0, 8) and [width-8, width), so n >= 8,
// width >= 8, left <= 8 and left+n >= width-8. Blocks of 8 floats; the
// last overlaps the one before.
TEXT ·copyRows(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dpitch+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ spitch+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), R10
	MOVQ n+40(FP), R13
	SHLQ $2, R13
	SUBQ $32, R13                 // byte offset of the last block
	MOVQ left+48(FP), R11
	SHLQ $2, R11
	MOVQ width+56(FP), R12
	SHLQ $2, R12
	SUBQ $32, R12                 // byte offset of the last 8 floats of a row
	VXORPS Y0, Y0, Y0

crow:
	VMOVUPS Y0, (DI)
	VMOVUPS Y0, (DI)(R12*1)
	LEAQ (DI)(R11*1), DX
	XORQ AX, AX

cblock:
	CMPQ AX, R13
	JGE clast
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS Y1, (DX)(AX*1)
	ADDQ $32, AX
	JMP cblock

clast:
	VMOVUPS (SI)(R13*1), Y1
	VMOVUPS Y1, (DX)(R13*1)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ crow
	VZEROUPPER
	RET

// func copyRows4(dst *float32, dpitch int, src *float32, spitch int, rows, n, left, width int)
// copyRows with blocks of 4 floats: n >= 4, width >= 4, left <= 4 and
// left+n >= width-4.
TEXT ·copyRows4(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ dpitch+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ spitch+24(FP), R9
	SHLQ $2, R9
	MOVQ rows+32(FP), R10
	MOVQ n+40(FP), R13
	SHLQ $2, R13
	SUBQ $16, R13
	MOVQ left+48(FP), R11
	SHLQ $2, R11
	MOVQ width+56(FP), R12
	SHLQ $2, R12
	SUBQ $16, R12
	VXORPS X0, X0, X0

c4row:
	VMOVUPS X0, (DI)
	VMOVUPS X0, (DI)(R12*1)
	LEAQ (DI)(R11*1), DX
	XORQ AX, AX

c4block:
	CMPQ AX, R13
	JGE c4last
	VMOVUPS (SI)(AX*1), X1
	VMOVUPS X1, (DX)(AX*1)
	ADDQ $16, AX
	JMP c4block

c4last:
	VMOVUPS (SI)(R13*1), X1
	VMOVUPS X1, (DX)(R13*1)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R10
	JNZ c4row
	RET

// DEINTROWS(name, z, zb, registers, shuffle) defines (zb = 4z bytes)
// name(src *float32, spitch int, d0, d1 *float32, dpitch, rows, n, u0, width int):
// for r < rows, with s = src + r*spitch and e0, e1 = d0, d1 + r*dpitch:
// e0 and e1 are cleared in [0, z) and [width-z, width), then
// e0[u0+k] = s[2k] and e1[u0+k] = s[2k+1] for k < n, in blocks of z
// pairs, the last overlapping the one before. n >= z, width >= z.
#define DEINTROWS(name, z, zb, V0, V1, V2, V3, shuf) \
TEXT name(SB), NOSPLIT, $0-72; \
	MOVQ src+0(FP), SI; \
	MOVQ spitch+8(FP), R8; \
	SHLQ $2, R8; \
	MOVQ d0+16(FP), DI; \
	MOVQ d1+24(FP), DX; \
	MOVQ dpitch+32(FP), R9; \
	SHLQ $2, R9; \
	MOVQ rows+40(FP), R10; \
	MOVQ n+48(FP), CX; \
	MOVQ CX, BX; \
	SUBQ $z, BX; \
	MOVQ u0+56(FP), R11; \
	SHLQ $2, R11; \
	MOVQ width+64(FP), R12; \
	SUBQ $z, R12; \
	SHLQ $2, R12; \
	VXORPS V3, V3, V3; \
drow: \
	VMOVUPS V3, (DI); \
	VMOVUPS V3, (DI)(R12*1); \
	VMOVUPS V3, (DX); \
	VMOVUPS V3, (DX)(R12*1); \
	LEAQ (DI)(R11*1), R13; \
	LEAQ (DX)(R11*1), R14; \
	XORQ AX, AX; \
dnext: \
	CMPQ AX, BX; \
	JLE dblock; \
	CMPQ AX, CX; \
	JGE ddone; \
	MOVQ BX, AX; \
dblock: \
	VMOVUPS (SI)(AX*8), V0; \
	VMOVUPS zb(SI)(AX*8), V1; \
	VSHUFPS $0x88, V1, V0, V2; \
	VSHUFPS $0xdd, V1, V0, V0; \
	shuf; \
	VMOVUPS V2, (R13)(AX*4); \
	VMOVUPS V0, (R14)(AX*4); \
	ADDQ $z, AX; \
	JMP dnext; \
ddone: \
	ADDQ R8, SI; \
	ADDQ R9, DI; \
	ADDQ R9, DX; \
	DECQ R10; \
	JNZ drow; \
	VZEROUPPER; \
	RET

#define PERM8 VPERMPD $0xd8, Y2, Y2; VPERMPD $0xd8, Y0, Y0

DEINTROWS(·deintRows8, 8, 32, Y0, Y1, Y2, Y3, PERM8)
DEINTROWS(·deintRows4, 4, 16, X0, X1, X2, X3, NONE)

// INTROWS(name, z, zb, registers, join) defines
// name(s0, s1 *float32, spitch int, dst *float32, dpitch, rows, n int):
// for r < rows, with e = dst + r*dpitch and a, b = s0, s1 + r*spitch:
// e[2k] = a[k] and e[2k+1] = b[k] for k < n, in blocks of z pairs, the
// last overlapping the one before. n >= z.
#define INTROWS(name, z, zb, V0, V1, V2, V3, join) \
TEXT name(SB), NOSPLIT, $0-56; \
	MOVQ s0+0(FP), SI; \
	MOVQ s1+8(FP), DX; \
	MOVQ spitch+16(FP), R8; \
	SHLQ $2, R8; \
	MOVQ dst+24(FP), DI; \
	MOVQ dpitch+32(FP), R9; \
	SHLQ $2, R9; \
	MOVQ rows+40(FP), R10; \
	MOVQ n+48(FP), CX; \
	MOVQ CX, BX; \
	SUBQ $z, BX; \
irow: \
	XORQ AX, AX; \
inext: \
	CMPQ AX, BX; \
	JLE iblock; \
	CMPQ AX, CX; \
	JGE idone; \
	MOVQ BX, AX; \
iblock: \
	VMOVUPS (SI)(AX*4), V0; \
	VMOVUPS (DX)(AX*4), V1; \
	VUNPCKLPS V1, V0, V2; \
	VUNPCKHPS V1, V0, V3; \
	join; \
	VMOVUPS V2, (DI)(AX*8); \
	VMOVUPS V3, zb(DI)(AX*8); \
	ADDQ $z, AX; \
	JMP inext; \
idone: \
	ADDQ R8, SI; \
	ADDQ R8, DX; \
	ADDQ R9, DI; \
	DECQ R10; \
	JNZ irow; \
	VZEROUPPER; \
	RET

#define JOIN8 VPERM2F128 $0x20, Y3, Y2, Y0; VPERM2F128 $0x31, Y3, Y2, Y3; VMOVAPS Y0, Y2

INTROWS(·intRows8, 8, 32, Y0, Y1, Y2, Y3, JOIN8)
INTROWS(·intRows4, 4, 16, X0, X1, X2, X3, NONE)

// func scaleShift8(x, y *float32, n8 int, a, b float32)
// y[i] = a*x[i] + b for i < 8*n8, a product rounded before the sum (no
// FMA), as Go computes it. n8 must be >= 1.
TEXT ·scaleShift8(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n8+16(FP), CX
	VBROADCASTSS a+24(FP), Y1
	VBROADCASTSS b+28(FP), Y2

scales:
	VMULPS (SI), Y1, Y0
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNZ scales
	VZEROUPPER
	RET

// func gemv32(k int, a *float32, b *float32, ldb int, c *float32)
// c[j] += Σ_{p<k} a[p]·b[p*ldb+j] for j < 32, the sum kept in registers
// from zero with one fused multiply-add per p in order, then added to c:
// the values gemm5x16 gives a row of C with kAdd. k >= 1.
TEXT ·gemv32(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

gemvloop:
	VBROADCASTSS (AX), Y4
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y4, Y1
	VFMADD231PS 64(SI), Y4, Y2
	VFMADD231PS 96(SI), Y4, Y3
	ADDQ $4, AX
	ADDQ DX, SI
	DECQ CX
	JNZ gemvloop
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS 64(DI), Y2, Y2
	VADDPS 96(DI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

// func gemvTail(k int, a *float32, b *float32, ldb int, c *float32, mask *int32, nv int)
// gemv32 for the first columns of a row of fewer than 32: lane j of the
// 8-wide vector v (v < nv <= 4) is column 8v+j, and takes part when
// mask[8v+j] is -1 (it is 0 past the last column). B and C are read and
// written through the masks only, so no value past the last column is
// touched. Each column's sum is the one gemv32 forms. k >= 1.
TEXT ·gemvTail(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	MOVQ mask+40(FP), BX
	MOVQ nv+48(FP), R8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VMOVDQU (BX), Y8
	VMOVDQU 32(BX), Y9
	CMPQ R8, $2
	JGT tail4

tail2loop:
	VBROADCASTSS (AX), Y4
	VMASKMOVPS (SI), Y8, Y5
	VMASKMOVPS 32(SI), Y9, Y6
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	ADDQ $4, AX
	ADDQ DX, SI
	DECQ CX
	JNZ tail2loop
	VMASKMOVPS (DI), Y8, Y5
	VMASKMOVPS 32(DI), Y9, Y6
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y1, Y1
	VMASKMOVPS Y0, Y8, (DI)
	VMASKMOVPS Y1, Y9, 32(DI)
	VZEROUPPER
	RET

tail4:
	VMOVDQU 64(BX), Y10
	VMOVDQU 96(BX), Y11

tail4loop:
	VBROADCASTSS (AX), Y4
	VMOVUPS (SI), Y5
	VMASKMOVPS 32(SI), Y9, Y6
	VMASKMOVPS 64(SI), Y10, Y7
	VMASKMOVPS 96(SI), Y11, Y12
	VFMADD231PS Y5, Y4, Y0
	VFMADD231PS Y6, Y4, Y1
	VFMADD231PS Y7, Y4, Y2
	VFMADD231PS Y12, Y4, Y3
	ADDQ $4, AX
	ADDQ DX, SI
	DECQ CX
	JNZ tail4loop
	VADDPS (DI), Y0, Y0
	VMASKMOVPS 32(DI), Y9, Y6
	VMASKMOVPS 64(DI), Y10, Y7
	VMASKMOVPS 96(DI), Y11, Y12
	VADDPS Y6, Y1, Y1
	VADDPS Y7, Y2, Y2
	VADDPS Y12, Y3, Y3
	VMOVUPS Y0, (DI)
	VMASKMOVPS Y1, Y9, 32(DI)
	VMASKMOVPS Y2, Y10, 64(DI)
	VMASKMOVPS Y3, Y11, 96(DI)
	VZEROUPPER
	RET

// func finite32(x *float32, n32 int) int
// Returns how many of the n32 blocks of 32 values at x hold only finite
// values before the first block that holds a NaN or an infinity: a value
// is one when its magnitude bits (all but the sign) exceed 0x7f7fffff.
TEXT ·finite32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n32+8(FP), CX
	XORQ AX, AX
	MOVL $0x7fffffff, DX
	MOVQ DX, X6
	VPBROADCASTD X6, Y6
	MOVL $0x7f7fffff, DX
	MOVQ DX, X7
	VPBROADCASTD X7, Y7
	TESTQ CX, CX
	JZ finitedone

finiteloop:
	VPAND (SI), Y6, Y0
	VPAND 32(SI), Y6, Y1
	VPAND 64(SI), Y6, Y2
	VPAND 96(SI), Y6, Y3
	VPCMPGTD Y7, Y0, Y0
	VPCMPGTD Y7, Y1, Y1
	VPCMPGTD Y7, Y2, Y2
	VPCMPGTD Y7, Y3, Y3
	VPOR Y1, Y0, Y0
	VPOR Y3, Y2, Y2
	VPOR Y2, Y0, Y0
	VPTEST Y0, Y0
	JNZ finitedone
	ADDQ $128, SI
	INCQ AX
	DECQ CX
	JNZ finiteloop

finitedone:
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

// One step of gemvBlocks for block j: its a value broadcast from (ap), 16
// values of its B row at (bp), into accumulators acc0 and acc1.
#define BLOCKSTEP(ap, bp, bc, acc0, acc1) \
	VBROADCASTSS (ap), bc; \
	VMOVUPS (bp), Y14; \
	VMOVUPS 32(bp), Y15; \
	VFMADD231PS Y14, bc, acc0; \
	VFMADD231PS Y15, bc, acc1

// func gemvBlocks(k int, a *float32, b *float32, ldb int, c *float32, mask *int32, nb int)
// gemvTail (nv <= 2) for nb consecutive blocks of k values of a and k rows
// of B (1 <= nb <= 4; block j starts at a[j*k] and at row j*k of B), the
// blocks summed side by side, each from zero in its own accumulators, and
// added to c one after the other: c = (((c + t0) + t1) + t2) + t3, the
// values nb calls of gemvTail give, with nb times fewer steps in a row.
// With fewer than four blocks, the unused blocks' steps rerun block 0
// (the fourth's are left out) and are dropped. B is read 16
// values a row whatever the mask, unmasked (a masked load costs more than
// the chains it would feed): the caller sees that those reads stay inside
// B; the lanes past the mask are never stored.
TEXT ·gemvBlocks(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	MOVQ mask+40(FP), R8
	VMOVDQU (R8), Y8
	VMOVDQU 32(R8), Y9
	MOVQ nb+48(FP), R8
	// Block j's a at AX + 4jk (BX, R10, R12 for j = 1, 2, 3), its B at
	// SI + j·k·ldb·4 (R9, R11, R13); an unused block's at block 0's.
	MOVQ CX, BX
	SHLQ $2, BX
	MOVQ CX, R9
	IMULQ DX, R9
	LEAQ (AX)(BX*2), R10
	LEAQ (SI)(R9*2), R11
	MOVQ R10, R12
	ADDQ BX, R12
	MOVQ R11, R13
	ADDQ R9, R13
	ADDQ AX, BX
	ADDQ SI, R9
	CMPQ R8, $4
	CMOVQLT AX, R12
	CMOVQLT SI, R13
	CMPQ R8, $3
	CMOVQLT AX, R10
	CMOVQLT SI, R11
	CMPQ R8, $2
	CMOVQLT AX, BX
	CMOVQLT SI, R9
blkgo:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ R8, $4
	JLT blkloop3

blkloop:
	BLOCKSTEP(AX, SI, Y10, Y0, Y1)
	BLOCKSTEP(BX, R9, Y11, Y2, Y3)
	BLOCKSTEP(R10, R11, Y12, Y4, Y5)
	BLOCKSTEP(R12, R13, Y13, Y6, Y7)
	ADDQ $4, AX
	ADDQ $4, BX
	ADDQ $4, R10
	ADDQ $4, R12
	ADDQ DX, SI
	ADDQ DX, R9
	ADDQ DX, R11
	ADDQ DX, R13
	DECQ CX
	JNZ blkloop
	JMP blksum

	// At most three blocks: the fourth's steps are left out.
blkloop3:
	BLOCKSTEP(AX, SI, Y10, Y0, Y1)
	BLOCKSTEP(BX, R9, Y11, Y2, Y3)
	BLOCKSTEP(R10, R11, Y12, Y4, Y5)
	ADDQ $4, AX
	ADDQ $4, BX
	ADDQ $4, R10
	ADDQ DX, SI
	ADDQ DX, R9
	ADDQ DX, R11
	DECQ CX
	JNZ blkloop3

blksum:
	MOVQ nb+48(FP), R8
	VMASKMOVPS (DI), Y8, Y14
	VMASKMOVPS 32(DI), Y9, Y15
	VADDPS Y0, Y14, Y14
	VADDPS Y1, Y15, Y15
	CMPQ R8, $2
	JLT blkstore
	VADDPS Y2, Y14, Y14
	VADDPS Y3, Y15, Y15
	CMPQ R8, $3
	JLT blkstore
	VADDPS Y4, Y14, Y14
	VADDPS Y5, Y15, Y15
	CMPQ R8, $4
	JLT blkstore
	VADDPS Y6, Y14, Y14
	VADDPS Y7, Y15, Y15
blkstore:
	VMASKMOVPS Y14, Y8, (DI)
	VMASKMOVPS Y15, Y9, 32(DI)
	VZEROUPPER
	RET

// func gemv64(k int, a *float32, b *float32, ldb int, c *float32)
// gemv32 for 64 columns: two groups of 32 side by side, so that eight
// chains of multiply-adds, not four, keep the FMA units busy. Each
// column's sum is the one gemv32 forms. k >= 1.
TEXT ·gemv64(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

gemv64loop:
	VBROADCASTSS (AX), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y8, Y1
	VFMADD231PS 64(SI), Y8, Y2
	VFMADD231PS 96(SI), Y8, Y3
	VFMADD231PS 128(SI), Y8, Y4
	VFMADD231PS 160(SI), Y8, Y5
	VFMADD231PS 192(SI), Y8, Y6
	VFMADD231PS 224(SI), Y8, Y7
	ADDQ $4, AX
	ADDQ DX, SI
	DECQ CX
	JNZ gemv64loop
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS 64(DI), Y2, Y2
	VADDPS 96(DI), Y3, Y3
	VADDPS 128(DI), Y4, Y4
	VADDPS 160(DI), Y5, Y5
	VADDPS 192(DI), Y6, Y6
	VADDPS 224(DI), Y7, Y7
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VZEROUPPER
	RET
