//go:build amd64 && !purego

#include "textflag.h"

// SHA-256 with the x86 SHA extensions, after the Intel white paper "Intel
// SHA Extensions" (2013). The state is held as two registers, ABEF and
// CDGH. A group of four rounds adds the round constants to four message
// words in X0 (SHA256RNDS2 reads its message words from X0 implicitly)
// and runs two SHA256RNDS2, which swap the roles of the two state
// registers; the message schedule for later groups is computed beside the
// rounds with SHA256MSG1, PALIGNR and SHA256MSG2.
//
// Register use: X1, X2 state of the first message (ABEF, CDGH), X3-X6
// its message words; X7, X8 and X9-X12 the same for the second message;
// X13 the byte order mask; X14, X15 scratch. SI, DI point at the blocks,
// AX at the round constants, CX counts blocks. The states at the start of
// a block are kept on the stack, to be added at its end.

DATA k256<>+0x00(SB)/8, $0x71374491428a2f98
DATA k256<>+0x08(SB)/8, $0xe9b5dba5b5c0fbcf
DATA k256<>+0x10(SB)/8, $0x59f111f13956c25b
DATA k256<>+0x18(SB)/8, $0xab1c5ed5923f82a4
DATA k256<>+0x20(SB)/8, $0x12835b01d807aa98
DATA k256<>+0x28(SB)/8, $0x550c7dc3243185be
DATA k256<>+0x30(SB)/8, $0x80deb1fe72be5d74
DATA k256<>+0x38(SB)/8, $0xc19bf1749bdc06a7
DATA k256<>+0x40(SB)/8, $0xefbe4786e49b69c1
DATA k256<>+0x48(SB)/8, $0x240ca1cc0fc19dc6
DATA k256<>+0x50(SB)/8, $0x4a7484aa2de92c6f
DATA k256<>+0x58(SB)/8, $0x76f988da5cb0a9dc
DATA k256<>+0x60(SB)/8, $0xa831c66d983e5152
DATA k256<>+0x68(SB)/8, $0xbf597fc7b00327c8
DATA k256<>+0x70(SB)/8, $0xd5a79147c6e00bf3
DATA k256<>+0x78(SB)/8, $0x1429296706ca6351
DATA k256<>+0x80(SB)/8, $0x2e1b213827b70a85
DATA k256<>+0x88(SB)/8, $0x53380d134d2c6dfc
DATA k256<>+0x90(SB)/8, $0x766a0abb650a7354
DATA k256<>+0x98(SB)/8, $0x92722c8581c2c92e
DATA k256<>+0xa0(SB)/8, $0xa81a664ba2bfe8a1
DATA k256<>+0xa8(SB)/8, $0xc76c51a3c24b8b70
DATA k256<>+0xb0(SB)/8, $0xd6990624d192e819
DATA k256<>+0xb8(SB)/8, $0x106aa070f40e3585
DATA k256<>+0xc0(SB)/8, $0x1e376c0819a4c116
DATA k256<>+0xc8(SB)/8, $0x34b0bcb52748774c
DATA k256<>+0xd0(SB)/8, $0x4ed8aa4a391c0cb3
DATA k256<>+0xd8(SB)/8, $0x682e6ff35b9cca4f
DATA k256<>+0xe0(SB)/8, $0x78a5636f748f82ee
DATA k256<>+0xe8(SB)/8, $0x8cc7020884c87814
DATA k256<>+0xf0(SB)/8, $0xa4506ceb90befffa
DATA k256<>+0xf8(SB)/8, $0xc67178f2bef9a3f7
GLOBL k256<>(SB), RODATA|NOPTR, $256

DATA bswap<>+0(SB)/8, $0x0405060700010203
DATA bswap<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap<>(SB), RODATA|NOPTR, $16

// LOAD reads message words off(p) into m, big-endian.
#define LOAD(off, p, m) \
	MOVOU  off(p), m; \
	PSHUFB X13, m

// ROUNDS1 runs the four rounds of group koff/16 on the first message,
// whose words for them are in m.
#define ROUNDS1(koff, m) \
	MOVOU       koff(AX), X0; \
	PADDD       m, X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD      $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1

