//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "mehr-rnode-sim: simulated radios need pseudo-terminals, which are only supported on Linux")
	os.Exit(1)
}
