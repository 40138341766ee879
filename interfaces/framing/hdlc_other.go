//go:build !amd64 || purego

package framing

// escapeRun and unescapeRun process nothing here: the portable code in
// hdlc.go does all the work.
func escapeRun(dst, src []byte) (nsrc, ndst int)   { return 0, 0 }
func unescapeRun(dst, src []byte) (nsrc, ndst int) { return 0, 0 }
