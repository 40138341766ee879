//go:build amd64 && !purego

#include "textflag.h"

// Each byte's bits reversed with two 16-entry table lookups (PSHUFB):
// the low nibble's reverse becomes the high nibble, and the other way.

DATA revLow<>+0(SB)/8, $0xe060a020c0408000
DATA revLow<>+8(SB)/8, $0xf070b030d0509010
GLOBL revLow<>(SB), RODATA|NOPTR, $16

DATA revHigh<>+0(SB)/8, $0x0e060a020c040800
DATA revHigh<>+8(SB)/8, $0x0f070b030d050901
GLOBL revHigh<>(SB), RODATA|NOPTR, $16

DATA nibbles<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA nibbles<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL nibbles<>(SB), RODATA|NOPTR, $16

// func reverseBitsSSSE3(dst, src *byte, n int)
// n is a multiple of 16.
TEXT ·reverseBitsSSSE3(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVOU revLow<>(SB), X4
	MOVOU revHigh<>(SB), X5
	MOVOU nibbles<>(SB), X6

loop:
	CMPQ CX, $16
	JB   done
	MOVOU (SI), X0
	MOVOU X0, X1
	PSRLW $4, X1
	PAND  X6, X0
	PAND  X6, X1
	MOVOU X4, X2
	PSHUFB X0, X2
	MOVOU X5, X3
	PSHUFB X1, X3
	POR   X3, X2
	MOVOU X2, (DI)
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, CX
	JMP   loop

done:
	RET
