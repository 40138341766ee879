package tcp

// HWMTU is the reference's class-level TCPInterface.HW_MTU. The reference
// (and this package, see AutoMTU) replaces it right after construction with
// an MTU derived from the bitrate unless the MTU is fixed; it stays the
// bound for framed reads of a connection whose MTU is not configured.
const HWMTU = 262144
