//go:build !linux

package netns

// Do returns ErrNotLinux: network namespaces are a Linux feature.
func (n *NS) Do(f func() error) error { return ErrNotLinux }