// ROUNDS2 runs the four rounds of group koff/16 on both messages, one's
// SHA256RNDS2 next to the other's.
#define ROUNDS2(koff, ma, mb) \
	MOVOU       koff(AX), X15; \
	MOVO        ma, X0; \
	PADDD       X15, X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD      $0x0e, X0, X14; \
	MOVO        mb, X0; \
	PADDD       X15, X0; \
	SHA256RNDS2 X0, X7, X8; \
	PSHUFD      $0x0e, X0, X15; \
	MOVO        X14, X0; \
	SHA256RNDS2 X0, X2, X1; \
	MOVO        X15, X0; \
	SHA256RNDS2 X0, X8, X7

// SCHED2 finishes the next group's message words in next from the
// current (cur) and previous (prev) ones, with scratch t.
#define SCHED2(cur, prev, next, t) \
	MOVO       cur, t; \
	PALIGNR    $4, prev, t; \
	PADDD      t, next; \
	SHA256MSG2 cur, next

// STATEIN loads the state at h as ABEF into s0 and CDGH into s1.
#define STATEIN(h, s0, s1) \
	MOVOU   (h), s0; \
	MOVOU   16(h), s1; \
	PSHUFD  $0xb1, s0, s0; \
	PSHUFD  $0x1b, s1, s1; \
	MOVO    s0, X14; \
	PALIGNR $8, s1, s0; \
	PBLENDW $0xf0, X14, s1

// STATEOUT stores the state in s0 (ABEF) and s1 (CDGH) to h.
#define STATEOUT(h, s0, s1) \
	PSHUFD  $0x1b, s0, s0; \
	PSHUFD  $0xb1, s1, s1; \
	MOVO    s0, X14; \
	PBLENDW $0xf0, s1, s0; \
	PALIGNR $8, X14, s1; \
	MOVOU   s0, (h); \
	MOVOU   s1, 16(h)

// ADDSAVED adds the state saved at off(SP) to s.
#define ADDSAVED(off, s) \
	MOVOU off(SP), X14; \
	PADDD X14, s

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func blocksSHA(h *[8]uint32, p *byte, n int)
TEXT ·blocksSHA(SB), NOSPLIT, $32-24
	MOVQ  h+0(FP), R8
	MOVQ  p+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVOU bswap<>(SB), X13
	LEAQ  k256<>(SB), AX
	STATEIN(R8, X1, X2)

loop1:
	MOVOU X1, 0(SP)
	MOVOU X2, 16(SP)
	LOAD(0, SI, X3)
	ROUNDS1(0, X3)
	LOAD(16, SI, X4)
	ROUNDS1(16, X4)
	SHA256MSG1 X4, X3
	LOAD(32, SI, X5)
	ROUNDS1(32, X5)
	SHA256MSG1 X5, X4
	LOAD(48, SI, X6)
	ROUNDS1(48, X6)
	SCHED2(X6, X5, X3, X14)
	SHA256MSG1 X6, X5
	ROUNDS1(64, X3)
	SCHED2(X3, X6, X4, X14)
	SHA256MSG1 X3, X6
	ROUNDS1(80, X4)
	SCHED2(X4, X3, X5, X14)
	SHA256MSG1 X4, X3
	ROUNDS1(96, X5)
	SCHED2(X5, X4, X6, X14)
	SHA256MSG1 X5, X4
	ROUNDS1(112, X6)
	SCHED2(X6, X5, X3, X14)
	SHA256MSG1 X6, X5
	ROUNDS1(128, X3)
	SCHED2(X3, X6, X4, X14)
	SHA256MSG1 X3, X6
	ROUNDS1(144, X4)
	SCHED2(X4, X3, X5, X14)
	SHA256MSG1 X4, X3
	ROUNDS1(160, X5)
	SCHED2(X5, X4, X6, X14)
	SHA256MSG1 X5, X4
	ROUNDS1(176, X6)
	SCHED2(X6, X5, X3, X14)
	SHA256MSG1 X6, X5
	ROUNDS1(192, X3)
	SCHED2(X3, X6, X4, X14)
	SHA256MSG1 X3, X6
	ROUNDS1(208, X4)
	SCHED2(X4, X3, X5, X14)
	ROUNDS1(224, X5)
	SCHED2(X5, X4, X6, X14)
	ROUNDS1(240, X6)
	ADDSAVED(0, X1)
	ADDSAVED(16, X2)
	ADDQ  $64, SI
	DECQ  CX
	JNZ   loop1

	STATEOUT(R8, X1, X2)
	RET

