package config

import "strings"

// Config is a complete mehr configuration. The zero value is not useful;
// start from Default, Load, Decode or ImportReticulum.
type Config struct {
	Reticulum  Reticulum   `toml:"reticulum" comment:"Instance-wide settings, as in the [reticulum] section of the reference configuration."`
	Logging    Logging     `toml:"logging" comment:"Logging, as in the [logging] section of the reference configuration."`
	Interfaces []Interface `toml:"interfaces" comment:"Interfaces the node communicates over. Each [[interfaces]] entry is one [[Name]] section of the reference's [interfaces] section; the reference's section name becomes the name key."`
	Mehr       Mehr        `toml:"mehr" comment:"Mehr's cost-aware routing (docs/design/path-cost.md). mehr only; the reference has no such section."`
	TUN        TUN         `toml:"tun" comment:"IP over mehr: a TUN device that gives this node an IPv6 address, so that ordinary IP programs reach other mehr nodes with it enabled. mehr only; the reference has no such section."`
}

// Mehr configures Mehr's routing extensions.
type Mehr struct {
	Routing          bool `toml:"routing" comment:"Announce this node's Mehr destination (mehr.node) with its path cost, and keep a table of the paths heard to other Mehr nodes (mehr route shows it). Python nodes relay these announces like any other."`
	AnnounceInterval int  `toml:"announce_interval" comment:"Seconds between this node's Mehr announces. 0 uses 1800 (the spec's 30-minute refresh)."`
}

// TUN configures the IP adapter. The device runs in a plugin process
// (mehr-plugin-tun), the only part that needs CAP_NET_ADMIN.
type TUN struct {
	Enabled bool   `toml:"enabled" comment:"Bring up the TUN device and announce this node's IP service."`
	Device  string `toml:"device" comment:"Name of the TUN device. Empty uses mehr0."`
	Prefix  string `toml:"prefix" comment:"IPv6 unique-local prefix every node's address starts with; the rest of an address is the leading bits of the node's IP destination hash, so all nodes of one mesh must use the same prefix. At most /64. Empty uses the built-in default (see mehr ip)."`
	MTU     int    `toml:"mtu" comment:"MTU of the TUN device in bytes, at least 1280. 0 uses 1280. Packets larger than a path's link MTU are fragmented inside the link."`
	Plugin  string `toml:"plugin" comment:"Plugin that runs the TUN device: a path, or a name found as for interfaces. Empty uses mehr-plugin-tun."`
}

