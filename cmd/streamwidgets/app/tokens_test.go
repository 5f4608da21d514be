package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
)

// TestWidgetTokensAreSealedAtRest: no widget token is in the store's bytes,
// yet after a restart the owner still reads the token (the console's OBS
// URL) and OBS still signs in with it.
func TestWidgetTokensAreSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	n := startNodeIn(t, dir)
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	fresh := n.do("POST", "/records/stream_widgets/"+w.ID+"/regenerate_token", alice, nil).record(t)
	n.stop()

	raw := storeBytes(t, dir)
	for _, tok := range []string{w.AccessToken, fresh.AccessToken} {
		if len(tok) < 22 || bytes.Contains(raw, []byte(tok)) {
			t.Fatalf("widget token %q… is stored in plaintext", tok[:4])
		}
	}

	n = startNodeIn(t, dir)
	got := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).record(t)
	if got.AccessToken != fresh.AccessToken {
		t.Fatal("after a restart the owner no longer reads the widget token")
	}
	subscribeTo(n.session(fresh.AccessToken), w.ID)
}

// storeBytes is everything the node's store holds: the whole bolt file
// (free pages included), or every attribute value of the DynamoDB tables.
func storeBytes(t *testing.T, dir string) []byte {
	t.Helper()
	if dynamoServer == nil {
		data, err := os.ReadFile(filepath.Join(dir, bolt.FileName))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	cfg := app.Config{DataDir: dir}
	useTestStore(t, &cfg)
	db, err := dynamo.NewClient(context.Background(), cfg.Dynamo)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, table := range []string{cfg.Dynamo.WidgetsTable, cfg.Dynamo.CredentialsTable} {
		scan, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range scan.Items {
			for name, v := range item {
				if s, ok := v.(*types.AttributeValueMemberS); ok {
					out = append(append(append(out, name...), '='), s.Value...)
				}
			}
		}
	}
	return out
}
