package ws

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// The read side of RFC 6455 (§5), for a server: client frames are masked,
// no extension is negotiated (so RSV bits are 0), control frames are final
// and at most 125 bytes and may come between the fragments of a message.
// It reads straight from the TCP connection with no buffer of its own: a
// header in two small reads, then the payload into a slice of its exact
// size. An idle socket so holds no read buffer at all.

// Opcodes of frames a client sends.
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// errTooBig is a message over MaxFrameBytes.
var errTooBig = errors.New("message too big")

// protocolError is a frame RFC 6455 does not allow: the socket closes with 1002.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "websocket protocol error: " + e.msg }

func protocolErr(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// frameReader reads client messages from r.
type frameReader struct {
	r     io.Reader
	limit int64    // largest message, fragments together
	hdr   [12]byte // extended length and mask
}

// frame is one frame: its opcode, whether it ends its message, its payload
// (unmasked).
type frame struct {
	op      byte
	fin     bool
	payload []byte
}

// next reads one frame. A data frame (with the message's earlier fragments,
// soFar bytes) over the limit is errTooBig, before its payload is read.
func (f *frameReader) next(soFar int64) (frame, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:2]); err != nil {
		return frame{}, err
	}
	b0, b1 := f.hdr[0], f.hdr[1]
	fr := frame{op: b0 & 0x0f, fin: b0&0x80 != 0}
	if err := checkHeader(b0, b1); err != nil {
		return frame{}, err
	}
	control := fr.op >= opClose
	n := int64(b1 & 0x7f)
	ext := 0
	switch n {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	if _, err := io.ReadFull(f.r, f.hdr[:ext+4]); err != nil {
		return frame{}, err
	}
	switch ext {
	case 2:
		n = int64(binary.BigEndian.Uint16(f.hdr[:2]))
	case 8:
		u := binary.BigEndian.Uint64(f.hdr[:8])
		if u > 1<<62 {
			return frame{}, errTooBig
		}
		n = int64(u)
	}
	if !control && soFar+n > f.limit {
		return frame{}, errTooBig
	}
	var key [4]byte
	copy(key[:], f.hdr[ext:ext+4])
	fr.payload = make([]byte, n)
	if _, err := io.ReadFull(f.r, fr.payload); err != nil {
		return frame{}, err
	}
	for i := range fr.payload {
		fr.payload[i] ^= key[i&3]
	}
	return fr, nil
}

// message reads the next data message, passing control frames that come
// before or between its fragments to onControl (a close ends the read with
// io.EOF after onControl).
func (f *frameReader) message(onControl func(op byte, payload []byte) error) (op byte, data []byte, err error) {
	for {
		fr, err := f.next(int64(len(data)))
		if err != nil {
			return 0, nil, err
		}
		switch {
		case fr.op >= opClose:
			if err := onControl(fr.op, fr.payload); err != nil {
				return 0, nil, err
			}
			if fr.op == opClose {
				return 0, nil, io.EOF
			}
			continue
		case fr.op == opContinuation && op == 0:
			return 0, nil, protocolErr("continuation without a message")
		case fr.op != opContinuation && op != 0:
			return 0, nil, protocolErr("new message inside a fragmented one")
		case fr.op != opContinuation:
			op = fr.op
		}
		if data == nil {
			data = fr.payload
		} else {
			data = append(data, fr.payload...)
		}
		if fr.fin {
			if data == nil {
				data = []byte{}
			}
			return op, data, nil
		}
	}
}

// checkHeader refuses what a frame's first two bytes alone show to be
// wrong; next and complete share it, so the poller refuses such a frame
// from its header instead of buffering what follows it.
func checkHeader(b0, b1 byte) error {
	if b0&0x70 != 0 {
		return protocolErr("reserved bits set (no extension was negotiated)")
	}
	if b1&0x80 == 0 {
		return protocolErr("unmasked client frame")
	}
	op := b0 & 0x0f
	switch op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return protocolErr("unknown opcode %d", op)
	}
	if op >= opClose && (b1&0x7f > 125 || b0&0x80 == 0) {
		return protocolErr("control frame fragmented or over 125 bytes")
	}
	return nil
}

// closeCode reads a close frame's payload: its code (1005 when it has none)
// and whether the payload is well formed.
func closeCode(payload []byte) (int, bool) {
	switch {
	case len(payload) == 0:
		return 1005, true
	case len(payload) == 1:
		return 0, false
	}
	code := int(binary.BigEndian.Uint16(payload))
	valid := (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
	return code, valid && utf8.Valid(payload[2:])
}

// complete reports whether b starts with a whole frame, or with a header
// next refuses without its payload (a length over room, the bytes left
// under the limit), so a frame is parsed once, when all of it is here.
func complete(b []byte, room int64) bool {
	if len(b) < 2 {
		return false
	}
	if checkHeader(b[0], b[1]) != nil {
		return true // refused from its header
	}
	n, ext := int64(b[1]&0x7f), 0
	switch n {
	case 126:
		ext = 2
	case 127:
		ext = 8
	}
	if len(b) < 2+ext+4 { // next reads the mask with the length
		return false
	}
	switch ext {
	case 2:
		n = int64(binary.BigEndian.Uint16(b[2:4]))
	case 8:
		u := binary.BigEndian.Uint64(b[2:10])
		if u > 1<<62 {
			return true // refused as too big
		}
		n = int64(u)
	}
	if b[0]&0x0f < opClose && n > room {
		return true // refused as too big before its payload is read
	}
	return int64(len(b)) >= int64(2+ext+4)+n // masked: checkHeader
}
