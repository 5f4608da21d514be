package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
)

// TestWidgetTokensAreSealedAtRest: no widget token is in the store's bytes,
// yet after a restart the owner still reads the token (the console's OBS
// URL) and OBS still signs in with it.
func TestWidgetTokensAreSealedAtRest(t *testing.T) {
	t.Parallel()
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

// TestEmbeddedStoreResealsOnStart: a node started with a new primary key
// reseals every token at start, so the old key can then be retired.
func TestEmbeddedStoreResealsOnStart(t *testing.T) {
	t.Parallel()
	if dynamoServer != nil {
		t.Skip("the DynamoDB store reseals in `streamwidgets migrate`, tested in persistence/storetest")
	}
	k1 := "k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := "k2:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	keys := func(spec string) func(*app.Config) {
		return func(c *app.Config) { c.SealKeys = persistence.Secret(spec) }
	}
	dir := t.TempDir()
	n := startNodeIn(t, dir, keys(k1))
	alice := n.token("alice")
	w := n.create(alice, countdownBody)
	n.stop()

	n = startNodeIn(t, dir, keys(k2+","+k1))
	if !strings.Contains(n.logs.String(), "sealed widget tokens") {
		t.Fatalf("no reseal logged at start:\n%s", n.logs.String())
	}
	n.stop()

	n = startNodeIn(t, dir, keys(k2)) // k1 retired
	if got := n.do("GET", "/records/stream_widgets/"+w.ID, alice, nil).record(t); got.AccessToken != w.AccessToken {
		t.Fatal("after retiring the old key the owner no longer reads the token")
	}
	if strings.Contains(n.logs.String(), w.AccessToken) {
		t.Fatal("a widget token reached the log")
	}
}
