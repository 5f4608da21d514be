package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Credentials is the plan's service-credentials table. Each item holds the
// credentials sealed (AES-GCM, key id inside) and bound to its own row id, so
// a sealed value copied to another user's row does not open. Integration
// state rows (kind "state") live in the same table, sealed the same way.
type Credentials struct {
	db   *dynamodb.Client
	cfg  Config
	keys *seal.Keyring
}

var _ persistence.CredentialStore = (*Credentials)(nil)

// NewCredentials returns the credentials store; keys seal and open values.
func NewCredentials(db *dynamodb.Client, cfg Config, keys *seal.Keyring) *Credentials {
	cfg.defaults()
	return &Credentials{db: db, cfg: cfg, keys: keys}
}

// Item kinds in the credentials table.
const (
	kindCredentials = "credentials"
	kindState       = "state"
)

// sealedCredentials is what is encrypted; it never leaves this file in clear.
type sealedCredentials struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
}

func credentialID(userID, service string) string { return userID + "#" + service }
func stateID(userID, key string) string          { return userID + "#state#" + key }

// PutCredentials implements persistence.CredentialStore.
func (cs *Credentials) PutCredentials(ctx context.Context, userID, service string, c persistence.Credentials, expectedVersion int64) (persistence.Credentials, error) {
	id := credentialID(userID, service)
	plain, _ := json.Marshal(sealedCredentials{AccessToken: c.AccessToken.Reveal(), RefreshToken: c.RefreshToken.Reveal(), ExpiresAt: c.ExpiresAt, Scopes: c.Scopes})
	sealed, err := cs.keys.Seal(plain, []byte(id))
	if err != nil {
		return c, fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	c.UpdatedAt = time.Now().UTC()
	v, err := cs.put(ctx, id, expectedVersion, map[string]av{
		attrUserID: s(userID), "service": s(service), "kind": s(kindCredentials), "credentials": s(sealed),
		"key_id": s(seal.KeyID(sealed)), "account_id": s(c.AccountID), "account_name": s(c.AccountName),
		"updated_at": s(c.UpdatedAt.Format(time.RFC3339Nano)),
	})
	if err != nil {
		return c, wrap("put credentials "+service, err)
	}
	c.Version = v
	return c, nil
}

// put writes attrs to row id, checking and incrementing its version, and
// returns the new version. Empty string attributes are left out (DynamoDB
// refuses empty key attributes; an empty account name means "none").
func (cs *Credentials) put(ctx context.Context, id string, expectedVersion int64, attrs map[string]av) (int64, error) {
	names := map[string]string{"#v": "version"}
	values := map[string]av{":one": n(1)}
	set := ""
	i := 0
	for k, v := range attrs {
		if sv, ok := v.(*types.AttributeValueMemberS); ok && sv.Value == "" {
			continue
		}
		i++
		nk, vk := fmt.Sprintf("#a%d", i), fmt.Sprintf(":a%d", i)
		names[nk], values[vk] = k, v
		if set != "" {
			set += ", "
		}
		set += nk + " = " + vk
	}
	in := &dynamodb.UpdateItemInput{
		TableName: aws.String(cs.cfg.CredentialsTable), Key: map[string]av{attrID: s(id)},
		UpdateExpression:          aws.String("SET " + set + " ADD #v :one"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueUpdatedNew,
	}
	switch {
	case expectedVersion == 0:
		in.ConditionExpression = aws.String("attribute_not_exists(" + attrID + ")")
	case expectedVersion > 0:
		in.ConditionExpression = aws.String("#v = :ev")
		values[":ev"] = n(expectedVersion)
	}
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	out, err := cs.db.UpdateItem(ctx, in)
	if err != nil {
		return 0, err
	}
	return numberAttr(out.Attributes["version"]), nil
}

func numberAttr(v av) int64 {
	nv, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	x, _ := strconv.ParseInt(nv.Value, 10, 64)
	return x
}

func stringAttr(v av) string {
	sv, _ := v.(*types.AttributeValueMemberS)
	if sv == nil {
		return ""
	}
	return sv.Value
}

// get reads row id, or ErrNotFound.
func (cs *Credentials) get(ctx context.Context, id string) (map[string]av, error) {
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	out, err := cs.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cs.cfg.CredentialsTable), Key: map[string]av{attrID: s(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if out.Item == nil {
		return nil, persistence.ErrNotFound
	}
	return out.Item, nil
}

// GetCredentials implements persistence.CredentialStore.
func (cs *Credentials) GetCredentials(ctx context.Context, userID, service string) (persistence.Credentials, error) {
	id := credentialID(userID, service)
	item, err := cs.get(ctx, id)
	if err != nil {
		return persistence.Credentials{}, wrapCred("get credentials "+service, err)
	}
	sealed := stringAttr(item["credentials"])
	if sealed == "" {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, persistence.ErrNotFound)
	}
	plain, err := cs.keys.Open(sealed, []byte(id))
	if err != nil {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	var sc sealedCredentials
	if err := json.Unmarshal(plain, &sc); err != nil {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	updated, _ := time.Parse(time.RFC3339Nano, stringAttr(item["updated_at"]))
	return persistence.Credentials{AccessToken: persistence.Secret(sc.AccessToken), RefreshToken: persistence.Secret(sc.RefreshToken),
		ExpiresAt: sc.ExpiresAt, Scopes: sc.Scopes, AccountID: stringAttr(item["account_id"]), AccountName: stringAttr(item["account_name"]),
		Version: max(numberAttr(item["version"]), 1), UpdatedAt: updated}, nil
}

// DeleteCredentials implements persistence.CredentialStore.
func (cs *Credentials) DeleteCredentials(ctx context.Context, userID, service string) error {
	return wrap("delete credentials "+service, cs.delete(ctx, credentialID(userID, service)))
}

func (cs *Credentials) delete(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	_, err := cs.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(cs.cfg.CredentialsTable), Key: map[string]av{attrID: s(id)}})
	return err
}

// ListConnections implements persistence.CredentialStore: a scan of the
// table's public attributes (the table holds one row per connected account
// and service, plus state rows: small).
func (cs *Credentials) ListConnections(ctx context.Context, service string) ([]persistence.Connection, error) {
	var out []persistence.Connection
	var start map[string]av
	for {
		cctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
		page, err := cs.db.Scan(cctx, &dynamodb.ScanInput{
			TableName:                 aws.String(cs.cfg.CredentialsTable),
			ProjectionExpression:      aws.String("#u, #s, account_id, account_name, #k, credentials"),
			FilterExpression:          aws.String("#s = :s AND (attribute_not_exists(#k) OR #k = :k)"),
			ExpressionAttributeNames:  map[string]string{"#u": attrUserID, "#s": "service", "#k": "kind"},
			ExpressionAttributeValues: map[string]av{":s": s(service), ":k": s(kindCredentials)},
			ExclusiveStartKey:         start,
			ConsistentRead:            aws.Bool(true),
		})
		cancel()
		if err != nil {
			return nil, wrap("list connections "+service, err)
		}
		for _, it := range page.Items {
			out = append(out, persistence.Connection{UserID: stringAttr(it[attrUserID]), Service: service,
				AccountID: stringAttr(it["account_id"]), AccountName: stringAttr(it["account_name"])})
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = page.LastEvaluatedKey
	}
}

// GetState implements persistence.CredentialStore.
func (cs *Credentials) GetState(ctx context.Context, userID, key string) ([]byte, int64, error) {
	id := stateID(userID, key)
	item, err := cs.get(ctx, id)
	if err != nil {
		return nil, 0, wrapCred("get state "+key, err)
	}
	plain, err := cs.keys.Open(stringAttr(item["data"]), []byte(id))
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: state %s: %w", key, err)
	}
	return plain, numberAttr(item["version"]), nil
}

// PutState implements persistence.CredentialStore.
func (cs *Credentials) PutState(ctx context.Context, userID, key string, data []byte, expectedVersion int64) (int64, error) {
	if expectedVersion < 0 {
		return 0, errors.New("dynamo: put state: expected version must be 0 or the stored version")
	}
	id := stateID(userID, key)
	sealed, err := cs.keys.Seal(data, []byte(id))
	if err != nil {
		return 0, fmt.Errorf("dynamo: state %s: %w", key, err)
	}
	v, err := cs.put(ctx, id, expectedVersion, map[string]av{
		attrUserID: s(userID), "service": s("state#" + key), "kind": s(kindState), "data": s(sealed),
		"key_id": s(seal.KeyID(sealed)), "updated_at": s(time.Now().UTC().Format(time.RFC3339Nano)),
	})
	return v, wrap("put state "+key, err)
}

// DeleteState implements persistence.CredentialStore.
func (cs *Credentials) DeleteState(ctx context.Context, userID, key string) error {
	return wrap("delete state "+key, cs.delete(ctx, stateID(userID, key)))
}

// wrapCred is wrap keeping ErrNotFound (a missing row is an answer, not an
// unavailable store).
func wrapCred(op string, err error) error {
	if errors.Is(err, persistence.ErrNotFound) {
		return fmt.Errorf("dynamo: %s: %w", op, persistence.ErrNotFound)
	}
	return wrap(op, err)
}
