package dynamo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Tombstones of deleted widgets (persistence.TombstoneTTL) are items of the
// widget table keyed "deleted#<token hash>", written in the delete's
// transaction. Like the guard and claim items they have no user_id or
// token_hash, so they are in no index and never read as a widget; the
// table's TTL attribute (expires_at) removes them, and a read treats an
// expired one as absent (TTL lags, and may be off).
const deletedPrefix = "deleted#"

func (st *Store) bury(old persistence.Record) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: st.table(), Item: map[string]av{
		attrID:      s(deletedPrefix + persistence.TokenHash(old.AccessToken)),
		attrExpires: n(ceilUnix(st.now().Add(persistence.TombstoneTTL))),
	}}}
}

// tombstone is the answer for a token hash no widget holds: deleted while
// its tombstone lasts, otherwise plain not found.
func (st *Store) tombstone(ctx context.Context, hash string) error {
	ctx, cancel := st.call(ctx)
	defer cancel()
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table(), Key: map[string]av{attrID: s(deletedPrefix + hash)},
		ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("#e"), ExpressionAttributeNames: map[string]string{"#e": attrExpires}})
	if err != nil {
		return wrap("get by token hash", err)
	}
	if e, ok := out.Item[attrExpires].(*types.AttributeValueMemberN); ok {
		if exp, _ := strconv.ParseInt(e.Value, 10, 64); exp > st.now().Unix() {
			return fmt.Errorf("dynamo: get by token hash: %w", persistence.ErrWidgetDeleted)
		}
	}
	return fmt.Errorf("dynamo: get by token hash: %w", persistence.ErrNotFound)
}
