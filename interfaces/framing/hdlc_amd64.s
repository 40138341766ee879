//go:build amd64 && !purego

#include "textflag.h"

// Both loops load 16 source bytes, store them to the destination as they
// are, and compare them with the flag (0x7E) and the escape (0x7D). A clean
// block is done; otherwise the bytes before the first special one were
// stored already, the special byte is handled, and the loop reloads from
// just after it.

// SPECIALS sets AX to a bit mask of the flag and escape bytes among the 16
// bytes at SI, after storing them at DI. X1 holds sixteen flags, X2
// sixteen escapes.
#define SPECIALS \
	MOVOU (SI), X0 \
	MOVOU X0, (DI) \
	MOVO X0, X3 \
	PCMPEQB X1, X3 \
	PCMPEQB X2, X0 \
	POR X3, X0 \
	PMOVMSKB X0, AX

#define SETUP \
	MOVQ dst_base+0(FP), DI \
	MOVQ dst_len+8(FP), R8 \
	MOVQ src_base+24(FP), SI \
	MOVQ src_len+32(FP), R9 \
	MOVQ DI, R10 \
	MOVQ SI, R11 \
	MOVQ $0x7e7e7e7e7e7e7e7e, AX \
	MOVQ AX, X1 \
	PUNPCKLQDQ X1, X1 \
	MOVQ $0x7d7d7d7d7d7d7d7d, AX \
	MOVQ AX, X2 \
	PUNPCKLQDQ X2, X2

#define RETURN \
	SUBQ R11, SI \
	MOVQ SI, nsrc+48(FP) \
	SUBQ R10, DI \
	MOVQ DI, ndst+56(FP) \
	RET

// func escapeRun(dst, src []byte) (nsrc, ndst int)
TEXT ·escapeRun(SB), NOSPLIT, $0-64
	SETUP

eloop:
	CMPQ R9, $16
	JLT  edone
	CMPQ R8, $32
	JLT  edone
	SPECIALS
	TESTL AX, AX
	JNZ   especial
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, R9
	SUBQ  $16, R8
	JMP   eloop

especial:
	// CX bytes before the special one went out as they are; it becomes
	// 0x7D, byte^0x20.
	BSFL    AX, CX
	ADDQ    CX, DI
	MOVBLZX (SI)(CX*1), DX
	XORL    $0x20, DX
	MOVB    $0x7d, (DI)
	MOVB    DX, 1(DI)
	ADDQ    $2, DI
	LEAQ    1(SI)(CX*1), SI
	SUBQ    CX, R9
	DECQ    R9
	SUBQ    CX, R8
	SUBQ    $2, R8
	JMP     eloop

edone:
	RETURN

// func unescapeRun(dst, src []byte) (nsrc, ndst int)
TEXT ·unescapeRun(SB), NOSPLIT, $0-64
	SETUP

uloop:
	CMPQ R9, $16
	JLT  udone
	CMPQ R8, $16
	JLT  udone
	SPECIALS
	TESTL AX, AX
	JNZ   uspecial
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, R9
	SUBQ  $16, R8
	JMP   uloop

uspecial:
	// Keep the CX ordinary bytes, then stop at a flag, or decode an
	// escape pair into one byte.
	BSFL    AX, CX
	ADDQ    CX, DI
	ADDQ    CX, SI
	SUBQ    CX, R9
	SUBQ    CX, R8
	MOVBLZX (SI), DX
	CMPB    DX, $0x7e
	JEQ     udone
	CMPQ    R9, $2
	JLT     udone
	MOVBLZX 1(SI), DX
	CMPB    DX, $0x5e
	JEQ     uflag
	CMPB    DX, $0x5d
	JNE     udone
	MOVB    $0x7d, (DI)
	JMP     upair

uflag:
	MOVB $0x7e, (DI)

upair:
	INCQ DI
	DECQ R8
	ADDQ $2, SI
	SUBQ $2, R9
	JMP  uloop

udone:
	RETURN
