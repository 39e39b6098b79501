"""Kinesis record → subscription envelope → EMF lines as the aggregates see them, or dead letters with a reason."""

from consumers.decode.lines import Line
from consumers.decode.records import DecodedRecord, decode_record, read_lines, record_fingerprint

__all__ = ["DecodedRecord", "Line", "decode_record", "read_lines", "record_fingerprint"]
