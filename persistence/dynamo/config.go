// Package dynamo is the production store: DynamoDB through aws-sdk-go-v2,
// implementing persistence.Store with the same semantics as the embedded
// store (one conformance suite for both). Table design: docs/dynamodb.md.
package dynamo

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Config names the tables and tunes the client. Zero values are defaults.
type Config struct {
	// WidgetsTable is the widget table (seed: STREAM_WIDGETS_TABLE). Default "stream_widgets".
	WidgetsTable string
	// CredentialsTable holds integration credentials (seed:
	// WIDGET_SERVICE_CREDENTIALS_TABLE). Default "widget_service_credentials".
	CredentialsTable string
	// RoomsTable holds watch-party rooms and their members' index entries
	// (room.go). Default "watch_party_rooms".
	RoomsTable string
	// Endpoint overrides the SDK's endpoint (tests); production leaves it
	// empty and uses the standard chain (AWS_ENDPOINT_URL_DYNAMODB, region…).
	Endpoint string
	// InactiveTTL: an inactive widget untouched this long is deleted by
	// DynamoDB's TTL (the plan's cleanup of idle widgets). Default 30 days; <0 disables.
	InactiveTTL time.Duration
	// CallTimeout bounds every DynamoDB call including retries. Default 5s.
	CallTimeout time.Duration
}

func (c *Config) defaults() {
	if c.WidgetsTable == "" {
		c.WidgetsTable = "stream_widgets"
	}
	if c.CredentialsTable == "" {
		c.CredentialsTable = "widget_service_credentials"
	}
	if c.RoomsTable == "" {
		c.RoomsTable = "watch_party_rooms"
	}
	if c.InactiveTTL == 0 {
		c.InactiveTTL = 30 * 24 * time.Hour
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 5 * time.Second
	}
}

// ConfigFromEnv reads the plan's table variables.
func ConfigFromEnv() Config {
	return Config{WidgetsTable: os.Getenv("STREAM_WIDGETS_TABLE"), CredentialsTable: os.Getenv("WIDGET_SERVICE_CREDENTIALS_TABLE")}
}

// NewClient builds a DynamoDB client from the SDK's standard chain (region,
// credentials, AWS_ENDPOINT_URL_DYNAMODB), with retries with backoff for
// throttling and transient errors and a timeout on every HTTP attempt.
func NewClient(ctx context.Context, c Config) (*dynamodb.Client, error) {
	c.defaults()
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryMaxAttempts(4),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(c.CallTimeout)),
	)
	if err != nil {
		return nil, fmt.Errorf("dynamo: aws config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // only reached with a local endpoint and no region configured
	}
	local := c.Endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		// Local servers do not send the response checksums AWS does.
		o.DisableValidateResponseChecksum = local
	}), nil
}
