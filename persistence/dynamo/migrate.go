package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func str(name string) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
}

func key(name string, kt types.KeyType) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
}

// tables is the schema (docs/dynamodb.md).
func (c Config) tables() []*dynamodb.CreateTableInput {
	return []*dynamodb.CreateTableInput{
		{
			TableName:            aws.String(c.WidgetsTable),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{str(attrID), str(attrUserID), str(attrOwnerSort), str(attrTokenHash)},
			KeySchema:            []types.KeySchemaElement{key(attrID, types.KeyTypeHash)},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
				{IndexName: aws.String(indexOwner), KeySchema: []types.KeySchemaElement{key(attrUserID, types.KeyTypeHash), key(attrOwnerSort, types.KeyTypeRange)},
					Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
				{IndexName: aws.String(indexToken), KeySchema: []types.KeySchemaElement{key(attrTokenHash, types.KeyTypeHash)},
					Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
			},
		},
		{
			TableName:            aws.String(c.CredentialsTable),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{str(attrID), str(attrUserID), str("service")},
			KeySchema:            []types.KeySchemaElement{key(attrID, types.KeyTypeHash)},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
				{IndexName: aws.String("by_user"), KeySchema: []types.KeySchemaElement{key(attrUserID, types.KeyTypeHash), key("service", types.KeyTypeRange)},
					Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
			},
		},
		c.roomsTable(),
	}
}

// Migrate creates the tables and indexes that are missing and turns on TTL
// for idle inactive widgets. Running it again changes nothing.
func Migrate(ctx context.Context, db *dynamodb.Client, c Config) ([]string, error) {
	c.defaults()
	var done []string
	for _, t := range c.tables() {
		_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: t.TableName})
		var rnf *types.ResourceNotFoundException
		if errors.As(err, &rnf) {
			_, err := db.CreateTable(ctx, t)
			var inUse *types.ResourceInUseException
			created := err == nil
			if err != nil && !errors.As(err, &inUse) {
				return done, fmt.Errorf("dynamo: create table %s: %w", *t.TableName, err)
			}
			// In use: another migrate created it meanwhile, or the SDK retried
			// our call after its answer came late. Either way, wait for it.
			if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: t.TableName}, 2*time.Minute); err != nil {
				return done, fmt.Errorf("dynamo: wait for table %s: %w", *t.TableName, err)
			}
			if created {
				done = append(done, "created table "+*t.TableName)
			}
		} else if err != nil {
			return done, fmt.Errorf("dynamo: describe table %s: %w", *t.TableName, err)
		}
	}
	if c.InactiveTTL > 0 {
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(c.WidgetsTable)})
		if err != nil {
			return done, fmt.Errorf("dynamo: describe TTL: %w", err)
		}
		if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus == types.TimeToLiveStatusDisabled {
			_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(c.WidgetsTable),
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrExpires), Enabled: aws.Bool(true)}})
			switch {
			case err != nil && strings.Contains(err.Error(), "already enabled"):
				// Another migrate (a second pod's init step) enabled it meanwhile.
			case err != nil:
				return done, fmt.Errorf("dynamo: enable TTL: %w", err)
			default:
				done = append(done, "enabled TTL on "+c.WidgetsTable+"."+attrExpires)
			}
		}
	}
	return done, nil
}

// Check tells serve, before it starts, what is missing.
func Check(ctx context.Context, db *dynamodb.Client, c Config) error {
	c.defaults()
	var missing []error
	for _, t := range c.tables() {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: t.TableName})
		var rnf *types.ResourceNotFoundException
		switch {
		case errors.As(err, &rnf):
			missing = append(missing, fmt.Errorf("table %s does not exist", *t.TableName))
			continue
		case err != nil:
			return fmt.Errorf("dynamo: cannot reach DynamoDB: %w", err)
		}
		have := map[string]bool{}
		for _, g := range out.Table.GlobalSecondaryIndexes {
			have[aws.ToString(g.IndexName)] = true
		}
		for _, g := range t.GlobalSecondaryIndexes {
			if !have[*g.IndexName] {
				missing = append(missing, fmt.Errorf("table %s has no index %s", *t.TableName, *g.IndexName))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dynamo: %w; run `streamwidgets migrate --store dynamodb` first", errors.Join(missing...))
	}
	return nil
}
