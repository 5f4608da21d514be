package dynamo

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Attribute and index names (docs/dynamodb.md).
const (
	attrID        = "id"
	attrUserID    = "user_id"
	attrOwnerSort = "owner_sort" // sort key of by_owner: created_at (fixed width) + "#" + id
	attrTokenHash = "token_hash"
	// attrSealedToken holds the sealed access token; attrLegacyToken a
	// plaintext one written before sealing (read, never written).
	attrSealedToken = persistence.SealedTokenField
	attrLegacyToken = persistence.LegacyTokenField
	attrTokenKeyID  = "token_key_id"
	attrTitleLC     = "title_lc" // lower-case title for the q filter
	attrVersion     = "version"
	attrExpires     = "expires_at" // TTL (epoch seconds), set only on inactive widgets
	attrWidgetID    = "widget_id"  // on token guard items
	indexOwner      = "by_owner"
	indexToken      = "by_token_hash"
	guardPrefix     = "tokenhash#"

	// maxItemBytes is DynamoDB's item size limit (attribute names count too).
	maxItemBytes = 400 * 1024
)

type av = types.AttributeValue

func s(v string) av               { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) av                { return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)} }
func b(v bool) av                 { return &types.AttributeValueMemberBOOL{Value: v} }
func guardKey(hash string) string { return guardPrefix + hash }

func ownerSort(rec persistence.Record) string {
	return fmt.Sprintf("%020d#%s", rec.CreatedAt.UnixNano(), rec.ID)
}

// toItem is the only way a record becomes an item. The token is stored
// sealed (attrSealedToken) with the id of its key (attrTokenKeyID, to find
// items still sealed with a key being retired); never in plaintext.
func toItem(rec persistence.Record, ttl time.Duration, keys *seal.Keyring) (map[string]av, error) {
	item := map[string]av{
		attrID: s(rec.ID), "title": s(rec.Title), attrUserID: s(rec.UserID), "type": s(rec.Type),
		"config": s(string(rec.Config)), "state": s(string(rec.State)), "active": b(rec.Active),
		"created_at": s(rec.CreatedAt.UTC().Format(time.RFC3339Nano)), "updated_at": s(rec.UpdatedAt.UTC().Format(time.RFC3339Nano)),
		attrVersion: n(rec.Version), attrOwnerSort: s(ownerSort(rec)), attrTitleLC: s(strings.ToLower(rec.Title)),
	}
	if rec.AccessToken != "" {
		sealed, err := persistence.SealToken(keys, rec.ID, rec.AccessToken)
		if err != nil {
			return nil, err
		}
		item[attrSealedToken] = s(sealed)
		item[attrTokenKeyID] = s(seal.KeyID(sealed))
		item[attrTokenHash] = s(persistence.TokenHash(rec.AccessToken))
	}
	if rec.ControlTokenHash != "" {
		item["control_token_hash"] = s(rec.ControlTokenHash)
	}
	if !rec.Active && ttl > 0 {
		item[attrExpires] = n(rec.UpdatedAt.Add(ttl).Unix())
	}
	return item, nil
}

// fromItem reads a widget item; a token in attrLegacyToken is plaintext
// from before sealing (persistence.OpenToken).
func fromItem(item map[string]av, keys *seal.Keyring) (persistence.Record, error) {
	str := func(k string) string {
		if v, ok := item[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	rec := persistence.Record{
		ID: str(attrID), Title: str("title"), UserID: str(attrUserID), Type: str("type"),
		Config: []byte(str("config")), State: []byte(str("state")), ControlTokenHash: str("control_token_hash"),
	}
	if v, ok := item["active"].(*types.AttributeValueMemberBOOL); ok {
		rec.Active = v.Value
	}
	if v, ok := item[attrVersion].(*types.AttributeValueMemberN); ok {
		rec.Version, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	var err1, err2 error
	rec.CreatedAt, err1 = time.Parse(time.RFC3339Nano, str("created_at"))
	rec.UpdatedAt, err2 = time.Parse(time.RFC3339Nano, str("updated_at"))
	if rec.ID == "" || err1 != nil || err2 != nil || rec.Version == 0 {
		return rec, fmt.Errorf("dynamo: malformed item %q", rec.ID)
	}
	token, err := persistence.OpenToken(keys, rec.ID, str(attrSealedToken), str(attrLegacyToken))
	if err != nil {
		return persistence.Record{}, fmt.Errorf("dynamo: item %s: %w", rec.ID, err)
	}
	rec.AccessToken = token
	return rec, nil
}

// itemSize follows DynamoDB's rules closely enough to refuse a write that
// would fail: names and string values in UTF-8 bytes, numbers ~ digits/2+1.
func itemSize(item map[string]av) int {
	total := 0
	for k, v := range item {
		total += len(k)
		switch t := v.(type) {
		case *types.AttributeValueMemberS:
			total += len(t.Value)
		case *types.AttributeValueMemberN:
			total += len(t.Value)/2 + 1
		case *types.AttributeValueMemberBOOL:
			total++
		}
	}
	return total
}
