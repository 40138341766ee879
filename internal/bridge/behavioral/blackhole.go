package behavioral

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/storage"
	"github.com/mehr-net/mehr/rns/wire"
)

// blackholeCommands drive the node's stored blackhole lists: reload them,
// clear the table, list, remove and rename the stored files, and set the
// trusted sources.
func (s *state) blackholeCommands() bridge.Registry {
	return bridge.Registry{
		"behavioral_blackhole_reload":         s.with(blackholeReload),
		"behavioral_blackhole_clear":          s.with(blackholeClear),
		"behavioral_blackhole_storage_files":  s.with(blackholeStorageFiles),
		"behavioral_blackhole_clear_storage":  s.with(blackholeClearStorage),
		"behavioral_blackhole_rename_storage": s.with(blackholeRenameStorage),
		"behavioral_blackhole_set_sources":    s.with(blackholeSetSources),
	}
}

// blackholeReload reloads the stored lists; lists that cannot be used
// are skipped (and named in "skipped"), as the reference logs and skips
// them.
func blackholeReload(in *instance, _ bridge.Params) (bridge.Result, error) {
	skipped := []string{}
	if err := in.node.ReloadBlackhole(); err != nil {
		skipped = append(skipped, err.Error())
	}
	return bridge.Result{"count": len(in.t.Blackholed()), "skipped": skipped}, nil
}

func blackholeClear(in *instance, _ bridge.Params) (bridge.Result, error) {
	in.t.ClearBlackhole()
	return bridge.Result{"cleared": true}, nil
}

func blackholeStorageFiles(in *instance, _ bridge.Params) (bridge.Result, error) {
	dir := storage.BlackholePath(in.node.StorageDir())
	files := []bridge.Result{}
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, bridge.Result{"name": e.Name(), "size": fi.Size()})
	}
	return bridge.Result{"dir": dir, "files": files}, nil
}

func blackholeClearStorage(in *instance, _ bridge.Params) (bridge.Result, error) {
	dir := storage.BlackholePath(in.node.StorageDir())
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	removed := 0
	for _, e := range ents {
		if e.Type().IsRegular() && os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed++
		}
	}
	return bridge.Result{"removed": removed}, nil
}

// storedName returns a file name inside the blackhole directory, refusing
// anything that would leave it.
func storedName(p bridge.Params, k string) (string, error) {
	s, err := p.String(k)
	if err != nil {
		return "", err
	}
	if s == "" || s != filepath.Base(s) || s == "." || s == ".." {
		return "", fmt.Errorf("%w: %s %q is not a file name", bridge.ErrParam, k, s)
	}
	return s, nil
}

func blackholeRenameStorage(in *instance, p bridge.Params) (bridge.Result, error) {
	src, err := storedName(p, "src")
	if err != nil {
		return nil, err
	}
	dst, err := storedName(p, "dst")
	if err != nil {
		return nil, err
	}
	dir := storage.BlackholePath(in.node.StorageDir())
	if err := os.Rename(filepath.Join(dir, src), filepath.Join(dir, dst)); err != nil {
		return nil, err
	}
	return bridge.Result{"renamed": true}, nil
}

func blackholeSetSources(in *instance, p bridge.Params) (bridge.Result, error) {
	var sources []wire.Hash
	if p.Has("sources") {
		l, err := p.List("sources")
		if err != nil {
			return nil, err
		}
		for _, v := range l {
			s, _ := v.(string)
			b, err := hex.DecodeString(s)
			if err != nil || len(b) != wire.HashLen {
				return nil, fmt.Errorf("%w: source %v is not an identity hash", bridge.ErrParam, v)
			}
			sources = append(sources, wire.Hash(b))
		}
	}
	in.node.SetBlackholeSources(sources)
	return bridge.Result{"count": len(sources)}, nil
}
