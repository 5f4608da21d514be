package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Store is a persistence.Store on DynamoDB. Widget access tokens are sealed
// at rest (item.go, persistence.SealToken).
type Store struct {
	db   *dynamodb.Client
	cfg  Config
	keys *seal.Keyring
	now  func() time.Time // tombstone expiry (tests move it)
}

var _ persistence.Store = (*Store)(nil)

// New returns a store on client; the tables must exist (see Migrate). keys
// seal widget access tokens; every node sharing the tables needs the same
// keys. Without keys, records with a token cannot be written
// (persistence.ErrNoTokenKeys).
func New(client *dynamodb.Client, cfg Config, keys *seal.Keyring) *Store {
	cfg.defaults()
	return &Store{db: client, cfg: cfg, keys: keys, now: time.Now}
}

func (st *Store) table() *string { return aws.String(st.cfg.WidgetsTable) }

func (st *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, st.cfg.CallTimeout)
}

// Get implements persistence.Store (strongly consistent).
func (st *Store) Get(ctx context.Context, id string) (persistence.Record, error) {
	if id == "" || len(id) > 128 {
		return persistence.Record{}, persistence.ErrNotFound
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table(), Key: map[string]av{attrID: s(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return persistence.Record{}, wrap("get "+id, err)
	}
	if out.Item == nil || out.Item[attrUserID] == nil { // guard items are not widgets
		return persistence.Record{}, fmt.Errorf("dynamo: get %s: %w", id, persistence.ErrNotFound)
	}
	return fromItem(out.Item, st.keys)
}

// GetByTokenHash implements persistence.Store: the token-hash index finds
// the widget; a consistent read confirms the token is still current (index
// reads lag behind writes).
func (st *Store) GetByTokenHash(ctx context.Context, hash string) (persistence.Record, error) {
	qctx, cancel := st.call(ctx)
	defer cancel()
	out, err := st.db.Query(qctx, &dynamodb.QueryInput{
		TableName: st.table(), IndexName: aws.String(indexToken),
		KeyConditionExpression:    aws.String("#h = :h"),
		ExpressionAttributeNames:  map[string]string{"#h": attrTokenHash},
		ExpressionAttributeValues: map[string]av{":h": s(hash)},
		Limit:                     aws.Int32(2),
	})
	if err != nil {
		return persistence.Record{}, wrap("get by token hash", err)
	}
	for _, item := range out.Items {
		idAttr, _ := item[attrID].(*types.AttributeValueMemberS)
		if idAttr == nil {
			continue
		}
		rec, err := st.Get(ctx, idAttr.Value)
		if err == nil && rec.AccessToken != "" && persistence.TokenHash(rec.AccessToken) == hash {
			return rec, nil
		}
		if err != nil && !errors.Is(err, persistence.ErrNotFound) {
			return persistence.Record{}, err
		}
	}
	return persistence.Record{}, st.tombstone(ctx, hash)
}

// Put implements persistence.Store. The common write (state or config, same
// token) is one conditional PutItem; a new token also moves its uniqueness
// guard item, in one transaction.
func (st *Store) Put(ctx context.Context, rec persistence.Record, expected int64) (persistence.Record, error) {
	rec.Version = expected + 1
	item, err := toItem(rec, st.cfg.InactiveTTL, st.keys)
	if err != nil {
		return rec, fmt.Errorf("dynamo: put %s: %w", rec.ID, err)
	}
	if size := itemSize(item); size > maxItemBytes {
		return persistence.Record{}, fmt.Errorf("dynamo: put %s: %d bytes: %w", rec.ID, size, persistence.ErrTooLarge)
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	if expected == 0 {
		return rec, st.create(ctx, rec, item)
	}
	cond := "#v = :v"
	values := map[string]av{":v": n(expected)}
	if rec.AccessToken != "" {
		cond += " AND #h = :h"
		values[":h"] = s(persistence.TokenHash(rec.AccessToken))
	} else {
		cond += " AND attribute_not_exists(#h)"
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table(), Item: item, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames:            map[string]string{"#v": attrVersion, "#h": attrTokenHash},
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return rec, wrap("put "+rec.ID, err)
	}
	old := ccf.Item
	if old == nil { // servers that ignore ReturnValuesOnConditionCheckFailure
		o, gerr := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table(), Key: map[string]av{attrID: s(rec.ID)}, ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return rec, wrap("put "+rec.ID, gerr)
		}
		old = o.Item
	}
	if old == nil || versionOf(old) != expected {
		return rec, fmt.Errorf("dynamo: put %s: %w", rec.ID, persistence.ErrConflict)
	}
	// Same version, so the token changed: move the guard with the write.
	return rec, st.rotate(ctx, rec, item, expected, old)
}

func (st *Store) create(ctx context.Context, rec persistence.Record, item map[string]av) error {
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table(), Item: item, ConditionExpression: aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": attrID},
	}}}
	if rec.AccessToken != "" {
		writes = append(writes, st.putGuard(rec))
	}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	return wrap("create "+rec.ID, err)
}