// Reticulum holds the instance-wide settings. Pointer fields are optional:
// nil means the built-in default named in the field comment.
type Reticulum struct {
	EnableTransport bool   `toml:"enable_transport" comment:"Act as a transport node: forward packets for other peers, rebroadcast announces and answer path requests. Enable only on stationary, always-on systems."`
	ShareInstance   bool   `toml:"share_instance" comment:"Run a shared instance that other local programs attach to over a local socket (the Local interface). Only the shared instance opens the interfaces below."`
	InstanceName    string `toml:"instance_name" comment:"Name of the shared instance. With the unix socket type it selects the abstract socket name, so that several different shared instances can run on one system."`
	// SharedInstanceType is "", "unix" or "tcp".
	SharedInstanceType         string `toml:"shared_instance_type" comment:"Socket type of the shared instance: \"unix\" (abstract Unix domain socket named after instance_name) or \"tcp\" (the two ports below on 127.0.0.1). Empty selects the platform default: unix where the platform supports abstract sockets, tcp elsewhere."`
	SharedInstancePort         int    `toml:"shared_instance_port" comment:"TCP port of the shared instance's data socket on 127.0.0.1, used when the socket type is tcp."`
	InstanceControlPort        int    `toml:"instance_control_port" comment:"TCP port of the shared instance's control (RPC) socket on 127.0.0.1, used when the socket type is tcp."`
	RPCKey                     string `toml:"rpc_key" comment:"Key, in hexadecimal, that local programs use to authenticate to the control socket. Empty derives it from the transport identity, which works whenever all programs share the same storage directory."`
	ForceSharedInstanceBitrate *int64 `toml:"force_shared_instance_bitrate" comment:"Bitrate, in bits per second, to announce for the shared-instance interface instead of its real rate. Unset by default." example:"1000000"`
	PanicOnInterfaceError      bool   `toml:"panic_on_interface_error" comment:"Exit the process when an interface fails unrecoverably, for example when its hardware disappears."`
	UseImplicitProof           bool   `toml:"use_implicit_proof" comment:"Send implicit proofs (a signature only) instead of explicit proofs (packet hash and signature)."`
	RespondToProbes            bool   `toml:"respond_to_probes" comment:"With transport enabled, answer probe requests (rnprobe) on a probe destination derived from the transport identity."`
	LinkMTUDiscovery           bool   `toml:"link_mtu_discovery" comment:"Negotiate link MTUs above the base MTU when every hop allows it. The reference only ever turns this on; false is honoured here."`
	EnableRemoteManagement     bool   `toml:"enable_remote_management" comment:"Allow the identities in remote_management_allowed to query and manage this instance remotely (rnstatus, rnpath)."`
	// RemoteManagementAllowed holds identity hashes in lowercase hex.
	RemoteManagementAllowed []string `toml:"remote_management_allowed" comment:"Identity hashes (32 hexadecimal characters each) allowed to manage this instance remotely."`
	StaticTransportIdentity bool     `toml:"static_transport_identity" comment:"With transport disabled, keep the same transport identity across restarts instead of generating a new one each start."`
	LocalHopsDelta          bool     `toml:"local_hops_delta" comment:"Add a random offset (2 to 7, chosen at start) to the hop count of packets handed to local clients, so they cannot tell which destinations are directly attached."`
	NetworkIdentity         string   `toml:"network_identity" comment:"Path of the network identity file (~ is expanded; created if missing). It signs, and may encrypt, interface discovery announces, and decrypts encrypted ones from the same network. Empty disables it."`
	PluginDir               string   `toml:"plugin_dir" comment:"Directory searched for interface plugins (mehr-plugin-NAME executables) after the directory of the mehrd executable and before PATH. Empty skips it. mehr only; the reference has no plugins." example:"\"/usr/local/lib/mehr/plugins\""`
	DefaultGravity          int      `toml:"default_gravity" comment:"Pathing gravity for interfaces that set none. Positive values make paths over an interface more attractive, negative values less."`

	DiscoverInterfaces bool `toml:"discover_interfaces" comment:"Collect interface discovery announces from other transport instances."`
	// InterfaceDiscoverySources holds identity hashes in lowercase hex.
	InterfaceDiscoverySources       []string `toml:"interface_discovery_sources" comment:"Network or transport identity hashes (32 hexadecimal characters each) whose discovered interfaces are accepted. Empty accepts every source."`
	RequiredDiscoveryValue          int      `toml:"required_discovery_value" comment:"Minimum stamp value a discovery announce needs to be accepted. 0 uses the built-in default, 16."`
	AutoconnectDiscoveredInterfaces int      `toml:"autoconnect_discovered_interfaces" comment:"Maximum number of discovered interfaces to bring up automatically. 0 disables auto-connecting."`
	AutoconnectInterfaceMode        string   `toml:"autoconnect_interface_mode" comment:"Mode for auto-connected interfaces, one of the interface modes (see mode below). Empty uses the default mode."`
	AutoconnectInterfaceGravity     *int     `toml:"autoconnect_interface_gravity" comment:"Gravity for auto-connected interfaces. Unset uses default_gravity." example:"0"`
	AutoconnectAnnouncesToInternal  bool     `toml:"autoconnect_announces_to_internal" comment:"Let announces from auto-connected interfaces propagate to internal-mode interfaces even when their mode would not allow it."`

	PublishBlackhole bool `toml:"publish_blackhole" comment:"Publish the local list of blackholed identities for other transport instances to use."`
	// BlackholeSources holds identity hashes in lowercase hex.
	BlackholeSources        []string `toml:"blackhole_sources" comment:"Transport identity hashes (32 hexadecimal characters each) from which to fetch lists of blackholed identities."`
	BlackholeUpdateInterval *float64 `toml:"blackhole_update_interval" comment:"Minutes between updates from blackhole_sources; at least 2. Unset uses 60." example:"60"`

	DefaultARTarget  int  `toml:"default_ar_target" comment:"Default announce rate target, in seconds, for interfaces that set none; applied when transport is enabled. 0 uses the built-in default, 3600."`
	DefaultARPenalty int  `toml:"default_ar_penalty" comment:"Default announce rate penalty, in seconds, applied with default_ar_target."`
	DefaultARGrace   *int `toml:"default_ar_grace" comment:"Default number of announce rate violations tolerated before the target is enforced. Unset uses 5; the reference also replaces 0 with 5." example:"5"`

	ICMaxHeldAnnounces    *int     `toml:"ic_max_held_announces" comment:"Ingress control default: maximum number of held announces for new destinations per interface. Unset uses 256." example:"256"`
	ICBurstHold           *float64 `toml:"ic_burst_hold" comment:"Ingress control default: seconds the announce rate must stay below the burst limit before a burst counts as over. Unset uses 15." example:"15"`
	ICBurstFreqNew        *float64 `toml:"ic_burst_freq_new" comment:"Ingress control default: announces per second that count as a burst on newly created interfaces. Unset uses 3." example:"3"`
	ICBurstFreq           *float64 `toml:"ic_burst_freq" comment:"Ingress control default: announces per second that count as a burst on other interfaces. Unset uses 10." example:"10"`
	ICPRBurstFreqNew      *float64 `toml:"ic_pr_burst_freq_new" comment:"Ingress control default: path requests per second that count as a burst on newly created interfaces. Unset uses 3." example:"3"`
	ICPRBurstFreq         *float64 `toml:"ic_pr_burst_freq" comment:"Ingress control default: path requests per second that count as a burst on other interfaces. Unset uses 8." example:"8"`
	ECPRFreq              *float64 `toml:"ec_pr_freq" comment:"Egress control default: maximum outgoing path requests per second per interface. Unset uses 5." example:"5"`
	EgressControl         *bool    `toml:"egress_control" comment:"Egress control default: hard-limit outgoing path requests to ec_pr_freq. Unset means off." example:"false"`
	ICNewTime             *float64 `toml:"ic_new_time" comment:"Ingress control default: seconds an interface counts as newly created. Unset uses 7200." example:"7200"`
	ICBurstPenalty        *float64 `toml:"ic_burst_penalty" comment:"Ingress control default: seconds after a burst before held announces are released. Unset uses 15." example:"15"`
	ICHeldReleaseInterval *float64 `toml:"ic_held_release_interval" comment:"Ingress control default: seconds between releasing two held announces. Unset uses 5." example:"5"`
}

