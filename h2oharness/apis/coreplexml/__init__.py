"""CorePlexML Experiments: mock, client and payloads."""
