"""Reading the partial rows back: merge shards' partials per window and answer `ccstream query`."""

from consumers.query.api import QueryRow, query_metric, supported_help
from consumers.query.reader import DynamoRowReader, MemoryRowReader, RowReader

__all__ = ["DynamoRowReader", "MemoryRowReader", "QueryRow", "RowReader", "query_metric", "supported_help"]
