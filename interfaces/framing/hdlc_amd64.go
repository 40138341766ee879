//go:build amd64 && !purego

package framing

// escapeRun HDLC-escapes a prefix of src into dst, 16 bytes at a time with
// SSE2, and returns how much of src it consumed and how much of dst it
// wrote. It works while at least 16 bytes of src remain and dst has room
// for 32 more bytes, so it may stop short: the caller finishes the tail.
// Bytes of dst past ndst may have been overwritten.
//
//go:noescape
func escapeRun(dst, src []byte) (nsrc, ndst int)

// unescapeRun undoes HDLC escaping for a prefix of src into dst, 16 bytes
// at a time with SSE2. It decodes 0x7D 0x5E and 0x7D 0x5D and stops before
// any flag and before any escape it cannot decode on its own (one followed
// by another byte, or at the end of src); it works while at least 16 bytes
// of src remain and dst has room for 16 more bytes. Bytes of dst past ndst
// may have been overwritten.
//
//go:noescape
func unescapeRun(dst, src []byte) (nsrc, ndst int)
