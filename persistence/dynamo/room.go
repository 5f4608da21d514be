package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// The rooms table (Config.RoomsTable) holds two kinds of items under a
// composite key (pk, sk):
//
//   - a room: pk "room#<id>", sk "room"; its stored form in "data", its
//     version in "version", and "idx", the digest of its members' index
//     entries (persistence.Room.IndexDigest);
//   - a member's index entry: pk "member#<user id>", sk "<created_at
//     nanos, 20 digits>#<room id>", the entry in "data". A user's rooms are
//     one Query on their partition, newest first; no index needed.
//
// A write that leaves the index as it was (play, pause, seek: most writes)
// is one conditional PutItem, guarded on the version and the digest. One
// that changes members, title or end rewrites the changed entries in the
// same transaction as the room, so the inbox never disagrees with a room.
const (
	attrPK       = "pk"
	attrSK       = "sk"
	attrData     = "data"
	attrDigest   = "idx"
	roomSortKey  = "room"
	roomPrefix   = "room#"
	memberPrefix = "member#"
)

var _ persistence.RoomStore = (*Store)(nil)

func (c Config) roomsTable() *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(c.RoomsTable),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{str(attrPK), str(attrSK)},
		KeySchema:            []types.KeySchemaElement{key(attrPK, types.KeyTypeHash), key(attrSK, types.KeyTypeRange)},
	}
}

func (st *Store) rooms() *string { return aws.String(st.cfg.RoomsTable) }

func roomKey(id string) map[string]av {
	return map[string]av{attrPK: s(roomPrefix + id), attrSK: s(roomSortKey)}
}

func membershipKey(m persistence.RoomMembership) map[string]av {
	return map[string]av{attrPK: s(memberPrefix + m.UserID), attrSK: s(fmt.Sprintf("%020d#%s", m.CreatedAt.UnixNano(), m.RoomID))}
}

// GetRoom implements persistence.RoomStore (strongly consistent).
func (st *Store) GetRoom(ctx context.Context, id string) (persistence.Room, error) {
	if id == "" || len(id) > 128 {
		return persistence.Room{}, fmt.Errorf("dynamo: get room: %w", persistence.ErrNotFound)
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.rooms(), Key: roomKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return persistence.Room{}, wrap("get room "+id, err)
	}
	if out.Item == nil {
		return persistence.Room{}, fmt.Errorf("dynamo: get room %s: %w", id, persistence.ErrNotFound)
	}
	return roomFromItem(out.Item)
}

func roomFromItem(item map[string]av) (persistence.Room, error) {
	data, _ := item[attrData].(*types.AttributeValueMemberS)
	if data == nil {
		return persistence.Room{}, errors.New("dynamo: room item without data")
	}
	room, err := persistence.DecodeRoom([]byte(data.Value))
	if err != nil {
		return persistence.Room{}, fmt.Errorf("dynamo: %w", err)
	}
	room.Version = versionOf(item)
	return room, nil
}

