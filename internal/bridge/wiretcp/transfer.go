package wiretcp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/wire"
)

// outResource is a resource sent with wire_resource_send.
type outResource struct {
	t      *link.Transfer
	cancel context.CancelFunc
}

// refStatus is the reference's status code for s: its REJECTED is 0.
func refStatus(s resource.Status) int {
	if s == resource.StatusRejected {
		return 0
	}
	return int(s)
}

var resourceStatusNames = map[int]string{
	0: "NONE", 1: "QUEUED", 2: "ADVERTISED", 3: "TRANSFERRING", 4: "AWAITING_PROOF",
	5: "ASSEMBLING", 6: "COMPLETE", 7: "FAILED", 8: "CORRUPT",
}

func cmdResourceSend(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	meta, err := p.OptHex("metadata")
	if err != nil {
		return nil, err
	}
	wait, _ := p.Bool("wait", true)
	var opts link.ResourceOptions
	if len(meta) > 0 {
		// The reference packs the metadata object; the bridge passes bytes.
		if opts.Metadata, err = msgpack.Marshal(meta); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t, err := ls.l.SendResource(ctx, data, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	rid := newHandle()
	in.mu.Lock()
	in.resources[rid] = &outResource{t: t, cancel: cancel}
	in.mu.Unlock()
	h := t.Hash()
	info := bridge.Result{
		"resource_id":   rid,
		"size":          len(data),
		"original_hash": hex.EncodeToString(h[:]),
		"has_metadata":  len(meta) > 0,
	}
	transferInfo(t, info)
	if !wait {
		info["started"] = true
		return info, nil
	}
	wctx, wcancel := context.WithTimeout(context.Background(), timeoutParam(p, 30000))
	defer wcancel()
	werr := t.Wait(wctx)
	timedOut := errors.Is(werr, context.DeadlineExceeded) && wctx.Err() != nil
	if timedOut {
		t.Cancel()
	}
	transferInfo(t, info)
	st := refStatus(t.Status())
	info["success"] = werr == nil && t.Status() == resource.StatusComplete
	info["status"] = st
	info["timed_out"] = timedOut
	return info, nil
}

func cmdResourceCancel(in *instance, p bridge.Params) (bridge.Result, error) {
	rid, err := p.String("resource_id")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	r := in.resources[rid]
	in.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("Unknown resource_id: %s", rid)
	}
	r.t.Cancel()
	select {
	case <-r.t.Done():
	case <-time.After(2 * time.Second):
	}
	return bridge.Result{"cancelled": true, "resource_id": rid, "status": refStatus(r.t.Status())}, nil
}

// cmdResourceReceiverStatus reports the last incoming resource of a
// listener once it has ended (or the timeout passes).
func cmdResourceReceiverStatus(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	var rec *inResource
	n := 0
	pollUntil(timeoutParam(p, 10000), func() bool {
		ln.mu.Lock()
		defer ln.mu.Unlock()
		n = len(ln.incoming)
		if n == 0 {
			return false
		}
		rec = ln.incoming[n-1]
		return rec.done
	})
	if rec == nil {
		return bridge.Result{"found": false, "resource_count": 0}, nil
	}
	ln.mu.Lock()
	data, meta := rec.data, rec.metadata
	ln.mu.Unlock()
	st := refStatus(rec.t.Status())
	out := bridge.Result{
		"found":          true,
		"resource_count": n,
		"status":         st,
		"status_name":    resourceStatusNames[st],
		"corrupt":        rec.t.Status() == resource.StatusCorrupt,
		"has_metadata":   meta != nil,
		"metadata":       nil,
		"data":           nil,
	}
	out["hmu_requests_sent"], out["hashmap_updates_received"] = rec.t.HashmapUpdates()
	if meta != nil {
		out["metadata"] = hex.EncodeToString(meta)
	}
	if data != nil {
		out["data"] = hex.EncodeToString(data)
	}
	return out, nil
}

// endpointFor returns the channel endpoint of a link by ID: an outbound
// link of this node, or an inbound one of its listeners.
func (in *instance) endpointFor(p bridge.Params) (*endpoint, error) {
	if ls, err := in.outLink(p); err == nil {
		return &ls.endpoint, nil
	}
	s := p.StringOr("link_id", p.StringOr("channel_id", ""))
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return nil, fmt.Errorf("%w: bad link_id %q", bridge.ErrParam, s)
	}
	if _, il := in.inboundLink([16]byte(b)); il != nil {
		return &il.endpoint, nil
	}
	return nil, fmt.Errorf("Unknown link_id: %s", s)
}

