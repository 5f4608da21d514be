package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
)

// Two migrations at once (two pods' init steps, or the SDK retrying a
// CreateTable whose answer came too late) both succeed: a table another
// caller created meanwhile is waited for, not an error.
func TestConcurrentMigratesBothSucceed(t *testing.T) {
	n := tableSeq.Add(1)
	cfg := dynamo.Config{Endpoint: server.Endpoint, WidgetsTable: fmt.Sprintf("race_widgets_%d", n),
		CredentialsTable: fmt.Sprintf("race_creds_%d", n), RoomsTable: fmt.Sprintf("race_rooms_%d", n)}
	const migrators = 4
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range migrators {
		db, err := dynamo.NewClient(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = dynamo.Migrate(context.Background(), db, cfg)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrate %d: %v", i, err)
		}
	}
	db, _ := dynamo.NewClient(context.Background(), cfg)
	if err := dynamo.Check(context.Background(), db, cfg); err != nil {
		t.Fatalf("check after concurrent migrates: %v", err)
	}
}
