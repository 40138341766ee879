package main

import "testing"

// TestCommands: every family registers without clashing names.
func TestCommands(t *testing.T) {
	if _, err := commands(); err != nil {
		t.Fatal(err)
	}
}
