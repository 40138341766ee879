//go:build !linux

package tundev

func open(cfg Config) (*Device, error) {
	return nil, ErrNotSupported
}
