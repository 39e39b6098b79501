// Package source reads a small configuration document the collector reloads while it runs (service-account
// hashes, the organisation mapping): a local file, or an SSM parameter ("ssm:/name") on AWS.
package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.uber.org/zap"
)

// SSMPrefix marks a location that is an SSM parameter name.
const SSMPrefix = "ssm:"

// ErrNotFound is returned when the file or parameter does not exist.
var ErrNotFound = errors.New("not found")

// Fetch returns the document's bytes.
type Fetch func(ctx context.Context) ([]byte, error)

// New returns the Fetch of location: "ssm:/name" or a file path. awsEndpoint overrides the AWS endpoint (an
// emulator); empty means the SDK's default resolution.
func New(location, awsEndpoint string) (Fetch, error) {
	if location == "" {
		return nil, errors.New("empty location")
	}
	if name, ok := strings.CutPrefix(location, SSMPrefix); ok {
		return ssmFetch(name, awsEndpoint), nil
	}
	return func(context.Context) ([]byte, error) {
		data, err := os.ReadFile(location)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", location, ErrNotFound)
		}
		return data, err
	}, nil
}

func ssmFetch(name, endpoint string) Fetch {
	var (
		once   sync.Once
		client *ssm.Client
		cfgErr error
	)
	return func(ctx context.Context) ([]byte, error) {
		once.Do(func() {
			cfg, err := config.LoadDefaultConfig(ctx)
			if err != nil {
				cfgErr = err
				return
			}
			client = ssm.NewFromConfig(cfg, func(o *ssm.Options) {
				if endpoint != "" {
					o.BaseEndpoint = aws.String(endpoint)
				}
			})
		})
		if cfgErr != nil {
			return nil, fmt.Errorf("AWS configuration: %w", cfgErr)
		}
		// GetParameters (not GetParameter): the action the networking stack's SSM endpoint admits.
		out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{name}, WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("SSM parameter %s: %w", name, err)
		}
		if len(out.Parameters) == 0 {
			return nil, fmt.Errorf("SSM parameter %s: %w", name, ErrNotFound)
		}
		return []byte(aws.ToString(out.Parameters[0].Value)), nil
	}
}

// Watch calls apply with the parsed document now and then every interval until ctx ends. A missing document is
// applied as empty (nil bytes: a deleted service-account file revokes every account); a read or parse error keeps
// the last good value and is logged. The first load's error is returned so a broken start fails loudly.
func Watch[T any](ctx context.Context, fetch Fetch, parse func([]byte) (T, error), apply func(T), interval time.Duration, logger *zap.Logger, what string) error {
	load := func() error {
		data, err := fetch(ctx)
		if errors.Is(err, ErrNotFound) {
			data, err = nil, nil
		}
		if err != nil {
			return err
		}
		value, err := parse(data)
		if err != nil {
			return err
		}
		apply(value)
		return nil
	}
	if err := load(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	go func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if err := load(); err != nil {
					logger.Warn("reload failed; keeping the last good value", zap.String("what", what), zap.Error(err))
				}
			}
		}
	}()
	return nil
}