// Logging holds the log settings. LogLevel and Level describe the same
// thing; after Load, Decode, ImportReticulum or Default they agree.
type Logging struct {
	LogLevel      int    `toml:"loglevel" comment:"Log level as a number, as in the reference: 0 critical, 1 error, 2 warning, 3 notice, 4 info, 5 verbose, 6 debug, 7 pathing, 8 extreme. Each level includes the ones below it."`
	Level         string `toml:"level" comment:"Log level by name: critical, error, warning, notice, info, verbose, debug, pathing or extreme. Set either level or loglevel; if both are set they must agree."`
	LogTimestamps bool   `toml:"logtimestamps" comment:"Prefix log lines with a timestamp."`
}

// Interface is one interface section. One flat struct holds the keys of
// every interface type, as the reference does; the comment of each field
// says which types read it. Zero values and nil pointers mean "the default
// of the interface type" unless the comment says otherwise.
type Interface struct {
	Name    string `toml:"name" comment:"Name of the interface; unique. In the reference this is the [[section]] name."`
	Type    string `toml:"type" comment:"Interface type: AutoInterface, TCPClientInterface, TCPServerInterface, UDPInterface, BackboneInterface, BackboneClientInterface, I2PInterface, SerialInterface, PipeInterface, KISSInterface, AX25KISSInterface, RNodeInterface, RNodeMultiInterface or WeaveInterface."`
	Enabled bool   `toml:"enabled" comment:"Bring the interface up. Interfaces are disabled unless this is true. The reference also reads interface_enabled."`
	// Mode is one of the Mode* constants.
	Mode     string `toml:"mode" comment:"Interface mode: full, gateway (gw), access_point (ap), point_to_point (ptp), roaming, boundary or internal. It decides how announces propagate and how long paths over the interface live. The reference also reads interface_mode."`
	Outgoing bool   `toml:"outgoing" comment:"Allow the interface to transmit. false makes it receive-only."`
	Bitrate  int64  `toml:"bitrate" comment:"Bitrate of the medium in bits per second, at least 5. 0 uses the rate the hardware reports or the type's estimate."`
	// AnnounceCap is a percentage, not a fraction.
	AnnounceCap         float64 `toml:"announce_cap" comment:"Maximum share of the bitrate, in percent (above 0, at most 100), spent on announces. Announces beyond it are queued."`
	Gravity             *int    `toml:"gravity" comment:"Pathing gravity of this interface. Unset uses default_gravity." example:"0"`
	NetworkName         string  `toml:"network_name" comment:"Virtual network name. With network_name and/or passphrase set, every packet carries an interface access code (IFAC) and packets without a valid one are dropped. The reference also reads networkname."`
	Passphrase          string  `toml:"passphrase" comment:"Passphrase for the interface access code; can be used with or without network_name. The reference also reads pass_phrase."`
	Plugin              string  `toml:"plugin" comment:"Run the interface's driver as a plugin process: a path to the plugin executable, or a name NAME that finds mehr-plugin-NAME next to mehrd, in plugin_dir or on PATH. Required for types mehrd does not know, whose other keys are all passed to the plugin. Empty uses mehrd's own driver for the type (for UDPInterface, the udp plugin). mehr only; see docs/PLUGINS.md." example:"\"udp\""`
	IFACSize            int     `toml:"ifac_size" comment:"Length of the interface access code in BITS, as in the reference: a multiple of 8 from 8 to 512. 0 uses the type's default: 128 bits for IP-based types, 64 for serial and radio types."`
	AnnounceRateTarget  *int    `toml:"announce_rate_target" comment:"Minimum seconds between rebroadcasts of announces received on this interface for one destination. Unset: no target, or default_ar_target when transport is enabled." example:"3600"`
	AnnounceRateGrace   *int    `toml:"announce_rate_grace" comment:"Number of times a destination may exceed announce_rate_target before it is enforced." example:"5"`
	AnnounceRatePenalty *int    `toml:"announce_rate_penalty" comment:"Extra seconds added to announce_rate_target once it is enforced." example:"0"`

	IngressControl        bool     `toml:"ingress_control" comment:"Hold announces for new destinations and limit path requests while a burst is going on."`
	EgressControl         *bool    `toml:"egress_control" comment:"Hard-limit outgoing path requests to ec_pr_freq. Unset uses the [reticulum] default." example:"false"`
	ICMaxHeldAnnounces    *int     `toml:"ic_max_held_announces" comment:"Maximum number of held announces. Unset uses the [reticulum] default." example:"256"`
	ICBurstHold           *float64 `toml:"ic_burst_hold" comment:"Seconds the announce rate must stay low before a burst is over. Unset uses the [reticulum] default." example:"15"`
	ICBurstFreqNew        *float64 `toml:"ic_burst_freq_new" comment:"Announces per second that count as a burst while the interface is new. Unset uses the [reticulum] default." example:"3"`
	ICBurstFreq           *float64 `toml:"ic_burst_freq" comment:"Announces per second that count as a burst. Unset uses the [reticulum] default." example:"10"`
	ICPRBurstFreqNew      *float64 `toml:"ic_pr_burst_freq_new" comment:"Path requests per second that count as a burst while the interface is new. Unset uses the [reticulum] default." example:"3"`
	ICPRBurstFreq         *float64 `toml:"ic_pr_burst_freq" comment:"Path requests per second that count as a burst. Unset uses the [reticulum] default." example:"8"`
	ECPRFreq              *float64 `toml:"ec_pr_freq" comment:"Maximum outgoing path requests per second with egress control. Unset uses the [reticulum] default." example:"5"`
	ICNewTime             *float64 `toml:"ic_new_time" comment:"Seconds the interface counts as new. Unset uses the [reticulum] default." example:"7200"`
	ICBurstPenalty        *float64 `toml:"ic_burst_penalty" comment:"Seconds after a burst before held announces are released. Unset uses the [reticulum] default." example:"15"`
	ICHeldReleaseInterval *float64 `toml:"ic_held_release_interval" comment:"Seconds between releasing two held announces. Unset uses the [reticulum] default." example:"5"`

	BootstrapOnly         bool  `toml:"bootstrap_only" comment:"Use the interface only to find better ones: it is detached once autoconnect_discovered_interfaces interfaces are connected."`
	RecursivePRs          bool  `toml:"recursive_prs" comment:"Resolve unknown paths recursively for path requests received here, whatever the mode."`
	AnnouncesFromInternal bool  `toml:"announces_from_internal" comment:"Let announces received on internal-mode interfaces propagate out of this interface."`
	AnnouncesToInternal   *bool `toml:"announces_to_internal" comment:"Let announces received here propagate to internal-mode interfaces even when the mode would not allow it. Unset follows the mode." example:"true"`
	IgnoreConfigWarnings  bool  `toml:"ignore_config_warnings" comment:"Keep the configured mode of a discoverable interface instead of switching it to gateway (or access_point for RNode types)."`

	Discoverable        bool     `toml:"discoverable" comment:"Publish this interface in interface discovery announces so that other nodes can find and connect to it. The discovery keys below are read only when this is true."`
	AnnounceInterval    *int     `toml:"announce_interval" comment:"Minutes between discovery announces; at least 5. Unset uses 360." example:"360"`
	DiscoveryStampValue *int     `toml:"discovery_stamp_value" comment:"Proof-of-work value of the stamp on discovery announces. Unset uses 16." example:"16"`
	DiscoveryName       string   `toml:"discovery_name" comment:"Human-readable name in discovery announces. Empty uses the interface name."`
	DiscoveryEncrypt    bool     `toml:"discovery_encrypt" comment:"Encrypt discovery announces for the network identity ([reticulum] network_identity)."`
	ReachableOn         string   `toml:"reachable_on" comment:"Address (host name or IP, no port) that remote peers connect to, or the path of an executable that prints it."`
	PublishIFAC         bool     `toml:"publish_ifac" comment:"Include network_name and passphrase in discovery announces."`
	LocationCmd         string   `toml:"location_cmd" comment:"Path of an executable that prints \"latitude, longitude, height\" for discovery announces, instead of the three keys below."`
	Latitude            *float64 `toml:"latitude" comment:"Latitude of the interface in decimal degrees, for discovery announces." example:"0"`
	Longitude           *float64 `toml:"longitude" comment:"Longitude of the interface in decimal degrees, for discovery announces." example:"0"`
	Height              *float64 `toml:"height" comment:"Height of the interface in metres above mean sea level, for discovery announces." example:"0"`
	DiscoveryFrequency  *int64   `toml:"discovery_frequency" comment:"Radio frequency in Hz to publish in discovery announces." example:"868000000"`
	DiscoveryBandwidth  *int64   `toml:"discovery_bandwidth" comment:"Radio bandwidth in Hz to publish in discovery announces." example:"125000"`
	DiscoveryModulation *int     `toml:"discovery_modulation" comment:"Modulation code to publish in discovery announces." example:"0"`
	// TransportIdentity is informational; the reference does not read it.
	TransportIdentity string `toml:"transport_identity" comment:"Transport identity hash (32 hexadecimal characters) expected at the other end. Written by rnstatus -D into discovered-interface snippets; informational."`

	// TCPClientInterface, BackboneInterface (client role), BackboneClientInterface.
	TargetHost string `toml:"target_host" comment:"Host name or IP address to connect to. The reference also reads remote for Backbone types." use:"tcpc bb bbc" example:"\"192.0.2.1\""`
	TargetPort int    `toml:"target_port" comment:"TCP port to connect to." use:"tcpc bb bbc" example:"4242"`
	// TCPServerInterface, UDPInterface, BackboneInterface (listener role).
	ListenIP   string `toml:"listen_ip" comment:"IP address to listen on; 0.0.0.0 listens on all IPv4 addresses. The reference also reads listen_on for Backbone types." use:"tcps udp bb" example:"\"0.0.0.0\""`
	ListenPort int    `toml:"listen_port" comment:"Port to listen on. For TCPServerInterface, UDPInterface and Backbone types an integer port key is accepted as well, as in the reference: it sets listen_port (TCP server, Backbone listener), target_port (Backbone client), or listen_port and forward_port where those are unset (UDP)." use:"tcps udp bb" example:"4242"`
	Device     string `toml:"device" comment:"Network device (for example eth0) whose address to listen on, instead of listen_ip. UDPInterface uses the device's broadcast address for listen_ip and forward_ip where those are unset." use:"tcps udp bb" example:"\"eth0\""`
	// UDPInterface.
	ForwardIP   string `toml:"forward_ip" comment:"IP address to send to, usually a broadcast address such as 255.255.255.255." use:"udp" example:"\"255.255.255.255\""`
	ForwardPort int    `toml:"forward_port" comment:"UDP port to send to." use:"udp" example:"4242"`
	// TCP and Backbone options.
	PreferIPv6            bool     `toml:"prefer_ipv6" comment:"Bind to (or resolve) the IPv6 address when both IPv4 and IPv6 are available." use:"tcps bb bbc" example:"false"`
	I2PTunneled           bool     `toml:"i2p_tunneled" comment:"The connection is tunnelled over I2P; use timeouts that suit it." use:"tcpc tcps bb bbc" example:"false"`
	KISSFraming           bool     `toml:"kiss_framing" comment:"Use KISS framing instead of HDLC, to talk to KISS-over-TCP devices such as software modems. Never enable it between mehr or Reticulum nodes." use:"tcpc" example:"false"`
	ConnectTimeout        *int     `toml:"connect_timeout" comment:"Seconds to wait for the TCP connection to be established. Unset uses 5." use:"tcpc bb bbc" example:"5"`
	MaxReconnectTries     *int     `toml:"max_reconnect_tries" comment:"Reconnection attempts before giving up. Unset retries forever." use:"tcpc bb bbc" example:"10"`
	FixedMTU              int      `toml:"fixed_mtu" comment:"Fixed hardware MTU in bytes, at least 500, for devices that need one. 0 lets the MTU be configured automatically." use:"tcpc" example:"500"`
	BlockFastFlapping     *bool    `toml:"block_fast_flapping" comment:"Block remote addresses that repeatedly connect and disconnect quickly. Unset means on." use:"bb" example:"true"`
	FastFlappingThreshold *float64 `toml:"fast_flapping_threshold" comment:"Seconds a client must stay connected not to count as flapping. Unset uses 20." use:"bb" example:"20"`
	FastFlappingGrace     *int     `toml:"fast_flapping_grace" comment:"Number of fast flaps tolerated before an address is blocked. Unset uses 5." use:"bb" example:"5"`
	FastFlappingBlockTime *float64 `toml:"fast_flapping_block_time" comment:"Minutes an address stays blocked. Unset uses 720." use:"bb" example:"720"`

	// AutoInterface.
	GroupID              string   `toml:"group_id" comment:"Group ID; nodes only peer with nodes of the same group, which isolates networks on one LAN. Empty uses \"reticulum\"." use:"auto" example:"\"reticulum\""`
	DiscoveryScope       string   `toml:"discovery_scope" comment:"IPv6 multicast scope for peer discovery: link, admin, site, organisation or global. Empty uses link." use:"auto" example:"\"link\""`
	DiscoveryPort        int      `toml:"discovery_port" comment:"UDP port for multicast peer discovery; the port above it is used for unicast discovery. 0 uses 29716." use:"auto" example:"29716"`
	DataPort             int      `toml:"data_port" comment:"UDP port for data. 0 uses 42671." use:"auto" example:"42671"`
	MulticastAddressType string   `toml:"multicast_address_type" comment:"Multicast address type: temporary or permanent. Empty uses temporary." use:"auto" example:"\"temporary\""`
	Devices              []string `toml:"devices" comment:"Network devices to use. Empty uses every suitable device." use:"auto" example:"[\"eth0\", \"wlan0\"]"`
	IgnoredDevices       []string `toml:"ignored_devices" comment:"Network devices never to use." use:"auto" example:"[\"tun0\"]"`

	// I2PInterface.
	Peers       []string `toml:"peers" comment:"I2P addresses (b32) of peers to connect to." use:"i2p" example:"[\"example.b32.i2p\"]"`
	Connectable bool     `toml:"connectable" comment:"Accept incoming I2P connections on this node's I2P address." use:"i2p" example:"true"`

	// Serial-attached types.
	Port        string `toml:"port" comment:"Serial device of the modem or radio, such as /dev/ttyUSB0. RNodeInterface also accepts tcp://host and ble://name-or-address." use:"serial kiss ax25 rnode rmulti weave" example:"\"/dev/ttyUSB0\""`
	Speed       int    `toml:"speed" comment:"Serial speed in baud. 0 uses 9600." use:"serial kiss ax25" example:"115200"`
	DataBits    int    `toml:"databits" comment:"Serial data bits, 5 to 8. 0 uses 8." use:"serial kiss ax25" example:"8"`
	Parity      string `toml:"parity" comment:"Serial parity: none, even or odd. Empty uses none." use:"serial kiss ax25" example:"\"none\""`
	StopBits    int    `toml:"stopbits" comment:"Serial stop bits, 1 or 2. 0 uses 1." use:"serial kiss ax25" example:"1"`
	Preamble    *int   `toml:"preamble" comment:"KISS modem preamble (TX delay) in milliseconds. Unset uses 350." use:"kiss ax25" example:"150"`
	TXTail      *int   `toml:"txtail" comment:"KISS modem TX tail in milliseconds. Unset uses 20." use:"kiss ax25" example:"10"`
	Persistence *int   `toml:"persistence" comment:"KISS CSMA persistence, 0 to 255. Unset uses 64." use:"kiss ax25" example:"200"`
	SlotTime    *int   `toml:"slottime" comment:"KISS CSMA slot time in milliseconds. Unset uses 20." use:"kiss ax25" example:"20"`
	FlowControl bool   `toml:"flow_control" comment:"Wait for the device to report that it is ready before sending the next packet." use:"kiss ax25 rnode" example:"false"`
	IDCallsign  string `toml:"id_callsign" comment:"Station identification (for example a callsign) to transmit every id_interval seconds. The reference's Android build calls it beacon_data." use:"kiss rnode rmulti" example:"\"MYCALL-0\""`
	IDInterval  *int   `toml:"id_interval" comment:"Seconds between station identifications; the ID is only sent if the station transmitted since the last one. The reference's Android build calls it beacon_interval." use:"kiss rnode rmulti" example:"600"`
	Callsign    string `toml:"callsign" comment:"AX.25 source callsign, 3 to 6 characters." use:"ax25" example:"\"NOCALL\""`
	SSID        *int   `toml:"ssid" comment:"AX.25 source SSID, 0 to 15." use:"ax25" example:"0"`

	// RNodeInterface.
	Frequency         int64    `toml:"frequency" comment:"Radio frequency in Hz." use:"rnode" example:"867200000"`
	Bandwidth         int64    `toml:"bandwidth" comment:"LoRa bandwidth in Hz." use:"rnode" example:"125000"`
	TXPower           int      `toml:"txpower" comment:"Transmit power in dBm." use:"rnode" example:"7"`
	SpreadingFactor   int      `toml:"spreadingfactor" comment:"LoRa spreading factor, 5 to 12; higher is slower with more range." use:"rnode" example:"8"`
	CodingRate        int      `toml:"codingrate" comment:"LoRa coding rate, 5 to 8; higher is slower and more robust." use:"rnode" example:"5"`
	AirtimeLimitShort *float64 `toml:"airtime_limit_short" comment:"Maximum airtime in percent over a window of about 15 seconds. Unset means no limit." use:"rnode" example:"33"`
	AirtimeLimitLong  *float64 `toml:"airtime_limit_long" comment:"Maximum airtime in percent over a rolling hour. Unset means no limit." use:"rnode" example:"1.5"`

	// RNodeMultiInterface.
	Subinterfaces []SubInterface `toml:"subinterfaces" comment:"Radios of a multi-transceiver RNode, one [[interfaces.subinterfaces]] entry each (the [[[Name]]] subsections of the reference)." use:"rmulti"`

	// PipeInterface.
	Command      string   `toml:"command" comment:"Command to run; packets are written to its stdin and read from its stdout." use:"pipe" example:"\"netcat -l 5757\""`
	RespawnDelay *float64 `toml:"respawn_delay" comment:"Seconds to wait before restarting the command after it exits. Unset uses 5." use:"pipe" example:"5"`

	// Options holds the keys of an interface of a type mehrd does not
	// know (one with a plugin key) that are not in the schema: the
	// plugin's own keys, passed to it unchanged. Load fills it; the
	// reference dialect has no such interfaces.
	Options map[string]any `toml:"-"`
}

