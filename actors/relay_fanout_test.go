package actors

import (
	"fmt"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
)

// recordingSocket keeps the frames queued on it, in order.
type recordingSocket struct {
	mu     sync.Mutex
	frames []string
}

func (s *recordingSocket) Send(frame []byte, _ string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, string(frame))
	return true
}
func (s *recordingSocket) Close(int, string) {}
func (s *recordingSocket) Abort(int, string) {}

// TestBigFanoutKeepsEachSocketsOrder: a fan-out big enough to be spread over
// several goroutines still gives every socket every event, in order.
func TestBigFanoutKeepsEachSocketsOrder(t *testing.T) {
	var f fanout
	defer f.stop()
	socks := make([]*recordingSocket, fanoutMin*2+7)
	subs := make([]*relaySub, len(socks))
	for i := range socks {
		socks[i] = &recordingSocket{}
		subs[i] = &relaySub{ob: newOutbox(socks[i], zap.NewNop())}
	}
	subs[3] = &relaySub{} // an entry without a socket (messaged by the relay instead) is skipped
	const events = 30
	for v := range events {
		f.run(subs, &Delivery{WidgetID: "w", Kind: widgetpb.WidgetEvent_EVENT, Version: int64(v), Frame: fmt.Appendf(nil, "e%d", v)})
	}
	for i, s := range socks {
		want := ""
		if i != 3 {
			for v := range events {
				want += fmt.Sprintf("e%d ", v)
			}
		}
		got := ""
		for _, fr := range s.frames {
			got += fr + " "
		}
		if got != want {
			t.Fatalf("socket %d got %q, want %q", i, got, want)
		}
	}
}
