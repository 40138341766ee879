package identity

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Load reads an identity from a file holding its raw [KeySize]-byte private
// key, the format of the reference's Identity.to_file and of identity files
// written by rnid. A file of any other size is an error wrapping
// [ErrKeySize].
func Load(path string) (*Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("identity: load: %w", err)
	}
	defer f.Close()
	// Read one byte more than a key, to detect oversized files without
	// reading all of them.
	b, err := io.ReadAll(io.LimitReader(f, KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("identity: load %s: %w", path, err)
	}
	if len(b) != KeySize {
		size := fmt.Sprint(len(b))
		if len(b) > KeySize {
			size = "more than " + fmt.Sprint(KeySize)
		}
		return nil, fmt.Errorf("identity: load %s: %w: file has %s bytes, want %d", path, ErrKeySize, size, KeySize)
	}
	return FromPrivateKey(b)
}

// Save writes the identity's raw private key to path with mode 0600, in the
// format [Load] and the reference read. It writes a temporary file in the
// same directory and renames it over path, so an existing identity file is
// never left half-written. It returns [ErrNoPrivateKey] for a public-only
// identity.
func (id *Identity) Save(path string) error {
	k, ok := id.PrivateKey()
	if !ok {
		return ErrNoPrivateKey
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("identity: save: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(k[:])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("identity: save %s: %w", path, err)
	}
	return nil
}
