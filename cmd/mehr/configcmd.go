package main

import (
	"fmt"
	"io"
	"os"

	"github.com/mehr-net/mehr/config"
)

func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "import" {
		fmt.Fprintln(stderr, "usage: mehr config import FILE   (a Reticulum config file; TOML goes to stdout)")
		return &exitError{code: 2}
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	c, warnings, err := config.ImportReticulum(f, args[1])
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}
