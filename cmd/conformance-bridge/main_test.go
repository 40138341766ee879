package main

import (
	"testing"

	"github.com/mehr-net/mehr/internal/bridge/wiretcp"
)

// TestCommands: every family registers without clashing names.
func TestCommands(t *testing.T) {
	if _, err := commands(wiretcp.New()); err != nil {
		t.Fatal(err)
	}
}
