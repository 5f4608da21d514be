package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// position is a list cursor: the index key of the last record returned.
type position struct {
	ID, User, Sort string
}

// List implements persistence.Store: a query of the by_owner index, newest
// first, with the type/active/title filters as a filter expression. It reads
// one record past the page so a page is never followed by an empty one.
func (st *Store) List(ctx context.Context, q persistence.ListQuery) (persistence.Page, error) {
	limit := q.Limit
	if limit <= 0 || limit > persistence.MaxPageSize {
		limit = persistence.MaxPageSize
	}
	var start map[string]av
	if q.After != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.After)
		var p position
		if err != nil || json.Unmarshal(raw, &p) != nil || p.User != q.UserID || p.ID == "" {
			return persistence.Page{}, fmt.Errorf("dynamo: list: %w", persistence.ErrInvalidCursor)
		}
		start = map[string]av{attrID: s(p.ID), attrUserID: s(p.User), attrOwnerSort: s(p.Sort)}
	}
	names := map[string]string{"#u": attrUserID}
	values := map[string]av{":u": s(q.UserID)}
	var filters []string
	if q.Type != "" {
		names["#t"], values[":t"] = "type", s(q.Type)
		filters = append(filters, "#t = :t")
	}
	if q.Active != nil {
		names["#a"], values[":a"] = "active", b(*q.Active)
		filters = append(filters, "#a = :a")
	}
	if q.TitleContains != "" {
		names["#q"], values[":q"] = attrTitleLC, s(strings.ToLower(q.TitleContains))
		filters = append(filters, "contains(#q, :q)")
	}
	in := &dynamodb.QueryInput{
		TableName: st.table(), IndexName: aws.String(indexOwner), ScanIndexForward: aws.Bool(false),
		KeyConditionExpression: aws.String("#u = :u"), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		Limit: aws.Int32(int32(limit + 1)),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	var recs []persistence.Record
	for {
		in.ExclusiveStartKey = start
		cctx, cancel := st.call(ctx)
		out, err := st.db.Query(cctx, in)
		cancel()
		if err != nil {
			return persistence.Page{}, wrap("list", err)
		}
		for _, item := range out.Items {
			rec, err := fromItem(item, st.keys)
			if err != nil {
				return persistence.Page{}, err
			}
			recs = append(recs, rec)
		}
		if len(recs) > limit || out.LastEvaluatedKey == nil {
			break
		}
		start = out.LastEvaluatedKey
	}
	page := persistence.Page{Records: recs}
	if len(recs) > limit {
		last := recs[limit-1]
		page.Records = recs[:limit]
		raw, _ := json.Marshal(position{ID: last.ID, User: last.UserID, Sort: ownerSort(last)})
		page.Next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return page, nil
}
