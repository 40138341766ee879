package msgpack

// Check exposes the input check to the external tests, which assert that it
// and the decoder agree.
var Check = check
