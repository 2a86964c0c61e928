"""The pieces of the CorePlexML mock: wire format, catalog, AutoML simulation, state, handlers."""
