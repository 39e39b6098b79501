"""Kinesis record → subscription envelope → EMF data points, or dead letters with a reason."""

from consumers.decode.records import DecodedEvent, DecodedRecord, decode_record, record_fingerprint

__all__ = ["DecodedEvent", "DecodedRecord", "decode_record", "record_fingerprint"]
