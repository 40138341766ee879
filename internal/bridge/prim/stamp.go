package prim

import (
	"context"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/stamp"
)

func stampCommands(r bridge.Registry) {
	r["discovery_stamp"] = discoveryStamp
}

// stampSearchLimit bounds one generate call.
const stampSearchLimit = 2 * time.Minute

// discoveryStamp exposes rns/stamp: the work block, a stamp's value and
// validity, stamp generation, and the default discovery stamp value.
func discoveryStamp(p bridge.Params) (bridge.Result, error) {
	op, err := p.String("op")
	if err != nil {
		return nil, err
	}
	rounds, err := p.IntOr("expand_rounds", stamp.RoundsDiscovery)
	if err != nil {
		return nil, err
	}
	switch op {
	case "workblock":
		m, err := p.Hex("material")
		if err != nil {
			return nil, err
		}
		wb, err := stamp.Workblock(m, rounds)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"workblock": bridge.Hex(wb), "length": len(wb)}, nil
	case "value", "valid":
		wb, err := p.Hex("workblock")
		if err != nil {
			return nil, err
		}
		st, err := p.Hex("stamp")
		if err != nil {
			return nil, err
		}
		if op == "value" {
			return bridge.Result{"value": stamp.Value(wb, st)}, nil
		}
		cost, err := p.Int("cost")
		if err != nil {
			return nil, err
		}
		return bridge.Result{"valid": stamp.Valid(st, cost, wb)}, nil
	case "generate":
		m, err := p.Hex("material")
		if err != nil {
			return nil, err
		}
		cost, err := p.Int("cost")
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), stampSearchLimit)
		defer cancel()
		st, v, err := stamp.Generate(ctx, m, cost, rounds)
		if err != nil {
			return nil, err
		}
		return bridge.Result{"stamp": bridge.Hex(st), "value": v, "stamp_size": stamp.Size}, nil
	case "default_cost":
		return bridge.Result{"default_stamp_value": stamp.DefaultDiscoveryValue,
			"handler_default_required_value": stamp.DefaultDiscoveryValue}, nil
	}
	return nil, fmt.Errorf("%w: unknown discovery_stamp op %q", bridge.ErrParam, op)
}
