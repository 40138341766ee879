package local

// defaultType is TypeUnix where the reference uses abstract Unix sockets
// (RNS.vendor.platformutils.use_af_unix: Linux and Android).
const defaultType = TypeUnix

// unixSupported reports whether abstract Unix sockets exist here.
const unixSupported = true