// func blocksSHA2(ha, hb *[8]uint32, pa, pb *byte, n int)
TEXT ·blocksSHA2(SB), NOSPLIT, $64-40
	MOVQ  ha+0(FP), R8
	MOVQ  hb+8(FP), R9
	MOVQ  pa+16(FP), SI
	MOVQ  pb+24(FP), DI
	MOVQ  n+32(FP), CX
	MOVOU bswap<>(SB), X13
	LEAQ  k256<>(SB), AX
	STATEIN(R8, X1, X2)
	STATEIN(R9, X7, X8)

loop2:
	MOVOU X1, 0(SP)
	MOVOU X2, 16(SP)
	MOVOU X7, 32(SP)
	MOVOU X8, 48(SP)
	LOAD(0, SI, X3)
	LOAD(0, DI, X9)
	ROUNDS2(0, X3, X9)
	LOAD(16, SI, X4)
	LOAD(16, DI, X10)
	ROUNDS2(16, X4, X10)
	SHA256MSG1 X4, X3
	SHA256MSG1 X10, X9
	LOAD(32, SI, X5)
	LOAD(32, DI, X11)
	ROUNDS2(32, X5, X11)
	SHA256MSG1 X5, X4
	SHA256MSG1 X11, X10
	LOAD(48, SI, X6)
	LOAD(48, DI, X12)
	ROUNDS2(48, X6, X12)
	SCHED2(X6, X5, X3, X14)
	SCHED2(X12, X11, X9, X15)
	SHA256MSG1 X6, X5
	SHA256MSG1 X12, X11
	ROUNDS2(64, X3, X9)
	SCHED2(X3, X6, X4, X14)
	SCHED2(X9, X12, X10, X15)
	SHA256MSG1 X3, X6
	SHA256MSG1 X9, X12
	ROUNDS2(80, X4, X10)
	SCHED2(X4, X3, X5, X14)
	SCHED2(X10, X9, X11, X15)
	SHA256MSG1 X4, X3
	SHA256MSG1 X10, X9
	ROUNDS2(96, X5, X11)
	SCHED2(X5, X4, X6, X14)
	SCHED2(X11, X10, X12, X15)
	SHA256MSG1 X5, X4
	SHA256MSG1 X11, X10
	ROUNDS2(112, X6, X12)
	SCHED2(X6, X5, X3, X14)
	SCHED2(X12, X11, X9, X15)
	SHA256MSG1 X6, X5
	SHA256MSG1 X12, X11
	ROUNDS2(128, X3, X9)
	SCHED2(X3, X6, X4, X14)
	SCHED2(X9, X12, X10, X15)
	SHA256MSG1 X3, X6
	SHA256MSG1 X9, X12
	ROUNDS2(144, X4, X10)
	SCHED2(X4, X3, X5, X14)
	SCHED2(X10, X9, X11, X15)
	SHA256MSG1 X4, X3
	SHA256MSG1 X10, X9
	ROUNDS2(160, X5, X11)
	SCHED2(X5, X4, X6, X14)
	SCHED2(X11, X10, X12, X15)
	SHA256MSG1 X5, X4
	SHA256MSG1 X11, X10
	ROUNDS2(176, X6, X12)
	SCHED2(X6, X5, X3, X14)
	SCHED2(X12, X11, X9, X15)
	SHA256MSG1 X6, X5
	SHA256MSG1 X12, X11
	ROUNDS2(192, X3, X9)
	SCHED2(X3, X6, X4, X14)
	SCHED2(X9, X12, X10, X15)
	SHA256MSG1 X3, X6
	SHA256MSG1 X9, X12
	ROUNDS2(208, X4, X10)
	SCHED2(X4, X3, X5, X14)
	SCHED2(X10, X9, X11, X15)
	ROUNDS2(224, X5, X11)
	SCHED2(X5, X4, X6, X14)
	SCHED2(X11, X10, X12, X15)
	ROUNDS2(240, X6, X12)
	ADDSAVED(0, X1)
	ADDSAVED(16, X2)
	ADDSAVED(32, X7)
	ADDSAVED(48, X8)
	ADDQ  $64, SI
	ADDQ  $64, DI
	DECQ  CX
	JNZ   loop2

	STATEOUT(R8, X1, X2)
	STATEOUT(R9, X7, X8)
	RET
