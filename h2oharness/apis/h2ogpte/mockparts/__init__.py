"""Pieces of the h2oGPTe mock: state, request specs, wire format and handlers."""
