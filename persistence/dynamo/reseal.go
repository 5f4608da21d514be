package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

var _ persistence.TokenResealer = (*Store)(nil)

// ResealTokens implements persistence.TokenResealer: a scan for items with
// a plaintext token or a token sealed with another key than the primary,
// and per item an UpdateItem conditional on its version and token hash (a
// concurrent write wins: it seals with the primary key itself). It reads
// the whole table, so `streamwidgets migrate` runs it, not every start.
func (st *Store) ResealTokens(ctx context.Context) (int, error) {
	if st.keys == nil {
		return 0, fmt.Errorf("dynamo: reseal tokens: %w", persistence.ErrNoTokenKeys)
	}
	p := dynamodb.NewScanPaginator(st.db, &dynamodb.ScanInput{
		TableName:                 st.table(),
		FilterExpression:          aws.String("attribute_exists(#plain) OR (attribute_exists(#sealed) AND #kid <> :primary)"),
		ExpressionAttributeNames:  map[string]string{"#plain": attrLegacyToken, "#sealed": attrSealedToken, "#kid": attrTokenKeyID},
		ExpressionAttributeValues: map[string]av{":primary": s(st.keys.Primary)},
	})
	resealed := 0
	var failed []error
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return resealed, wrap("reseal tokens", err)
		}
		for _, item := range page.Items {
			done, err := st.reseal(ctx, item)
			if err != nil {
				failed = append(failed, err)
			}
			if done {
				resealed++
			}
		}
	}
	if len(failed) > 0 {
		return resealed, fmt.Errorf("dynamo: reseal tokens: %d items left as they are: %w", len(failed), errors.Join(failed...))
	}
	return resealed, nil
}

func (st *Store) reseal(ctx context.Context, item map[string]av) (bool, error) {
	rec, err := fromItem(item, st.keys)
	if err != nil || rec.AccessToken == "" {
		return false, err
	}
	sealed, err := persistence.SealToken(st.keys, rec.ID, rec.AccessToken)
	if err != nil {
		return false, err
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           st.table(),
		Key:                 map[string]av{attrID: s(rec.ID)},
		UpdateExpression:    aws.String("SET #sealed = :sealed, #kid = :kid REMOVE #plain"),
		ConditionExpression: aws.String("#v = :v AND #h = :h"),
		ExpressionAttributeNames: map[string]string{
			"#sealed": attrSealedToken, "#kid": attrTokenKeyID, "#plain": attrLegacyToken, "#v": attrVersion, "#h": attrTokenHash,
		},
		ExpressionAttributeValues: map[string]av{
			":sealed": s(sealed), ":kid": s(seal.KeyID(sealed)), ":v": n(rec.Version), ":h": s(persistence.TokenHash(rec.AccessToken)),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil // written meanwhile: that write sealed it
	}
	if err != nil {
		return false, wrap("reseal "+rec.ID, err)
	}
	return true, nil
}
