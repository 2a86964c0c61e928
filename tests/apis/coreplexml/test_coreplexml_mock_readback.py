"""What the CorePlexML mock is told is what it reads back: a deleted model is gone from every read, and the
writes beyond the seed (deployment promote, rollback and deactivate) show on the next read."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.mocks.clock import ManualClock

Upload = Callable[..., dict[str, str]]


def _trained(client: CorePlexMLClient, upload: Upload, clock: ManualClock) -> tuple[dict[str, str], str, list[str]]:
    data = upload()
    experiment = str(
        client.create_experiment(data["project"], data["version"], "label", config={"max_models": 2})["id"]
    )
    clock.advance(3600)
    return data, experiment, [str(m["id"]) for m in client.experiment(experiment)["models"]]


def test_a_deleted_model_is_gone_from_every_read(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    _, experiment, models = _trained(client, upload, clock)
    chosen = models[-1]
    assert client.set_best_model(experiment, chosen)["best_model_id"] == chosen

    assert http.delete(f"/api/models/{chosen}").json() == {"ok": True}
    assert http.get(f"/api/models/{chosen}").status_code == 404
    assert chosen not in [m["id"] for m in http.get("/api/models").json()["items"]]
    detail = client.experiment(experiment)
    assert chosen not in [m["id"] for m in detail["models"]]
    assert detail["best_model_id"] == models[0]  # the choice falls back to the top of what is left
    assert client.status(experiment)["model_count"] == len(models) - 1
    assert http.delete(f"/api/models/{chosen}").status_code == 404
    with pytest.raises(CorePlexMLResponseError) as gone:
        client.set_best_model(experiment, chosen)
    assert gone.value.status == 404
