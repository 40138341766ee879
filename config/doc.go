// Package config is the mehr configuration: the TOML schema as plain
// structs, its defaults, validation, the fully commented output of
// -genconf, and an importer for configuration files of the Python
// reference (Reticulum 1.4.2).
//
// The schema mirrors the reference's semantics. A [reticulum] table holds the
// instance settings (transport, the shared instance that local programs
// attach to, discovery and rate-control defaults), a [logging] table holds
// the log level, and each [[interfaces]] entry is one interface section
// of the reference, with the same key names. Key names, units and defaults
// are those of the reference unless a field comment says otherwise. The
// documentation of every key lives in the comment tag of its field; Genconf
// prints it.
//
// There are three ways to get a Config:
//
//   - Default returns the configuration the reference writes on first start:
//     one enabled AutoInterface, a shared instance, transport off.
//   - Load and Decode read mehr's TOML format. Unknown keys produce a
//     Warning; invalid values produce an *Error that names the file, line
//     and key. A Config returned without error has passed Validate, so
//     the daemon never starts half-configured.
//   - ImportReticulum reads the reference's own configuration dialect (the
//     ConfigObj INI variant: [section], [[subsection]], key = value,
//     comma-separated lists, Yes/No booleans) and maps every key into the
//     schema. Marshal turns the result into TOML, and loading that TOML
//     gives back an equal Config.
//
// The package imports only the standard library and the TOML library.
package config
