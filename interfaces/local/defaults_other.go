//go:build !linux

package local

// defaultType is TypeTCP on systems where the reference does not use
// abstract Unix sockets.
const defaultType = TypeTCP

// unixSupported reports whether abstract Unix sockets exist here.
const unixSupported = false
