package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Credentials is the plan's service-credentials table. Each item holds the
// credentials sealed (AES-GCM, key id inside) and bound to its own row id, so
// a sealed value copied to another user's row does not open.
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

// sealedCredentials is what is encrypted; it never leaves this file in clear.
type sealedCredentials struct {
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitempty"`
	Scopes       []string  `json:"scopes,omitempty"`
}

func credentialID(userID, service string) string { return userID + "#" + service }

// PutCredentials seals c with the primary key and stores it.
func (cs *Credentials) PutCredentials(ctx context.Context, userID, service string, c persistence.Credentials) error {
	id := credentialID(userID, service)
	plain, _ := json.Marshal(sealedCredentials{AccessToken: c.AccessToken.Reveal(), RefreshToken: c.RefreshToken.Reveal(), ExpiresAt: c.ExpiresAt, Scopes: c.Scopes})
	sealed, err := cs.keys.Seal(plain, []byte(id))
	if err != nil {
		return fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	_, err = cs.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(cs.cfg.CredentialsTable), Item: map[string]av{
		attrID: s(id), attrUserID: s(userID), "service": s(service), "credentials": s(sealed),
		"key_id": s(seal.KeyID(sealed)), "updated_at": s(now),
	}})
	return wrap("put credentials "+service, err)
}

// GetCredentials opens a user's credentials for service.
func (cs *Credentials) GetCredentials(ctx context.Context, userID, service string) (persistence.Credentials, error) {
	id := credentialID(userID, service)
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	out, err := cs.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(cs.cfg.CredentialsTable), Key: map[string]av{attrID: s(id)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return persistence.Credentials{}, wrap("get credentials "+service, err)
	}
	v, ok := out.Item["credentials"].(*types.AttributeValueMemberS)
	if !ok {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, persistence.ErrNotFound)
	}
	plain, err := cs.keys.Open(v.Value, []byte(id))
	if err != nil {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	var sc sealedCredentials
	if err := json.Unmarshal(plain, &sc); err != nil {
		return persistence.Credentials{}, fmt.Errorf("dynamo: credentials %s: %w", service, err)
	}
	return persistence.Credentials{AccessToken: persistence.Secret(sc.AccessToken), RefreshToken: persistence.Secret(sc.RefreshToken), ExpiresAt: sc.ExpiresAt, Scopes: sc.Scopes}, nil
}

// DeleteCredentials removes a user's credentials for service.
func (cs *Credentials) DeleteCredentials(ctx context.Context, userID, service string) error {
	ctx, cancel := context.WithTimeout(ctx, cs.cfg.CallTimeout)
	defer cancel()
	_, err := cs.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(cs.cfg.CredentialsTable), Key: map[string]av{attrID: s(credentialID(userID, service))}})
	return wrap("delete credentials "+service, err)
}
