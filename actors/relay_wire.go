package actors

import "encoding/binary"

// WebSocket frame opcodes (RFC 6455 §5.2) of what a server sends.
const (
	OpText  byte = 0x1
	OpClose byte = 0x8
	OpPing  byte = 0x9
	OpPong  byte = 0xA
)

// WireSocket is a Socket that also queues frames already encoded for the
// wire (AppendFrame). The relay builds each event's frame once per member
// and hands the same bytes to every socket; the socket writes them as they are.
type WireSocket interface {
	SendWire(wire []byte, coalesceKey string) bool
}

// AppendFrame appends payload to dst as one final, unmasked WebSocket frame
// (a server's frames are never masked). No extension is negotiated on our
// sockets (no permessage-deflate), so the frame is the payload plus a 2-10
// byte header.
func AppendFrame(dst []byte, opcode byte, payload []byte) []byte {
	dst = append(dst, 0x80|opcode)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xFFFF:
		dst = binary.BigEndian.AppendUint16(append(dst, 126), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint64(append(dst, 127), uint64(n))
	}
	return append(dst, payload...)
}

// textFrame is payload as a WebSocket text frame, and the payload's bytes
// inside it (one allocation for both).
func textFrame(payload []byte) (wire, inside []byte) {
	wire = AppendFrame(make([]byte, 0, len(payload)+10), OpText, payload)
	return wire, wire[len(wire)-len(payload):]
}