// SubInterface is one radio of an RNodeMultiInterface.
type SubInterface struct {
	Name              string   `toml:"name" comment:"Name of the subinterface; unique within its interface."`
	Enabled           bool     `toml:"enabled" comment:"Use this radio. (The reference also enables every subinterface when the parent has enabled = yes; the importer applies that rule.)"`
	VPort             *int     `toml:"vport" comment:"Virtual port of the radio on the device, as given by the board configuration. Required when enabled." example:"0"`
	Frequency         int64    `toml:"frequency" comment:"Radio frequency in Hz." example:"865600000"`
	Bandwidth         int64    `toml:"bandwidth" comment:"LoRa bandwidth in Hz." example:"125000"`
	TXPower           int      `toml:"txpower" comment:"Transmit power in dBm." example:"0"`
	SpreadingFactor   int      `toml:"spreadingfactor" comment:"LoRa spreading factor, 5 to 12." example:"7"`
	CodingRate        int      `toml:"codingrate" comment:"LoRa coding rate, 5 to 8." example:"5"`
	FlowControl       bool     `toml:"flow_control" comment:"Wait for the device to report that it is ready before sending." example:"false"`
	AirtimeLimitShort *float64 `toml:"airtime_limit_short" comment:"Maximum airtime in percent over about 15 seconds. Unset means no limit." example:"100"`
	AirtimeLimitLong  *float64 `toml:"airtime_limit_long" comment:"Maximum airtime in percent over a rolling hour. Unset means no limit." example:"100"`
	Outgoing          bool     `toml:"outgoing" comment:"Allow this radio to transmit."`
}

