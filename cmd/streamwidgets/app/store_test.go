package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo/dynamotest"
)

// With STREAMWIDGETS_TEST_STORE=dynamodb every test of this package runs on
// the DynamoDB store against a real DynamoDB Local (CI runs both passes).
var dynamoServer *dynamotest.Server

func TestMain(m *testing.M) {
	if os.Getenv("STREAMWIDGETS_TEST_STORE") == "dynamodb" {
		var err error
		if dynamoServer, err = dynamotest.Start(""); err != nil {
			fmt.Fprintln(os.Stderr, "app tests:", err)
			os.Exit(1)
		}
		dynamotest.UseLocalCredentials()
	}
	code := m.Run()
	if dynamoServer != nil {
		dynamoServer.Stop()
	}
	os.Exit(code)
}

// useTestStore points cfg at the store under test. Tables are named after
// the data dir, so a restarted node finds its widgets again.
func useTestStore(t *testing.T, cfg *app.Config) {
	if dynamoServer == nil {
		return
	}
	sum := sha256.Sum256([]byte(cfg.DataDir))
	suffix := hex.EncodeToString(sum[:6])
	cfg.Store = "dynamodb"
	cfg.Dynamo = dynamo.Config{Endpoint: dynamoServer.Endpoint, WidgetsTable: "w_" + suffix, CredentialsTable: "c_" + suffix, RoomsTable: "r_" + suffix}
	if cfg.SealKeys == "" { // one key per data dir, like the tables: a restarted node reads its tokens
		cfg.SealKeys = persistence.Secret("t1:" + base64.StdEncoding.EncodeToString(sum[:]))
	}
	db, err := dynamo.NewClient(context.Background(), cfg.Dynamo)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.Migrate(context.Background(), db, cfg.Dynamo); err != nil {
		t.Fatal(err)
	}
}
