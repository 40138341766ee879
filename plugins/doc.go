// Package plugins is the root of mehr's out-of-process interface drivers.
// It holds no code of its own, only the end-to-end tests and benchmarks
// that run real plugin processes under real nodes.
//
//   - plugins/proto: the wire protocol (driver.proto and generated code).
//   - plugins/shared: handshake, batching queue and the plugin-side server.
//   - plugins/host: the supervised iface.Interface that mehrd registers.
//   - plugins/sdk: what plugin authors import.
//   - plugins/plugintest: builds plugin executables for tests.
//
// cmd/mehr-plugin-udp and examples/plugin-pipe are plugins; docs/PLUGINS.md
// is the guide for plugin authors.
package plugins
