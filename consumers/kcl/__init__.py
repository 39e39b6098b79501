"""Everything that runs under, or runs, the Kinesis Client Library's Java MultiLangDaemon.

- `processor.py`, `lake_processor.py`: record processors (amazon_kclpy v3), started by the daemon once per shard.
- `properties.py` + `kcl.properties`: a `KclApp` and the daemon's rendered properties file.
- `daemon.py`: start and stop one MultiLangDaemon (java) for one `KclApp`; jars, command line, environment, log.
- `shards.py`, `leases.py`: the stream's shards; the lease table (read checkpoints, pre-seed leases locally).
- `drain.py`: "every shard drained and checkpointed" and the `--until-idle` rule.
- `runner.py`: `run_consumers(...)`, the engine of `ccstream consume` (one daemon per application).

Nothing is imported here on purpose: the daemon starts a record processor per shard with
`python -m consumers.kcl.processor`, and that start should not pay for modules it does not use.
"""
