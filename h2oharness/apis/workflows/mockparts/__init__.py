"""The pieces of the H2O Workflows mock: state, workflow source, run execution, wire format, handlers."""
