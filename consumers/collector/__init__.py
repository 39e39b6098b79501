"""The project's OpenTelemetry Collector distribution (built from `collector/`) as a local process."""