// PutRoom implements persistence.RoomStore.
func (st *Store) PutRoom(ctx context.Context, room persistence.Room, expected int64) (persistence.Room, error) {
	room.Version = expected + 1
	data, err := persistence.EncodeRoom(room)
	if err != nil {
		return persistence.Room{}, fmt.Errorf("dynamo: put room %s: %w", room.ID, err)
	}
	item := roomKey(room.ID)
	item[attrData], item[attrVersion], item[attrDigest] = s(string(data)), n(room.Version), s(room.IndexDigest())
	if size := itemSize(item); size > maxItemBytes {
		return persistence.Room{}, fmt.Errorf("dynamo: put room %s: %d bytes: %w", room.ID, size, persistence.ErrTooLarge)
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	if expected == 0 {
		writes := []types.TransactWriteItem{{Put: &types.Put{TableName: st.rooms(), Item: item,
			ConditionExpression: aws.String("attribute_not_exists(#pk)"), ExpressionAttributeNames: map[string]string{"#pk": attrPK}}}}
		entries, err := st.entryWrites(room.Memberships(), nil)
		if err != nil {
			return persistence.Room{}, err
		}
		_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(writes, entries...)})
		return room, wrap("create room "+room.ID, err)
	}
	// The common write: same index, one conditional put.
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.rooms(), Item: item, ConditionExpression: aws.String("#v = :v AND #i = :i"),
		ExpressionAttributeNames:            map[string]string{"#v": attrVersion, "#i": attrDigest},
		ExpressionAttributeValues:           map[string]av{":v": n(expected), ":i": item[attrDigest]},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return room, wrap("put room "+room.ID, err)
	}
	old := ccf.Item
	if old == nil { // servers that ignore ReturnValuesOnConditionCheckFailure
		o, gerr := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.rooms(), Key: roomKey(room.ID), ConsistentRead: aws.Bool(true)})
		if gerr != nil {
			return room, wrap("put room "+room.ID, gerr)
		}
		old = o.Item
	}
	if old == nil || versionOf(old) != expected {
		return room, fmt.Errorf("dynamo: put room %s: %w", room.ID, persistence.ErrConflict)
	}
	// Same version, other index: rewrite the changed entries with the room.
	prev, err := roomFromItem(old)
	if err != nil {
		return room, err
	}
	writes := []types.TransactWriteItem{{Put: &types.Put{TableName: st.rooms(), Item: item,
		ConditionExpression: aws.String("#v = :v"), ExpressionAttributeNames: map[string]string{"#v": attrVersion},
		ExpressionAttributeValues: map[string]av{":v": n(expected)}}}}
	entries, err := st.entryWrites(room.Memberships(), prev.Memberships())
	if err != nil {
		return room, err
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(writes, entries...)})
	return room, wrap("put room "+room.ID, err)
}

// entryWrites puts the entries of next that differ from prev and deletes
// those of prev that next no longer has.
func (st *Store) entryWrites(next, prev []persistence.RoomMembership) ([]types.TransactWriteItem, error) {
	type keyed = map[string]persistence.RoomMembership
	sk := func(m persistence.RoomMembership) string {
		return m.UserID + "\x00" + membershipKey(m)[attrSK].(*types.AttributeValueMemberS).Value
	}
	before := keyed{}
	for _, m := range prev {
		before[sk(m)] = m
	}
	var writes []types.TransactWriteItem
	for _, m := range next {
		k := sk(m)
		if old, ok := before[k]; ok && old == m {
			delete(before, k)
			continue
		}
		delete(before, k)
		data, err := jsonString(m)
		if err != nil {
			return nil, err
		}
		item := membershipKey(m)
		item[attrData] = s(data)
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: st.rooms(), Item: item}})
	}
	for _, m := range before {
		writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: st.rooms(), Key: membershipKey(m)}})
	}
	if len(writes)+1 > 100 {
		return nil, fmt.Errorf("dynamo: room index: %d entries change at once: %w", len(writes), persistence.ErrTooLarge)
	}
	return writes, nil
}

// ListRoomMemberships implements persistence.RoomStore.
func (st *Store) ListRoomMemberships(ctx context.Context, userID string, limit int) ([]persistence.RoomMembership, error) {
	if limit <= 0 || limit > persistence.MaxPageSize {
		limit = persistence.MaxPageSize
	}
	ctx, cancel := st.call(ctx)
	defer cancel()
	out, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName: st.rooms(), KeyConditionExpression: aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK},
		ExpressionAttributeValues: map[string]av{":pk": s(memberPrefix + userID)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, wrap("list rooms of "+userID, err)
	}
	list := make([]persistence.RoomMembership, 0, len(out.Items))
	for _, item := range out.Items {
		data, _ := item[attrData].(*types.AttributeValueMemberS)
		if data == nil {
			continue
		}
		var m persistence.RoomMembership
		if err := jsonDecode(data.Value, &m); err != nil {
			return nil, fmt.Errorf("dynamo: list rooms of %s: %w", userID, err)
		}
		list = append(list, m)
	}
	return list, nil
}

func jsonString(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("dynamo: encode: %w", err)
	}
	return string(data), nil
}

func jsonDecode(data string, v any) error { return json.Unmarshal([]byte(data), v) }
