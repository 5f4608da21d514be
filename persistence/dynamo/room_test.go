package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

// newRoomStore gives each test its own rooms table on the package's DynamoDB Local.
func newRoomStore(t *testing.T) *dynamo.Store {
	t.Helper()
	n := tableSeq.Add(1)
	cfg := dynamo.Config{Endpoint: server.Endpoint, WidgetsTable: fmt.Sprintf("widgets_%d", n),
		CredentialsTable: fmt.Sprintf("creds_%d", n), RoomsTable: fmt.Sprintf("rooms_%d", n)}
	db, err := dynamo.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.Migrate(context.Background(), db, cfg); err != nil {
		t.Fatal(err)
	}
	return dynamo.New(db, cfg, testKeys(t))
}

func TestRoomConformance(t *testing.T) {
	storetest.RunRooms(t, func(t *testing.T) persistence.RoomStore { return newRoomStore(t) })
}