func (st *Store) rotate(ctx context.Context, rec persistence.Record, item map[string]av, expected int64, old map[string]av) error {
	writes := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table(), Item: item, ConditionExpression: aws.String("#v = :v"),
		ExpressionAttributeNames:  map[string]string{"#v": attrVersion},
		ExpressionAttributeValues: map[string]av{":v": n(expected)},
	}}}
	if rec.AccessToken != "" {
		writes = append(writes, st.putGuard(rec))
	}
	if h, ok := old[attrTokenHash].(*types.AttributeValueMemberS); ok {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table(), Key: map[string]av{attrID: s(guardKey(h.Value))}}})
	}
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	return wrap("put "+rec.ID, err)
}

// putGuard claims a token hash for one widget; another widget's claim fails
// the transaction, so hashes stay unique without the token ever being a key.
func (st *Store) putGuard(rec persistence.Record) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                 st.table(),
		Item:                      map[string]av{attrID: s(guardKey(persistence.TokenHash(rec.AccessToken))), attrWidgetID: s(rec.ID)},
		ConditionExpression:       aws.String("attribute_not_exists(#id) OR #w = :w"),
		ExpressionAttributeNames:  map[string]string{"#id": attrID, "#w": attrWidgetID},
		ExpressionAttributeValues: map[string]av{":w": s(rec.ID)},
	}}
}

// Delete implements persistence.Store.
func (st *Store) Delete(ctx context.Context, id string, expected int64) error {
	old, err := st.Get(ctx, id)
	if err != nil {
		return err
	}
	if old.Version != expected {
		return fmt.Errorf("dynamo: delete %s: %w", id, persistence.ErrConflict)
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	writes := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: st.table(), Key: map[string]av{attrID: s(id)}, ConditionExpression: aws.String("#v = :v"),
		ExpressionAttributeNames: map[string]string{"#v": attrVersion}, ExpressionAttributeValues: map[string]av{":v": n(expected)},
	}}}
	if old.AccessToken != "" {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table(),
			Key: map[string]av{attrID: s(guardKey(persistence.TokenHash(old.AccessToken)))}}},
			st.bury(old))
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	return wrap("delete "+id, err)
}

// Ping implements persistence.Store.
func (st *Store) Ping(ctx context.Context) error {
	ctx, cancel := st.call(ctx)
	defer cancel()
	_, err := st.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: st.table()})
	return wrap("ping", err)
}

// Close implements persistence.Store (the HTTP client needs no closing).
func (st *Store) Close() error { return nil }

func versionOf(item map[string]av) int64 {
	if v, ok := item[attrVersion].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// wrap maps SDK errors to the persistence sentinels.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	var tce *types.TransactionCanceledException
	var rnf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &ccf):
		return fmt.Errorf("dynamo: %s: %w", op, persistence.ErrConflict)
	case errors.As(err, &tce):
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return fmt.Errorf("dynamo: %s: %w", op, persistence.ErrConflict)
			}
		}
		return fmt.Errorf("dynamo: %s: %v: %w", op, err, persistence.ErrUnavailable)
	case errors.As(err, &rnf):
		return fmt.Errorf("dynamo: %s: table missing (run `streamwidgets migrate --store dynamodb`): %w", op, persistence.ErrUnavailable)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" {
		return fmt.Errorf("dynamo: %s: %v", op, err)
	}
	return fmt.Errorf("dynamo: %s: %v: %w", op, err, persistence.ErrUnavailable)
}
