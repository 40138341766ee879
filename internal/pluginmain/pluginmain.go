// Package pluginmain is the shared main of mehr's serial, KISS and RNode
// plugins: it decodes the table mehrd passes into mehr's configuration
// schema, so that a plugin reads exactly the keys and defaults the
// configuration documents, maps the section onto the driver's own Config
// (Serial, KISS, RNode: the drivers themselves know nothing of the
// schema), and logs driver events to mehrd's log.
package pluginmain

import (
	"context"
	"fmt"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/plugins/sdk"
)

// Open opens a driver from its interface section; logf goes to mehrd's
// log.
type Open func(ctx context.Context, ic config.Interface, logf func(string, ...any)) (sdk.Interface, error)

// Serve runs a plugin whose interfaces open is given.
func Serve(open Open) {
	sdk.Serve(func(ctx context.Context, c *sdk.Config) (sdk.Interface, error) {
		ic, err := Decode(c)
		if err != nil {
			return nil, err
		}
		return open(ctx, ic, c.Logf)
	})
}

// Decode reads the interface section mehrd passed into mehr's schema.
func Decode(c *sdk.Config) (config.Interface, error) {
	var ic config.Interface
	if err := c.Decode(&ic); err != nil {
		return ic, err
	}
	if ic.Name == "" {
		ic.Name = c.Name
	}
	if ic.Name != c.Name {
		return ic, fmt.Errorf("interface table names %q, not %q", ic.Name, c.Name)
	}
	return ic, nil
}
