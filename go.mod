module github.com/mehr-net/mehr

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/dsnet/compress v0.0.1
	github.com/vmihailenco/msgpack/v5 v5.4.1
	go.bug.st/serial v1.8.0
	golang.org/x/crypto v0.58.0
)

require (
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
