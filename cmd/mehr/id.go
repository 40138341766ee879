package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

func cmdID(args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlags("id", stderr)
	gen := fs.String("g", "", "generate a new identity and save it to this file")
	in := fs.String("i", "", "identity file to use")
	fs.Bool("p", false, "print identity info (what -i does by default; accepted for rnid compatibility)")
	private := fs.Bool("P", false, "also print the private key")
	hashFor := fs.String("H", "", "show the destination hash for these aspects (app.aspect...) of the identity")
	force := fs.Bool("f", false, "overwrite an existing file with -g")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	switch {
	case *gen != "":
		if _, err := os.Stat(*gen); err == nil && !*force {
			return fmt.Errorf("identity file %s already exists (use -f to overwrite)", *gen)
		}
		id, err := identity.Generate(nil)
		if err != nil {
			return err
		}
		if err := id.Save(*gen); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New identity <%s> written to %s\n", id.HexHash(), *gen)
		return nil
	case *in != "":
		id, err := identity.Load(*in)
		if err != nil {
			return err
		}
		if *hashFor != "" {
			app, aspects := dest.SplitName(*hashFor)
			ih := wire.Hash(id.Hash())
			h, err := dest.Hash(&ih, app, aspects...)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "The %s destination for this identity is <%s>\n", *hashFor, h)
			fmt.Fprintf(stdout, "The full destination specifier is <%s.%s>\n", *hashFor, id.HexHash())
			return nil
		}
		pub := id.PublicKey()
		fmt.Fprintf(stdout, "Identity Hash : <%s>\n", id.HexHash())
		fmt.Fprintf(stdout, "Public Key    : %x\n", pub[:])
		if k, ok := id.PrivateKey(); ok && *private {
			fmt.Fprintf(stdout, "Private Key   : %x\n", k[:])
		} else if ok {
			fmt.Fprintln(stdout, "Private Key   : Hidden")
		}
		return nil
	}
	fmt.Fprintln(stderr, "usage: mehr id -g FILE | -i FILE [-p] [-P] [-H app.aspects]")
	return &exitError{code: 2}
}
