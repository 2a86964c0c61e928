"""The pieces of the H2O-3 mock: wire format, metadata, CSV parsing, frames, learners, metrics, builders, handlers."""
