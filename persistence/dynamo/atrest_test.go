package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/persistence/storetest"
)

func testKeys(t *testing.T) *seal.Keyring {
	t.Helper()
	return storetest.NewKeyring(t, "test")
}

// backend is one pair of tables; any number of stores may share them.
type backend struct {
	db  *dynamodb.Client
	cfg dynamo.Config
}

func newBackend(t *testing.T) storetest.Backend {
	_, cfg := newStore(t)
	db, err := dynamo.NewClient(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &backend{db: db, cfg: cfg}
}

func (b *backend) Open(_ *testing.T, keys *seal.Keyring) persistence.Store {
	return dynamo.New(b.db, b.cfg, keys)
}

func (b *backend) PutLegacy(t *testing.T, rec persistence.Record) {
	if err := dynamo.New(b.db, b.cfg, nil).PutLegacy(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// Raw reads every item of the widget table with the SDK, bypassing the store.
func (b *backend) Raw(t *testing.T) []byte {
	t.Helper()
	return rawTable(t, b.db, b.cfg.WidgetsTable)
}

func rawTable(t *testing.T, db *dynamodb.Client, table string) []byte {
	t.Helper()
	var out []byte
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			for name, v := range item {
				out = append(out, name...)
				out = append(out, '=')
				switch v := v.(type) {
				case *types.AttributeValueMemberS:
					out = append(out, v.Value...)
				case *types.AttributeValueMemberN:
					out = append(out, v.Value...)
				case *types.AttributeValueMemberB:
					out = append(out, v.Value...)
				}
				out = append(out, '\n')
			}
		}
	}
	return out
}

func TestAtRest(t *testing.T) {
	storetest.RunAtRest(t, newBackend)
}

func TestNoKeysNoTokenWrites(t *testing.T) {
	s, cfg := newStore(t)
	db, _ := dynamo.NewClient(context.Background(), cfg)
	rec := storetest.NewRecord("w1", "alice", 0)
	if _, err := dynamo.New(db, cfg, nil).Put(context.Background(), rec, 0); err == nil {
		t.Fatal("a store without keys wrote a token")
	}
	rec.AccessToken = ""
	if _, err := dynamo.New(db, cfg, nil).Put(context.Background(), rec, 0); err != nil {
		t.Fatalf("a record without a token: %v", err)
	}
	if _, err := s.Get(context.Background(), "w1"); err != nil {
		t.Fatal(err)
	}
}

func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