// cmdChannelSend sends one message on the link's channel and waits for its
// proof. drop_acks makes the outlet hand the channel receipts that never
// prove, for this and every later send; fail_outlet makes the outlet
// transmit nothing for this send.
func cmdChannelSend(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	dropAcks, _ := p.Bool("drop_acks", false)
	failOutlet, _ := p.Bool("fail_outlet", false)
	c := ls.openChannel(ls.l, nil)
	ls.mu.Lock()
	out := ls.outletLocked(ls.l)
	ls.mu.Unlock()
	msgType := wireMsgType
	if p.Has("msgtype") {
		if msgType, err = p.Int("msgtype"); err != nil {
			return nil, err
		}
		if msgType < 0 || msgType > 0xffff {
			return nil, fmt.Errorf("%w: msgtype", bridge.ErrParam)
		}
	}
	timeout := timeoutParam(p, 20000)
	if msgType >= int(channel.MsgTypeReserved) {
		// The reference refuses to register the type; so does Register.
		err := c.Register(uint16(msgType))
		return bridge.Result{"rejected": err != nil, "error": errString(err), "sent": false}, nil
	}
	if c.Err() == nil && !pollUntil(timeout, c.Ready) {
		st := c.State()
		return bridge.Result{"sent": false, "delivered": false, "tries": 0, "sequence": nil,
			"window": st.Window.Size, "window_max": st.Window.Max, "ready": false}, nil
	}
	if dropAcks {
		out.dropProofs.Store(true)
	}
	if failOutlet {
		out.failNext.Store(true)
	}
	o, err := c.SendMessage(uint16(msgType), data)
	out.failNext.Store(false)
	if err != nil {
		st := c.State()
		return bridge.Result{
			"sent": false, "rejected": true, "delivered": false, "error": err.Error(), "ce_type": ceType(err),
			"next_sequence": int(st.NextSequence), "window": st.Window.Size, "window_max": st.Window.Max,
		}, nil
	}
	select {
	case <-o.Done():
	case <-ls.l.Done():
	case <-time.After(timeout):
	}
	st := c.State()
	return bridge.Result{
		"sent":          true,
		"rejected":      false,
		"delivered":     o.Delivered(),
		"tries":         o.Tries(),
		"sequence":      int(o.Sequence()),
		"next_sequence": int(st.NextSequence),
		"window":        st.Window.Size,
		"window_max":    st.Window.Max,
		"link_status":   int(ls.l.Status()),
	}, nil
}

func errString(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

func cmdChannelReceived(in *instance, p bridge.Params) (bridge.Result, error) {
	e, err := in.endpointFor(p)
	if err != nil {
		return bridge.Result{"messages": []string{}}, nil
	}
	// Delivery runs on the channel's own routine: give messages handed to
	// it (by the wire or by wire_channel_inject) a moment to arrive, and
	// take them once no more trickle in.
	n := -1
	pollUntil(250*time.Millisecond, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.rx) > 0 && len(e.rx) == n {
			return true
		}
		n = len(e.rx)
		return false
	})
	return bridge.Result{"messages": e.drainRx()}, nil
}

// cmdBufferStream writes data through a stream writer on the link's
// channel, one WriteChunk (one reference RawChannelWriter.write) at a
// time, and ends the stream with EOF: a separate empty message, or with
// eof_with_data the flag on the last data message. With bomb it instead
// sends one compressed stream message of bomb_decompressed_len zero bytes
// (default 4 × MaxChunkLen), compressed with the resource package's bzip2
// encoder.
func cmdBufferStream(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	sid, err := p.IntOr("stream_id", 0)
	if err != nil || sid < 0 || sid > channel.StreamIDMax {
		return nil, fmt.Errorf("%w: stream_id", bridge.ErrParam)
	}
	bomb, _ := p.Bool("bomb", false)
	eofWithData, _ := p.Bool("eof_with_data", false)
	timeout := timeoutParam(p, 30000)
	deadline := time.Now().Add(timeout)
	c := ls.openChannel(ls.l, nil)
	manifest := []bridge.Result{}
	var sent []*channel.Outgoing
	record := func(ch channel.Chunk) {
		manifest = append(manifest, bridge.Result{
			"bytes": ch.Len, "compressed": ch.Compressed, "eof": ch.EOF, "sequence": int(ch.Msg.Sequence()),
		})
		sent = append(sent, ch.Msg)
	}
	ready := func() bool { return pollUntil(time.Until(deadline), c.Ready) }
	if bomb {
		n, err := p.IntOr("bomb_decompressed_len", 4*channel.MaxChunkLen)
		if err != nil || n < 0 || n > 1<<26 {
			return nil, fmt.Errorf("%w: bomb_decompressed_len", bridge.ErrParam)
		}
		z, err := resource.Compress(make([]byte, n))
		if err != nil {
			return nil, err
		}
		if !ready() {
			return bridge.Result{"written": 0, "eof": false, "ready": false, "manifest": manifest}, nil
		}
		m := channel.StreamMessage{StreamID: uint16(sid), EOF: true, Compressed: true, Data: z}
		o, err := c.SendStream(&m)
		if err != nil {
			return nil, err
		}
		record(channel.Chunk{Len: len(z), Compressed: true, EOF: true, Msg: o})
		return bridge.Result{
			"written": 0, "eof": true, "bomb": true, "decompressed_len": n,
			"sequence": int(o.Sequence()), "manifest": manifest, "max_chunk_len": channel.MaxChunkLen,
		}, nil
	}
	w := channel.NewWriter(c, uint16(sid))
	total := 0
	returns := []int{}
	for rest := data; len(rest) > 0 && time.Now().Before(deadline); {
		if !ready() {
			break
		}
		eof := eofWithData && len(rest) <= channel.MaxStreamData
		ch, err := w.WriteChunk(rest, eof)
		if err != nil {
			return nil, err
		}
		record(ch)
		rest = rest[ch.Consumed:]
		total += ch.Consumed
		returns = append(returns, ch.Consumed)
	}
	if !eofWithData {
		ready()
		ch, err := w.WriteChunk(nil, true)
		if err != nil {
			return nil, err
		}
		record(ch)
	}
	for _, o := range sent {
		select {
		case <-o.Done():
		case <-time.After(time.Until(deadline)):
		}
	}
	return bridge.Result{
		"written":           total,
		"eof":               true,
		"manifest":          manifest,
		"write_returns":     returns,
		"max_data_len":      channel.MaxStreamData,
		"max_chunk_len":     channel.MaxChunkLen,
		"compression_tries": channel.CompressionTries,
		"tx_ring_after":     c.State().Outstanding,
	}, nil
}

