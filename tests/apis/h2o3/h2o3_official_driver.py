"""Drive the official ``h2o`` client against a server and print what it saw as one JSON line.

Run as a subprocess (h2o-py keeps global state): ``python h2o3_official_driver.py URL CSV import|upload``.
``import`` is the seed flow (import_file, GBM, predict); ``upload`` uploads the file and
also trains GLM and DRF, then removes the frame and closes the session.
"""

from __future__ import annotations

import json
import os
import sys


def main(url: str, csv_path: str, mode: str) -> dict[str, object]:
    """Run the flow and return its observations."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # h2o-py's telemetry is opt-in; make sure it stays off
    import h2o
    from h2o.estimators import (
        H2OGeneralizedLinearEstimator,
        H2OGradientBoostingEstimator,
        H2ORandomForestEstimator,
    )

    h2o.connect(url=url, verbose=False)  # connects only: h2o.connect never starts a server
    out: dict[str, object] = {"local_server": h2o.connection().local_server is not None}
    frame = h2o.import_file(csv_path) if mode == "import" else h2o.upload_file(csv_path)
    out.update(frame_id=frame.frame_id, nrow=frame.nrow, ncol=frame.ncol, types=frame.types)
    gbm = H2OGradientBoostingEstimator(ntrees=5, max_depth=3)
    gbm.train(y="label", training_frame=frame)
    predictions = gbm.predict(frame)
    performance = gbm.model_performance()
    out.update(
        model_id=gbm.model_id,
        auc=gbm.auc(),
        logloss=gbm.logloss(),
        perf_auc=performance.auc(),
        perf_rmse=performance.rmse(),
        pred_nrow=predictions.nrow,
        pred_names=predictions.names,
    )
    if mode == "upload":
        glm = H2OGeneralizedLinearEstimator(family="binomial")
        glm.train(y="label", training_frame=frame)
        drf = H2ORandomForestEstimator(ntrees=5, seed=1)
        drf.train(x=["x1", "x2", "size"], y="label", training_frame=frame)
        out.update(glm_auc=glm.auc(), glm_coef=sorted(glm.coef()), drf_auc=drf.auc())
        h2o.remove(frame)
    h2o.connection().close()
    return out


if __name__ == "__main__":
    result = main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "import")
    print(json.dumps(result), flush=True)
