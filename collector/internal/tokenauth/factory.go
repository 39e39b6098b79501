package tokenauth

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// TypeStr is the extension's name in config.yaml.
const TypeStr = "ccstreamauth"

// NewFactory returns the ccstreamauth extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		component.MustNewType(TypeStr),
		func() component.Config { return defaultConfig() },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newAuthenticator(cfg.(*Config), set.TelemetrySettings)
		},
		component.StabilityLevelDevelopment,
	)
}
