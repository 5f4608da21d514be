package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// clientFrame is a frame as a client sends it: masked, with fin and rsv as given.
func clientFrame(op byte, fin bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = binary.BigEndian.AppendUint16(append(out, 0x80|126), uint16(n))
	default:
		out = binary.BigEndian.AppendUint64(append(out, 0x80|127), uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, b := range payload {
		out = append(out, b^key[i&3])
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestFrameReader(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 300)
	cases := []struct {
		name     string
		in       []byte
		limit    int64
		want     []string // messages read, in order
		controls string   // control opcodes seen, e.g. "9A"
		err      string   // "" io.EOF at the end; "too big", "protocol"
	}{
		{"one text frame", clientFrame(opText, true, []byte(`{"a":1}`)), 100, []string{`{"a":1}`}, "", ""},
		{"16-bit length", clientFrame(opText, true, big), 1000, []string{string(big)}, "", ""},
		{"fragments with a ping between", cat(clientFrame(opText, false, []byte("ab")), clientFrame(opPing, true, []byte("p")),
			clientFrame(opContinuation, false, []byte("cd")), clientFrame(opContinuation, true, []byte("e"))), 100, []string{"abcde"}, "9", ""},
		{"empty message", clientFrame(opText, true, nil), 100, []string{""}, "", ""},
		{"close ends the read", cat(clientFrame(opText, true, []byte("x")), clientFrame(opClose, true, []byte{3, 232}), clientFrame(opText, true, []byte("y"))),
			100, []string{"x"}, "8", ""},
		{"over the limit", clientFrame(opText, true, big), 299, nil, "", "too big"},
		{"fragments over the limit together", cat(clientFrame(opText, false, big[:200]), clientFrame(opContinuation, true, big[:200])), 300, nil, "", "too big"},
		{"huge declared length", []byte{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, 100, nil, "", "too big"},
		{"unmasked", []byte{0x81, 0x01, 'x'}, 100, nil, "", "protocol"},
		{"reserved bit", append([]byte{0xc1}, clientFrame(opText, true, []byte("x"))[1:]...), 100, nil, "", "protocol"},
		{"unknown opcode", clientFrame(0x3, true, []byte("x")), 100, nil, "", "protocol"},
		{"fragmented ping", clientFrame(opPing, false, []byte("x")), 100, nil, "", "protocol"},
		{"long ping", clientFrame(opPing, true, big[:126]), 1000, nil, "", "protocol"},
		{"continuation first", clientFrame(opContinuation, true, []byte("x")), 100, nil, "", "protocol"},
		{"message inside a message", cat(clientFrame(opText, false, []byte("x")), clientFrame(opText, true, []byte("y"))), 100, nil, "", "protocol"},
		{"cut short", clientFrame(opText, true, []byte("hello"))[:8], 100, nil, "", "eof"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := frameReader{r: bytes.NewReader(c.in), limit: c.limit}
			var got []string
			controls := ""
			var err error
			for {
				var data []byte
				_, data, err = f.message(func(op byte, _ []byte) error {
					controls += strings.ToUpper(string("0123456789abcdef"[op]))
					return nil
				})
				if err != nil {
					break
				}
				got = append(got, string(data))
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") || controls != c.controls {
				t.Errorf("messages %q controls %q, want %q %q", got, controls, c.want, c.controls)
			}
			var pe *protocolError
			switch {
			case c.err == "" && err != io.EOF,
				c.err == "too big" && !errors.Is(err, errTooBig),
				c.err == "protocol" && !errors.As(err, &pe),
				c.err == "eof" && !errors.Is(err, io.ErrUnexpectedEOF):
				t.Errorf("error %v, want %s", err, c.err)
			}
		})
	}
}

func TestCloseCode(t *testing.T) {
	for _, c := range []struct {
		payload []byte
		code    int
		ok      bool
	}{
		{nil, 1005, true}, {[]byte{3, 232}, 1000, true}, {[]byte{3}, 0, false}, {[]byte{3, 237}, 1005, false},
		{append([]byte{15, 160}, "bye"...), 4000, true}, {append([]byte{3, 232}, 0xff), 1000, false},
	} {
		if code, ok := closeCode(c.payload); code != c.code || ok != c.ok {
			t.Errorf("closeCode(%v) = %d %v, want %d %v", c.payload, code, ok, c.code, c.ok)
		}
	}
}

// FuzzFrameReader: any bytes end in a message, a clean error or EOF, never a
// panic, and never a message over the limit.
func FuzzFrameReader(f *testing.F) {
	f.Add(clientFrame(opText, true, []byte(`{"type":"AUTH"}`)))
	f.Add(cat(clientFrame(opText, false, []byte("a")), clientFrame(opPing, true, nil), clientFrame(opContinuation, true, []byte("b"))))
	f.Add([]byte{0x81, 0xfe, 0x01, 0x00, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := frameReader{r: bytes.NewReader(in), limit: 1024}
		for range 100 {
			_, data, err := fr.message(func(byte, []byte) error { return nil })
			if err != nil {
				return
			}
			if len(data) > 1024 {
				t.Fatalf("message of %d bytes over the limit", len(data))
			}
		}
	})
}

// TestFramesSentWithTheHandshakeAreRead: a client that sends its AUTH in
// the same write as its upgrade request (before it reads our 101) is
// answered: the bytes the HTTP server read ahead are not lost when the
// socket reads its connection directly.
func TestFramesSentWithTheHandshakeAreRead(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.rawDial(t, authFrame("r1"))
	c.awaitText(t, "AUTH_OK")
}

// TestPolledFramesInPieces: a frame that arrives a few bytes at a time is
// handled once, when all of it is there; a too-big one is refused from its
// header alone.
func TestPolledFramesInPieces(t *testing.T) {
	msg := bytes.Repeat([]byte("y"), 1000)
	f := clientFrame(opText, true, msg)
	for i := range len(f) {
		if got := complete(f[:i], 4096); got {
			t.Fatalf("%d of %d bytes reported complete", i, len(f))
		}
	}
	if !complete(f, 4096) || !complete(append(f, 0x81), 4096) {
		t.Fatal("a whole frame reported incomplete")
	}
	if !complete(f[:8], 999) { // header and mask
		t.Fatal("a frame over the limit waits for its payload instead of being refused")
	}
}

// TestFrameSentInPiecesIsRead: an AUTH frame written a few bytes at a
// time (a slow link) is read whole and answered.
func TestFrameSentInPiecesIsRead(t *testing.T) {
	ts := startServer(t, Config{})
	c := ts.rawDial(t, nil)
	auth := authFrame("r1")
	for i := 0; i < len(auth); i += 3 {
		if _, err := c.conn.Write(auth[i:min(i+3, len(auth))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	c.awaitText(t, "AUTH_OK")
}
