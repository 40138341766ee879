//go:build amd64 && !purego

#include "textflag.h"

// One AES-256 key-schedule step (FIPS 197, 5.2) with AES-NI, after the
// Intel white paper "Intel Advanced Encryption Standard (AES) New
// Instructions Set": X2 holds AESKEYGENASSIST of the other half, PSHUFD
// picks the word to use, and the shifts xor each word of k into the
// words after it.
#define STEP(sel, k) \
	PSHUFD $sel, X2, X2; \
	MOVOU  k, X4; \
	PSLLO  $4, X4; \
	PXOR   X4, k; \
	PSLLO  $4, X4; \
	PXOR   X4, k; \
	PSLLO  $4, X4; \
	PXOR   X4, k; \
	PXOR   X2, k

// EXPAND writes the next two round keys, at off and off+16 of BX: X1
// from X3 with round constant rcon, then X3 from the new X1.
#define EXPAND(rcon, off) \
	AESKEYGENASSIST $rcon, X3, X2; \
	STEP(0xff, X1); \
	MOVOU X1, off(BX); \
	AESKEYGENASSIST $0x00, X1, X2; \
	STEP(0xaa, X3); \
	MOVOU X3, off+16(BX)

// INVERT writes the decryption round key at to of CX: InvMixColumns of
// the encryption round key at from of BX.
#define INVERT(from, to) \
	MOVOU  from(BX), X0; \
	AESIMC X0, X0; \
	MOVOU  X0, to(CX)

// func expandKey256(key, enc, dec *byte)
TEXT ·expandKey256(SB), NOSPLIT, $0-24
	MOVQ  key+0(FP), AX
	MOVQ  enc+8(FP), BX
	MOVQ  dec+16(FP), CX
	MOVOU (AX), X1
	MOVOU 16(AX), X3
	MOVOU X1, (BX)
	MOVOU X3, 16(BX)
	EXPAND(0x01, 32)
	EXPAND(0x02, 64)
	EXPAND(0x04, 96)
	EXPAND(0x08, 128)
	EXPAND(0x10, 160)
	EXPAND(0x20, 192)
	AESKEYGENASSIST $0x40, X3, X2
	STEP(0xff, X1)
	MOVOU X1, 224(BX)

	// Decryption keys: the encryption keys in reverse, with
	// InvMixColumns on all but the first and last (the equivalent
	// inverse cipher, FIPS 197 5.3.5).
	MOVOU 224(BX), X0
	MOVOU X0, (CX)
	INVERT(208, 16)
	INVERT(192, 32)
	INVERT(176, 48)
	INVERT(160, 64)
	INVERT(144, 80)
	INVERT(128, 96)
	INVERT(112, 112)
	INVERT(96, 128)
	INVERT(80, 144)
	INVERT(64, 160)
	INVERT(48, 176)
	INVERT(32, 192)
	INVERT(16, 208)
	MOVOU (BX), X0
	MOVOU X0, 224(CX)
	RET

// ROUND8 runs one decryption round, with the round key at off of AX, on
// the eight blocks in X0-X7.
#define ROUND8(off) \
	MOVOU  off(AX), X8; \
	AESDEC X8, X0; \
	AESDEC X8, X1; \
	AESDEC X8, X2; \
	AESDEC X8, X3; \
	AESDEC X8, X4; \
	AESDEC X8, X5; \
	AESDEC X8, X6; \
	AESDEC X8, X7

// ROUND1 runs one decryption round on the block in X0.
#define ROUND1(off) \
	MOVOU  off(AX), X8; \
	AESDEC X8, X0

// func cbcDecrypt256(dec *byte, iv *[16]byte, dst, src *byte, n int)
//
// X14 carries the ciphertext block before the ones being decrypted.
// Eight blocks go through the rounds together; their ciphertext is read
// again from src for the chaining xor before any output is stored, so
// dst may be src or start before it.
TEXT ·cbcDecrypt256(SB), NOSPLIT, $0-40
	MOVQ  dec+0(FP), AX
	MOVQ  iv+8(FP), BX
	MOVQ  dst+16(FP), DI
	MOVQ  src+24(FP), SI
	MOVQ  n+32(FP), CX
	MOVOU (BX), X14
	CMPQ  CX, $128
	JB    single

loop8:
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	MOVOU (AX), X8
	PXOR  X8, X0
	PXOR  X8, X1
	PXOR  X8, X2
	PXOR  X8, X3
	PXOR  X8, X4
	PXOR  X8, X5
	PXOR  X8, X6
	PXOR  X8, X7
	ROUND8(16)
	ROUND8(32)
	ROUND8(48)
	ROUND8(64)
	ROUND8(80)
	ROUND8(96)
	ROUND8(112)
	ROUND8(128)
	ROUND8(144)
	ROUND8(160)
	ROUND8(176)
	ROUND8(192)
	ROUND8(208)
	MOVOU 224(AX), X8
	AESDECLAST X8, X0
	AESDECLAST X8, X1
	AESDECLAST X8, X2
	AESDECLAST X8, X3
	AESDECLAST X8, X4
	AESDECLAST X8, X5
	AESDECLAST X8, X6
	AESDECLAST X8, X7
	PXOR  X14, X0
	MOVOU 0(SI), X8
	PXOR  X8, X1
	MOVOU 16(SI), X8
	PXOR  X8, X2
	MOVOU 32(SI), X8
	PXOR  X8, X3
	MOVOU 48(SI), X8
	PXOR  X8, X4
	MOVOU 64(SI), X8
	PXOR  X8, X5
	MOVOU 80(SI), X8
	PXOR  X8, X6
	MOVOU 96(SI), X8
	PXOR  X8, X7
	MOVOU 112(SI), X14
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	MOVOU X2, 32(DI)
	MOVOU X3, 48(DI)
	MOVOU X4, 64(DI)
	MOVOU X5, 80(DI)
	MOVOU X6, 96(DI)
	MOVOU X7, 112(DI)
	ADDQ  $128, SI
	ADDQ  $128, DI
	SUBQ  $128, CX
	CMPQ  CX, $128
	JAE   loop8

single:
	CMPQ  CX, $16
	JB    done
	MOVOU (SI), X0
	MOVOU X0, X9
	MOVOU (AX), X8
	PXOR  X8, X0
	ROUND1(16)
	ROUND1(32)
	ROUND1(48)
	ROUND1(64)
	ROUND1(80)
	ROUND1(96)
	ROUND1(112)
	ROUND1(128)
	ROUND1(144)
	ROUND1(160)
	ROUND1(176)
	ROUND1(192)
	ROUND1(208)
	MOVOU 224(AX), X8
	AESDECLAST X8, X0
	PXOR  X14, X0
	MOVOU X9, X14
	MOVOU X0, (DI)
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, CX
	JMP   single

done:
	MOVOU X14, (BX)
	RET
