package storage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// FuzzLoad feeds arbitrary bytes to the loaders of files another program
// (rnsd, or anyone with write access) may have written.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	known := map[wire.Hash]transport.Known{{1}: {AppData: []byte("x")}}
	if err := storage.SaveKnown(dir, known); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, storage.KnownDestinationsFile))
	f.Add(b)
	f.Add([]byte{0x90})
	f.Add([]byte{0x91, 0x98, 0xc4, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		for _, name := range []string{storage.KnownDestinationsFile, storage.DestinationTableFile} {
			if err := os.WriteFile(filepath.Join(d, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		storage.LoadKnown(d)
		storage.LoadPaths(d, nil)
	})
}