// cmdBufferReceived drains what a listener's stream reader has read, once
// the stream ended (EOF), a stream message was refused (aborted) or the
// timeout passed.
func cmdBufferReceived(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	sid, err := p.IntOr("stream_id", 0)
	if err != nil {
		return nil, err
	}
	var bs *bufState
	var e *endpoint
	get := func() {
		ln.mu.Lock()
		links := append([]*inLink(nil), ln.inbound...)
		ln.mu.Unlock()
		for i := len(links) - 1; i >= 0; i-- {
			links[i].mu.Lock()
			b := links[i].buffers[uint16(sid)]
			links[i].mu.Unlock()
			if b != nil {
				bs, e = b, &links[i].endpoint
				return
			}
		}
	}
	pollUntil(timeoutParam(p, 30000), func() bool {
		get()
		if bs == nil {
			return false
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return bs.eof || e.cx.aborted
	})
	if bs == nil {
		return bridge.Result{"data": "", "eof": false, "aborted": false, "error": nil}, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var es any
	if e.cx.aborted {
		es = e.cx.abortErr
	}
	data := hex.EncodeToString(bs.data)
	bs.data = nil
	return bridge.Result{"data": data, "eof": bs.eof, "aborted": e.cx.aborted, "error": es}, nil
}

func cmdListenerProofLog(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	ln.mu.Lock()
	contexts := append([]int{}, ln.proofLog...)
	ln.mu.Unlock()
	n := 0
	for _, c := range contexts {
		if c == int(wire.ContextChannel) {
			n++
		}
	}
	return bridge.Result{"contexts": contexts, "channel_proofs": n, "channel_context": int(wire.ContextChannel)}, nil
}

// transferInfo adds a transfer's segment and part counts to r.
func transferInfo(t *link.Transfer, r bridge.Result) {
	si, st := t.Segments()
	_, parts := t.Parts()
	r["segment_index"], r["total_segments"], r["parts"] = si, st, parts
	r["split"] = st > 1
}

// cmdChannelInject packs envelopes with the channel codec and injects
// them into the outbound link's live channel.
func cmdChannelInject(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	c := ls.openChannel(ls.l, nil)
	envs, err := p.List("envelopes")
	if err != nil {
		envs = nil
	}
	injected := []int{}
	for _, v := range envs {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: envelope %v", bridge.ErrParam, v)
		}
		ep := bridge.Params(m)
		if ep.Has("raw") {
			raw, err := ep.Hex("raw")
			if err != nil {
				return nil, err
			}
			c.Inject(raw)
			seq, _ := ep.IntOr("sequence", -1)
			injected = append(injected, seq)
			continue
		}
		seq, err := ep.Int("sequence")
		if err != nil {
			return nil, err
		}
		data, err := ep.OptHex("data")
		if err != nil {
			return nil, err
		}
		mt, err := ep.IntOr("msgtype", wireMsgType)
		if err != nil {
			return nil, err
		}
		raw, err := (&channel.Envelope{MsgType: uint16(mt), Sequence: uint16(seq), Data: data}).Append(nil)
		if err != nil {
			return nil, err
		}
		c.Inject(raw)
		injected = append(injected, seq)
	}
	return bridge.Result{"injected": injected}, nil
}

// cmdChannelWindow reports the channel's window and sequence state.
func cmdChannelWindow(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	c := ls.openChannel(ls.l, nil)
	st := c.State()
	env := []bridge.Result{}
	maxTries := 0
	for _, s := range st.Unproven {
		env = append(env, bridge.Result{"sequence": int(s.Sequence), "tries": s.Tries})
		maxTries = max(maxTries, s.Tries)
	}
	return bridge.Result{
		"window":             st.Window.Size,
		"window_min":         st.Window.Min,
		"window_max":         st.Window.Max,
		"window_flexibility": st.Window.Flexibility,
		"next_rx_sequence":   int(st.NextRx),
		"next_sequence":      int(st.NextSequence),
		"rx_ring":            st.RxPending,
		"tx_ring":            st.Outstanding,
		"tx_tries":           maxTries,
		"tx_envelopes":       env,
		"mdu":                c.MDU(),
		"outlet_mdu":         c.OutletMDU(),
		"message_handlers":   st.Handlers,
		"medium_rate_rounds": st.Window.MediumRounds,
		"fast_rate_rounds":   st.Window.FastRounds,
	}, nil
}

// cmdResourceCreate builds the first segment of a resource on an outbound
// link, without sending it, and reports what the codec computed.
func cmdResourceCreate(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	meta, err := p.OptHex("metadata")
	if err != nil {
		return nil, err
	}
	includeParts, _ := p.Bool("include_parts", true)
	autoCompress, _ := p.Bool("auto_compress", true)
	opts := link.ResourceOptions{NoCompress: !autoCompress}
	if len(meta) > 0 {
		if opts.Metadata, err = msgpack.Marshal(meta); err != nil {
			return nil, err
		}
	}
	mtu := 0
	if p.Has("force_sdu") {
		sdu, err := p.Int("force_sdu")
		if err != nil {
			return nil, err
		}
		// The reference sets the link MTU to sdu + HEADER_MAXSIZE +
		// IFAC_MIN_SIZE for the construction.
		mtu = sdu + wire.HeaderMaxSize + ifac.MinSize
	}
	r, segs, err := ls.l.BuildResource(data, opts, mtu)
	if err != nil {
		return nil, err
	}
	total := len(data)
	if opts.Metadata != nil {
		total += 3 + len(opts.Metadata)
	}
	out := bridge.Result{
		"hash":           hex.EncodeToString(r.Hash[:]),
		"truncated_hash": hex.EncodeToString(r.Hash[:wire.HashLen]),
		"random_hash":    hex.EncodeToString(r.RandomHash[:]),
		"expected_proof": hex.EncodeToString(r.ExpectedProof[:]),
		"hashmap":        hex.EncodeToString(r.Hashmap),
		"num_parts":      r.NumParts(),
		"encrypted":      r.Flags&resource.FlagEncrypted != 0,
		"compressed":     r.Flags&resource.FlagCompressed != 0,
		"split":          r.Flags&resource.FlagSplit != 0,
		"total_segments": segs,
		"segment_index":  r.SegmentIndex,
		"original_hash":  hex.EncodeToString(r.OriginalHash[:]),
		"has_metadata":   r.Flags&resource.FlagMetadata != 0,
		"flags":          int(r.Flags),
		"size":           r.TransferSize(),
		"total_size":     total,
		"sdu":            r.SDU,
	}
	if includeParts {
		parts := make([]string, r.NumParts())
		for i := range parts {
			parts[i] = hex.EncodeToString(r.AppendPartPacket(nil, ls.l.ID(), i))
		}
		out["parts"] = parts
	}
	return out, nil
}

// ceType is the reference's ChannelException type for a channel error
// (RNS.Channel.CEType), or nil.
func ceType(err error) any {
	switch {
	case errors.Is(err, channel.ErrMessageTooLarge):
		return 5 // ME_TOO_BIG
	case errors.Is(err, channel.ErrReservedType):
		return 1 // ME_INVALID_MSG_TYPE
	case errIsNotReady(err):
		return 3 // ME_LINK_NOT_READY
	}
	return nil
}

// cmdListenerChannelRx reports the receive state of the channel of a
// listener's first inbound link.
func cmdListenerChannelRx(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	var c *channel.Channel
	pollUntil(4*time.Second, func() bool {
		ln.mu.Lock()
		defer ln.mu.Unlock()
		if len(ln.inbound) > 0 {
			c = ln.inbound[0].channel()
		}
		return c != nil
	})
	if c == nil {
		return nil, errors.New("no inbound channel on this listener")
	}
	st := c.State()
	return bridge.Result{"next_rx_sequence": int(st.NextRx), "next_sequence": int(st.NextSequence), "rx_ring": st.RxPending}, nil
}