// Interface types of the reference. The daemon implements a subset; the
// schema covers all of them.
const (
	TypeAuto           = "AutoInterface"
	TypeTCPClient      = "TCPClientInterface"
	TypeTCPServer      = "TCPServerInterface"
	TypeUDP            = "UDPInterface"
	TypeBackbone       = "BackboneInterface"
	TypeBackboneClient = "BackboneClientInterface"
	TypeI2P            = "I2PInterface"
	TypeSerial         = "SerialInterface"
	TypePipe           = "PipeInterface"
	TypeKISS           = "KISSInterface"
	TypeAX25KISS       = "AX25KISSInterface"
	TypeRNode          = "RNodeInterface"
	TypeRNodeMulti     = "RNodeMultiInterface"
	TypeWeave          = "WeaveInterface"
)

// Interface modes, in their canonical spelling. Load and ImportReticulum
// also accept the reference's aliases (gw, ap, accesspoint, ptp,
// pointtopoint) in any case and store the canonical name.
const (
	ModeFull         = "full"
	ModeGateway      = "gateway"
	ModeAccessPoint  = "access_point"
	ModePointToPoint = "point_to_point"
	ModeRoaming      = "roaming"
	ModeBoundary     = "boundary"
	ModeInternal     = "internal"
)

// Defaults of the reference.
const (
	defaultInstanceName        = "default"
	DefaultSharedInstancePort  = 37428
	DefaultInstanceControlPort = 37429
	DefaultLogLevel            = 4 // info
	DefaultAnnounceCap         = 2 // percent
	MaxLogLevel                = 8 // extreme
)

