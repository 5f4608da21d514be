package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// One-time claims are items of the widget table keyed "once#<key>", next to
// the token guard items ("tokenhash#…"). The table's only key is id and its
// indexes are sparse, so a claim item is in no index and Get never returns
// it as a widget (it has no user_id). Reusing the table means no new table
// to create, check or grant in IAM for existing deployments, and its TTL
// attribute (expires_at) already removes expired claims. TTL only cleans up
// (it lags and may be disabled); correctness comes from the condition, which
// treats an expired claim as absent.
const (
	oncePrefix    = "once#"
	attrClaimID   = "claim_id" // which attempt wrote the claim, to recognise our own retried write
	maxOnceKeyLen = 1024       // DynamoDB partition keys hold up to 2048 bytes
)

// ClaimOnce implements persistence.OnceStore with one conditional PutItem.
// The SDK retries a PutItem whose reply was lost; the retry then fails the
// condition on our own item, so a random claim id tells "claimed by this
// call" from "claimed before".
func (st *Store) ClaimOnce(ctx context.Context, key string, expires time.Time) (bool, error) {
	if key == "" || len(key) > maxOnceKeyLen {
		return false, fmt.Errorf("dynamo: claim: key of %d bytes", len(key))
	}
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return false, fmt.Errorf("dynamo: claim %s: %w", key, err)
	}
	claimID := hex.EncodeToString(nonce[:])
	ctx, cancel := st.call(ctx)
	defer cancel()
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table(),
		Item: map[string]av{
			attrID: s(oncePrefix + key), attrExpires: n(ceilUnix(expires)), attrClaimID: s(claimID),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR #e < :now"),
		ExpressionAttributeNames:            map[string]string{"#id": attrID, "#e": attrExpires},
		ExpressionAttributeValues:           map[string]av{":now": n(time.Now().Unix())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ccf):
		prev, _ := ccf.Item[attrClaimID].(*types.AttributeValueMemberS)
		return prev != nil && prev.Value == claimID, nil
	default:
		return false, wrap("claim "+key, err)
	}
}

// ceilUnix rounds up to whole seconds (the TTL attribute's unit), so a
// claim never expires early.
func ceilUnix(t time.Time) int64 {
	sec := t.Unix()
	if t.Nanosecond() > 0 {
		sec++
	}
	return sec
}
