package dest_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

type hx = vectors.Hex

func TestHashesVectors(t *testing.T) {
	s := vectors.Load(t, "hashes.json")
	ids := identitytest.Known(t)

	var hashFns []struct {
		Description string
		Inputs      struct {
			Data          hx
			DataGenerator *string `json:"data_generator"`
		}
		Expected struct {
			FullHash      hx `json:"full_hash"`
			TruncatedHash hx `json:"truncated_hash"`
		}
	}
	s.Section(t, "hash_functions", &hashFns)
	for _, v := range hashFns {
		data := []byte(v.Inputs.Data)
		if v.Inputs.DataGenerator != nil {
			data = make([]byte, 1<<20)
			for i := range data {
				data[i] = byte(i % 251)
			}
		}
		full, trunc := identity.FullHash(data), identity.TruncatedHash(data)
		if !bytes.Equal(full[:], v.Expected.FullHash) || !bytes.Equal(trunc[:], v.Expected.TruncatedHash) {
			t.Errorf("%s: got %x / %x", v.Description, full, trunc)
		}
		s.Use("hash_functions")
	}

	var names []struct {
		Description string
		Inputs      struct {
			AppName string   `json:"app_name"`
			Aspects []string `json:"aspects"`
		}
		Expected struct {
			Name                 string
			NameUTF8             hx `json:"name_utf8"`
			NameHash             hx `json:"name_hash"`
			PlainDestinationHash hx `json:"plain_destination_hash"`
			WithIdentity         []struct {
				Identity        string
				IdentityHash    hx     `json:"identity_hash"`
				DestinationHash hx     `json:"destination_hash"`
				FullName        string `json:"full_name"`
			} `json:"with_identity"`
		}
	}
	s.Section(t, "names", &names)
	for _, v := range names {
		in, ex := v.Inputs, v.Expected
		name, err := dest.Name(in.AppName, in.Aspects...)
		if err != nil || name != ex.Name || !bytes.Equal([]byte(name), ex.NameUTF8) {
			t.Errorf("%s: name %q, %v", v.Description, name, err)
		}
		nh, err := dest.ComputeNameHash(in.AppName, in.Aspects...)
		if err != nil || !bytes.Equal(nh[:], ex.NameHash) {
			t.Errorf("%s: name hash %x, %v", v.Description, nh, err)
		}
		ph, err := dest.Hash(nil, in.AppName, in.Aspects...)
		if err != nil || !bytes.Equal(ph[:], ex.PlainDestinationHash) {
			t.Errorf("%s: plain hash %x, %v", v.Description, ph, err)
		}
		for _, w := range ex.WithIdentity {
			id := ids[w.Identity]
			if id == nil {
				t.Fatalf("%s: unknown identity %q", v.Description, w.Identity)
			}
			ih := wire.Hash(id.Hash())
			if !bytes.Equal(ih[:], w.IdentityHash) {
				t.Errorf("%s/%s: identity hash %x", v.Description, w.Identity, ih)
			}
			dh, err := dest.Hash(&ih, in.AppName, in.Aspects...)
			if err != nil || !bytes.Equal(dh[:], w.DestinationHash) {
				t.Errorf("%s/%s: destination hash %x, %v", v.Description, w.Identity, dh, err)
			}
			full, err := dest.ExpandName(id, in.AppName, in.Aspects...)
			if err != nil || full != w.FullName {
				t.Errorf("%s/%s: full name %q, %v", v.Description, w.Identity, full, err)
			}
			d, err := dest.New(id, dest.Out, wire.Single, nil, in.AppName, in.Aspects...)
			if err != nil || d.Hash != dh || d.Name != w.FullName || d.NameHash != nh {
				t.Errorf("%s/%s: New gave %v, %v", v.Description, w.Identity, d, err)
			}
		}
		s.Use("names")
	}

	var dests []struct {
		Description string
		Inputs      struct {
			Type                string
			Direction           string
			IdentityPublicKey   hx       `json:"identity_public_key"`
			AppName             string   `json:"app_name"`
			Aspects             []string `json:"aspects"`
			GeneratedPrivateKey hx       `json:"generated_private_key"`
		}
		Expected struct {
			Hash             hx
			NameHash         hx `json:"name_hash"`
			Name             string
			TypeValue        int      `json:"type_value"`
			EffectiveAspects []string `json:"effective_aspects"`
		}
	}
	s.Section(t, "destinations", &dests)
	types := map[string]wire.DestType{"SINGLE": wire.Single, "GROUP": wire.Group, "PLAIN": wire.Plain, "LINK": wire.Link}
	dirs := map[string]dest.Direction{"IN": dest.In, "OUT": dest.Out}
	for _, v := range dests {
		in, ex := v.Inputs, v.Expected
		typ, ok := types[in.Type]
		if !ok || int(typ) != ex.TypeValue {
			t.Fatalf("%s: type %s", v.Description, in.Type)
		}
		var d *dest.Destination
		var err error
		switch {
		case in.GeneratedPrivateKey != nil:
			gen, gerr := identity.FromPrivateKey(in.GeneratedPrivateKey)
			if gerr != nil {
				t.Fatal(gerr)
			}
			d, err = dest.NewGenerated(gen, typ, in.AppName, in.Aspects...)
		case in.IdentityPublicKey != nil:
			id, ierr := identity.FromPublicKey(in.IdentityPublicKey)
			if ierr != nil {
				t.Fatal(ierr)
			}
			d, err = dest.New(id, dirs[in.Direction], typ, nil, in.AppName, in.Aspects...)
		default:
			d, err = dest.New(nil, dirs[in.Direction], typ, nil, in.AppName, in.Aspects...)
		}
		if err != nil {
			t.Fatalf("%s: %v", v.Description, err)
		}
		if !bytes.Equal(d.Hash[:], ex.Hash) || !bytes.Equal(d.NameHash[:], ex.NameHash) || d.Name != ex.Name {
			t.Errorf("%s: got %s name hash %x", v.Description, d, d.NameHash)
		}
		if ex.EffectiveAspects != nil && !equalStrings(d.Aspects, ex.EffectiveAspects) {
			t.Errorf("%s: aspects %q, want %q", v.Description, d.Aspects, ex.EffectiveAspects)
		}
		s.Use("destinations")
	}

	var paths []struct {
		Inputs   struct{ Path string }
		Expected struct {
			PathHash hx `json:"path_hash"`
		}
	}
	s.Section(t, "request_path_hashes", &paths)
	for _, v := range paths {
		if h := dest.PathHash(v.Inputs.Path); !bytes.Equal(h[:], v.Expected.PathHash) {
			t.Errorf("path %q: %x", v.Inputs.Path, h)
		}
		s.Use("request_path_hashes")
	}

	var ratchets []struct {
		Inputs struct {
			RatchetPrivate hx `json:"ratchet_private"`
		}
		Expected struct {
			RatchetPublic hx `json:"ratchet_public"`
			RatchetID     hx `json:"ratchet_id"`
		}
	}
	s.Section(t, "ratchet_ids", &ratchets)
	for _, v := range ratchets {
		pub, err := identity.RatchetPublic(v.Inputs.RatchetPrivate)
		if err != nil || !bytes.Equal(pub[:], v.Expected.RatchetPublic) {
			t.Errorf("ratchet %x: public %x, %v", v.Inputs.RatchetPrivate, pub, err)
		}
		id := identity.RatchetID(pub[:])
		if !bytes.Equal(id[:], v.Expected.RatchetID) {
			t.Errorf("ratchet %x: id %x", v.Inputs.RatchetPrivate, id)
		}
		s.Use("ratchet_ids")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPathRequestDestination ties wire's constant to the naming rules.
func TestPathRequestDestination(t *testing.T) {
	h, err := dest.Hash(nil, "rnstransport", "path", "request")
	if err != nil || h != wire.PathRequestDestination {
		t.Fatalf("rnstransport.path.request = %x (%v), wire has %x", h, err, wire.PathRequestDestination)
	}
}

func TestNameErrors(t *testing.T) {
	for _, c := range []struct {
		app     string
		aspects []string
		want    error
	}{
		{"", nil, dest.ErrEmptyApp},
		{"a.b", nil, dest.ErrDot},
		{"app", []string{"ok", "x.y"}, dest.ErrDot},
	} {
		if _, err := dest.Name(c.app, c.aspects...); !errors.Is(err, c.want) {
			t.Errorf("Name(%q, %q) = %v, want %v", c.app, c.aspects, err, c.want)
		}
	}
	if _, err := dest.New(nil, dest.Out, wire.Single, nil, "app"); !errors.Is(err, dest.ErrNeedIdentity) {
		t.Errorf("outbound SINGLE without identity: %v", err)
	}
	id, _ := identity.FromPublicKey(make([]byte, 64))
	if id != nil {
		if _, err := dest.New(id, dest.Out, wire.Plain, nil, "app"); !errors.Is(err, dest.ErrPlainIdentity) {
			t.Errorf("PLAIN with identity: %v", err)
		}
	}
	if _, err := dest.New(nil, dest.Direction(0), wire.Plain, nil, "app"); !errors.Is(err, dest.ErrDirection) {
		t.Errorf("bad direction: %v", err)
	}
}