// typeGroups maps each interface type to the short name used in the use
// tags of Interface fields.
var typeGroups = map[string]string{
	TypeAuto:           "auto",
	TypeTCPClient:      "tcpc",
	TypeTCPServer:      "tcps",
	TypeUDP:            "udp",
	TypeBackbone:       "bb",
	TypeBackboneClient: "bbc",
	TypeI2P:            "i2p",
	TypeSerial:         "serial",
	TypePipe:           "pipe",
	TypeKISS:           "kiss",
	TypeAX25KISS:       "ax25",
	TypeRNode:          "rnode",
	TypeRNodeMulti:     "rmulti",
	TypeWeave:          "weave",
}

// Types returns the interface types the schema knows, in a fixed order.
func Types() []string {
	return []string{TypeAuto, TypeTCPClient, TypeTCPServer, TypeUDP, TypeBackbone, TypeBackboneClient,
		TypeI2P, TypeSerial, TypePipe, TypeKISS, TypeAX25KISS, TypeRNode, TypeRNodeMulti, TypeWeave}
}

// levelNames are the log level names, indexed by level.
var levelNames = [...]string{"critical", "error", "warning", "notice", "info", "verbose", "debug", "pathing", "extreme"}

// LevelName returns the name of a numeric log level, or "" if it is out
// of range.
func LevelName(level int) string {
	if level < 0 || level >= len(levelNames) {
		return ""
	}
	return levelNames[level]
}

// ParseLevel returns the numeric log level for a level name (any case).
func ParseLevel(name string) (int, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(n, name) {
			return i, true
		}
	}
	return 0, false
}

// Default returns the configuration the reference writes when it starts
// without one: transport off, a shared instance, log level info and one
// enabled AutoInterface named "Default Interface".
func Default() *Config {
	c := &Config{
		Reticulum: defaultReticulum(),
		Logging: Logging{
			LogLevel:      DefaultLogLevel,
			Level:         levelNames[DefaultLogLevel],
			LogTimestamps: true,
		},
	}
	it := NewInterface("Default Interface", TypeAuto)
	it.Enabled = true
	c.Interfaces = []Interface{it}
	return c
}

func defaultReticulum() Reticulum {
	return Reticulum{
		ShareInstance:       true,
		InstanceName:        defaultInstanceName,
		SharedInstancePort:  DefaultSharedInstancePort,
		InstanceControlPort: DefaultInstanceControlPort,
		UseImplicitProof:    true,
		LinkMTUDiscovery:    true,
	}
}

// NewInterface returns an interface with the reference's defaults: disabled,
// full mode, allowed to transmit, a 2% announce cap, ingress control on.
func NewInterface(name, typ string) Interface {
	return Interface{
		Name:                  name,
		Type:                  typ,
		Mode:                  ModeFull,
		Outgoing:              true,
		AnnounceCap:           DefaultAnnounceCap,
		IngressControl:        true,
		AnnouncesFromInternal: true,
	}
}

// NewSubInterface returns a subinterface with the reference's defaults.
func NewSubInterface(name string) SubInterface {
	return SubInterface{Name: name, Outgoing: true}
}
