"""A mock H2O-3 (3.46.0.12) REST API: ``make_app(state)`` builds a fresh Starlette app around an explicit state.

It really parses CSV files, really fits small GBM/DRF/GLM models, and answers
with the fields, JSON types, status codes and error bodies a real 3.46.0.12
sends for the same requests (checked by ``tests/apis/h2o3/test_h2o3_mock_fidelity.py``).
Jobs live on the state's clock, so they are instant or hand-driven in tests and
take realistic time when served. Bad input always gets an H2OErrorV3 with a 4xx
status, never a 5xx, even where a real server crashes with a 500; the
differences are listed in ``DEVIATIONS``.

Example:
    state = H2O3MockState(clock=ManualClock(), timings=H2O3Timings.instant())
    with serve(make_app(state)) as served:
        httpx.get(served.url + "/3/Cloud").json()["cloud_healthy"]   # True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.responses import Response

from h2oharness.apis.h2o3.mockparts import (
    automl,
    frame_files,
    grid_files,
    grids,
    handlers_export,
    handlers_find,
    handlers_gram,
    handlers_metrics,
    interaction,
    metrics_maker,
    model_files,
    node_storage,
    partial_dependence,
    routes,
)
from h2oharness.apis.h2o3.mockparts import handlers_columns as columns
from h2oharness.apis.h2o3.mockparts import handlers_data as data
from h2oharness.apis.h2o3.mockparts import handlers_info as info
from h2oharness.apis.h2o3.mockparts import handlers_inspect as inspect
from h2oharness.apis.h2o3.mockparts import handlers_meters as meters
from h2oharness.apis.h2o3.mockparts import handlers_misc as misc
from h2oharness.apis.h2o3.mockparts import handlers_models as models
from h2oharness.apis.h2o3.mockparts import handlers_node as node
from h2oharness.apis.h2o3.mockparts import handlers_v4 as v4
from h2oharness.apis.h2o3.mockparts.builders import ALGOS
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, H2O3Timings
from h2oharness.apis.h2o3.mockparts.wire import H2OError, bad_request, encode, not_found
from h2oharness.mocks.app import UNIMPLEMENTED, Incoming, Wiring, build_app
from h2oharness.mocks.auth import basic_matches
from h2oharness.mocks.clock import Clock, MonotonicClock
from h2oharness.mocks.router import Lookup, Router

__all__ = ["DEVIATIONS", "JOB_TIMEOUT", "ROUTES", "H2O3MockState", "H2O3Timings", "default_state", "make_app"]

#: how long a scenario or the seed replay waits for a job on a served mock (``targets.job_timeout``): ten times its
#: longest, a model build (0.1 s queued + 3 s running), for a loaded machine
JOB_TIMEOUT = 10 * H2O3Timings().model.total

Handler = Callable[[H2O3MockState, Call], Reply]

# (method, path, handler): the routes the mock implements. Any other path the metadata documents answers 405 with
# Allow for a method it does not document and 404 for one the mock does not implement; an undocumented path is 404.
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/3/Cloud", data.cloud),
    ("HEAD", "/3/Cloud", data.cloud),
    ("GET", "/3/Ping", info.ping),
    ("GET", "/3/About", info.about),
    ("GET", "/3/Capabilities", info.capabilities),
    ("GET", "/3/Capabilities/Core", info.capabilities),
    ("GET", "/3/Capabilities/API", info.capabilities),
    ("GET", "/3/SteamMetrics", info.steam_metrics),
    ("GET", "/3/SessionProperties", node_storage.session_property),
    ("POST", "/3/SessionProperties", node_storage.set_session_property),
    ("GET", "/3/NodePersistentStorage/configured", node_storage.storage),
    ("GET", "/3/NodePersistentStorage/categories/{category}/exists", node_storage.storage),
    ("GET", "/3/NodePersistentStorage/categories/{category}/names/{name}/exists", node_storage.storage),
    ("GET", "/3/NodePersistentStorage/{category}", node_storage.storage),
    ("POST", "/3/NodePersistentStorage/{category}", node_storage.store),
    ("GET", "/3/NodePersistentStorage/{category}/{name}", node_storage.value),
    ("POST", "/3/NodePersistentStorage/{category}/{name}", node_storage.store),
    ("DELETE", "/3/NodePersistentStorage/{category}/{name}", node_storage.delete),
    ("POST", "/3/GarbageCollect", node_storage.garbage_collect),
    ("POST", "/3/UnlockKeys", node_storage.unlock_keys),
    ("POST", "/3/CloudLock", node_storage.cloud_lock),
    ("GET", "/3/Typeahead/files", info.typeahead_files),
    ("GET", "/4/endpoints", info.endpoints_v4),
    ("GET", "/3/FrameChunks/{frame_id}", meters.frame_chunks),
    ("GET", "/3/WaterMeterIo", meters.water_meter_io),
    ("GET", "/3/WaterMeterIo/{nodeidx}", meters.water_meter_io),
    ("GET", "/3/WaterMeterCpuTicks/{nodeidx}", meters.water_meter_cpu_ticks),
    ("GET", "/3/KillMinus3", meters.kill_minus3),
    ("GET", "/3/Timeline", node.timeline),
    ("GET", "/3/JStack", node.jstack),
    ("GET", "/3/Profiler", node.profiler),
    ("GET", "/3/Logs/nodes/{nodeidx}/files/{name}", node.logs),
    # not in the route table: h2o-py's download_all_logs asks them
    ("GET", "/3/Logs/download", node.logs_download),
    ("GET", "/3/Logs/download/{container}", node.logs_download),
    ("GET", "/99/Sample", data.cloud),
    ("GET", "/3/Metadata/endpoints", data.metadata_endpoints),
    ("GET", "/3/Metadata/endpoints/{path}", data.metadata_endpoint),
    ("GET", "/3/Metadata/schemas", data.metadata_schemas),
    ("GET", "/3/Metadata/schemas/{schemaname}", data.metadata_schema),
    ("GET", "/3/ImportFiles", data.import_files),
    ("POST", "/3/ImportFiles", data.import_files),
    ("POST", "/3/ImportFilesMulti", data.import_files_multi),
    ("POST", "/3/PostFile", data.post_file),
    ("POST", "/3/PostFile.bin", data.post_file),
    ("POST", "/3/ParseSetup", data.parse_setup),
    ("POST", "/3/Parse", data.parse),
    ("GET", "/3/Frames", data.frames_list),
    ("DELETE", "/3/Frames", data.delete_all_frames),
    ("GET", "/3/Frames/{frame_id}", data.frame),
    ("GET", "/3/Frames/{frame_id}/summary", data.frame_summary),
    ("GET", "/3/Frames/{frame_id}/light", columns.light),
    ("GET", "/3/Frames/{frame_id}/columns", columns.columns),
    ("GET", "/3/Frames/{frame_id}/columns/{column}", columns.column),
    ("GET", "/3/Frames/{frame_id}/columns/{column}/domain", columns.column_domain),
    ("GET", "/3/Frames/{frame_id}/columns/{column}/summary", columns.column_summary),
    ("DELETE", "/3/Frames/{frame_id}", data.delete_frame),
    ("GET", "/3/Find", handlers_find.find),
    ("POST", "/3/Frames/{frame_id}/export", handlers_export.export_frame),
    ("POST", "/3/Frames/{frame_id}/save", frame_files.save),
    ("POST", "/3/Frames/load", frame_files.load),
    ("GET", handlers_export.DEPRECATED, handlers_export.export_frame),
    ("GET", "/3/ComputeGram", handlers_gram.compute_gram),
    ("GET", "/3/ModelBuilders", models.model_builders),
    ("GET", "/3/ModelBuilders/{algo}", models.model_builder),
    *(("POST", f"/3/ModelBuilders/{algo}", models.build) for algo in ALGOS),
    *(("POST", f"/3/ModelBuilders/{algo}/parameters", models.validate_parameters) for algo in ALGOS),
    ("GET", "/3/Models", models.models_list),
    ("DELETE", "/3/Models", models.delete_all_models),
    ("GET", "/3/Models/{model_id}", models.model),
    # not in the route table: a real server answers it as /3/Models/{model_id}, and h2o-py's get_grid asks it
    ("GET", "/99/Models/{model_id}", models.model),
    ("DELETE", "/3/Models/{model_id}", models.delete_model),
    ("GET", "/99/Models/{model_id}/json", model_files.export_details),
    ("GET", "/3/Models.fetch.bin/{model_id}", model_files.fetch_binary),
    ("GET", "/99/Models.bin/{model_id}", model_files.export_binary),
    ("POST", "/99/Models.bin/{model_id}", model_files.import_binary),
    # h2o-py's load_model names no model: the template with an empty model_id
    ("POST", "/99/Models.bin/", model_files.import_binary),
    ("POST", "/99/Models.upload.bin/{model_id}", model_files.upload_binary),
    # h2o-py's upload_model names no model: the template with an empty model_id
    ("POST", "/99/Models.upload.bin/", model_files.upload_binary),
    ("GET", "/3/Models.java/{model_id}", model_files.pojo_blocked),
    ("GET", "/3/Models.java/{model_id}/preview", model_files.pojo_blocked),
    ("GET", "/99/Assembly.java/{assembly_id}/{file_name}", model_files.pojo_blocked),
    ("GET", "/99/Models.mojo/{model_id}", model_files.mojo_blocked),
    ("GET", "/3/Models/{model_id}/mojo", model_files.mojo_blocked),
    ("GET", "/99/Assembly.fetch_mojo_pipeline/{assembly_id}/{file_name}", model_files.mojo_blocked),
    ("GET", "/3/Tree", inspect.tree),
    ("GET", "/3/GetGLMRegPath", inspect.glm_regularization_path),
    ("GET", "/3/Word2VecSynonyms", inspect.word2vec_synonyms),
    ("GET", "/3/Word2VecTransform", inspect.word2vec_transform),
    ("GET", "/3/TargetEncoderTransform", inspect.target_encoder_transform),
    ("POST", "/3/PartialDependence/", partial_dependence.start),
    ("GET", "/3/PartialDependence/{name}", partial_dependence.fetch),
    ("GET", "/4/modelsinfo", v4.models_info),
    ("GET", "/4/jobs/{job_id}", v4.job),
    ("GET", "/3/Jobs", models.jobs_list),
    ("GET", "/3/Jobs/{job_id}", models.job),
    ("POST", "/3/Jobs/{job_id}/cancel", models.cancel_job),
    ("POST", "/3/Predictions/models/{model}/frames/{frame}", models.predict),
    ("POST", "/4/Predictions/models/{model}/frames/{frame}", models.predict_async),
    ("GET", "/3/ModelMetrics", handlers_metrics.fetch),
    ("GET", "/3/ModelMetrics/models/{model}", handlers_metrics.fetch),
    ("GET", "/3/ModelMetrics/frames/{frame}", handlers_metrics.fetch),
    ("GET", "/3/ModelMetrics/models/{model}/frames/{frame}", handlers_metrics.fetch),
    ("GET", "/3/ModelMetrics/frames/{frame}/models/{model}", handlers_metrics.fetch),
    ("POST", "/3/ModelMetrics/models/{model}/frames/{frame}", models.model_metrics),
    ("DELETE", "/3/ModelMetrics/models/{model}/frames/{frame}", handlers_metrics.delete),
    ("DELETE", "/3/ModelMetrics/frames/{frame}/models/{model}", handlers_metrics.delete),
    ("POST", "/3/ModelMetrics/predictions_frame/{predictions_frame}/actuals_frame/{actuals_frame}", metrics_maker.make),
    ("POST", "/4/sessions", data.new_session),
    ("DELETE", "/4/sessions/{session_key}", data.end_session),
    ("GET", "/3/InitID", data.init_id),
    ("DELETE", "/3/InitID", data.init_id),
    ("POST", "/99/Rapids", data.rapids),
    ("GET", "/3/DownloadDataset", data.download_dataset),
    ("GET", "/3/DownloadDataset.bin", data.download_dataset),
    ("DELETE", "/3/DKV", data.remove_all),
    ("DELETE", "/3/DKV/{key}", data.remove_key),
    ("POST", "/3/CreateFrame", misc.create_frame),
    ("POST", "/3/Interaction", interaction.interaction),
    ("POST", "/3/MissingInserter", misc.missing_inserter),
    ("POST", "/3/LogAndEcho", misc.log_and_echo),
    ("GET", "/3/NetworkTest", misc.network_test),
    ("POST", "/99/AutoMLBuilder", automl.build),
    ("GET", "/99/AutoML/{automl_id}", automl.automl),
    ("GET", "/99/Leaderboards", automl.leaderboards),
    ("GET", "/99/Leaderboards/{project_name}", automl.leaderboard),
    *(("POST", f"/99/Grid/{algo}", grids.train) for algo in ALGOS),
    *(("POST", f"/99/Grid/{algo}/resume", grids.resume) for algo in ALGOS),
    ("GET", "/99/Grids", grids.grids_list),
    ("GET", "/99/Grids/{grid_id}", grids.grid),
    ("POST", "/3/Grid.bin/{grid_id}/export", grid_files.export_grid),
    ("POST", "/3/Grid.bin/import", grid_files.import_grid),
)

# Where the mock answers differently from a real 3.46.0.12, on purpose.
DEVIATIONS: dict[str, str] = {
    "GET unknown route": "real: 404 text/plain 'not found: Access to H2O Flow is disabled'; mock: 404 H2OErrorV3",
    "undocumented method": "real: PUT is 400 'Bad HTTP method', PATCH and QUERY a bodiless 501 (Jetty), TRACE 405 "
    "without Allow, HEAD (bar /3/Cloud) 404, OPTIONS an empty 200 without Allow; mock: on a path the metadata "
    "documents, 405 H2OErrorV3 (HEAD: no body) with an Allow header naming exactly the documented methods of the most "
    "specific route matching it, and OPTIONS an empty 200 with that Allow; on any other path, 404 H2OErrorV3",
    "boolean parameters": "real: Boolean.parseBoolean reads anything but 'true' (any case) as false, so "
    "skip_ticks=null or preview=1 are accepted; mock: 412 'Illegal argument for field: ... cannot convert' for "
    "anything but true or false (any case), the real answer to an unconvertible number",
    "GET /3/ModelBuilders/{unknown}": "real: 500 IllegalStateException; mock: 404 H2OErrorV3",
    "GET /3/Frames/{id} past the last row": "real: 500 NegativeArraySizeException; mock: 400 H2OErrorV3",
    "POST /3/Parse without a known parse_type": "real: 500 NullPointerException; mock: 400 H2OErrorV3",
    "malformed JSON body": "real: 500 JsonSyntaxException; mock: 400 H2OErrorV3",
    "GET /3/Metadata/endpoints/{path}": "real: always routes[0]; mock: the route with that index or api_name, else 404",
    "POST /3/ModelBuilders/{algo}": "the mock builds gbm, drf and glm only; other algorithms are 404",
    "held objects": "real: frames and models live until deleted or the node runs out of memory; mock: at most "
    "max_objects (1,000) frames, models, raw sources, AutoML runs and sessions each, and frames of "
    "max_frame_values (40M) values in all, the oldest dropped first; a finished AutoML run keeps only its models "
    "still held (its leaderboard never showed others)",
    "POST /3/Jobs/{id}/cancel": "a cancelled build publishes no model and keeps the progress it had reached "
    "(a real GBM keeps its partial model and reports progress 1.0)",
    "seed -1": "a real server draws a random seed; the mock uses 1234 so builds are reproducible",
    "ImportFiles of a folder": "the mock imports the folder's own files; a real server also descends into sub-folders",
    "DRF training metrics": "in-sample on the mock; a real DRF reports them on out-of-bag rows",
    "algorithms": "the mock's learners are small stand-ins: metrics are real numbers for the data, not H2O-3's",
    "GLM lambda": "a real GLM chooses lambda from the data (actual_value of lambda); the mock fits a ridge with 1e-3",
    "model parameters order": "the mock lists a model's parameters in the metadata's order, a real model in its own",
    "POST /99/Rapids": "the mock evaluates the subset of Rapids the h2o client sends for common frame work "
    "(mockparts/rapids.py: slices, filters, maths, reductions, table, unique, levels, as.factor, cbind/rbind, runif, "
    "sort, quantile, GB (group_by), append and := (column assignment), column-wise apply of a { x . body } lambda "
    "(h2o.deep_copy) and row-wise apply of one answering a number per row, merge, cut, pivot, relevel, setDomain, "
    "setLevel, ls ...); another function a real 3.46.0.12 knows is a 400 'The mock does not evaluate the Rapids "
    "function ...', where a real server evaluates it; one it does not know is its 400 'Name lookup of ... failed'",
    "merge": "all_y (a right outer join) is a 400 on the mock; method 'hash' keeps the left frame's row order, "
    "which is what a real server gave for small frames (its hash order in general)",
    "non-finite values": "as a real server, Rapids reductions (max, min, sd, mean) leave ±Infinity out, a log of 0 "
    "is -Infinity, exp past a double's range +Infinity, a missing value compares as in Java (NA > 0 is 0, NA != 0 is "
    "1) and ends a cumulative sum, max or min; but a column of ±Infinity downloads as Infinity (a real server that "
    "typed it int writes Java's Long limits, 9223372036854775807) and sumNA of a column holding +Infinity is "
    "Infinity (a real server answers its finite mean times its rows): the server's defects are not copied",
    "monotone_constraints, interaction_pairs": "a JSON array of objects the server's gson cannot read (a list for a "
    "value, not an array) is the 412 of any unconvertible value; a real 3.46.0.12 answers 500 IllegalStateException",
    "split_frame (Rapids h2o.runif)": "the mock draws from Python's random with the same seed: a seeded "
    "split_frame takes other rows than on a real server (the same proportions)",
    "(ls)": "the mock lists frames, models, grids and AutoML runs; a real server lists every key, internal ones "
    "included (modelmetrics_*, levelone frames, ...)",
    "GET /3/DownloadDataset": "numbers are written as Python's shortest repr (1e-05), a real server as Java (1.0E-5)",
    "cross-validation": "fold_column and Stratified fold assignment are drawn from the seed as Random is; a fold "
    "model's parameters are those of the main model with nfolds 0",
    "POST /99/AutoMLBuilder": "the mock builds at most three base models (GLM_1, DRF_1, GBM_2; DRF and GBM with 30 "
    "trees), each with cross-validation, then StackedEnsemble_BestOfFamily_1, which averages its base models' "
    "predictions: there is no metalearner model (metalearner() is None) and no levelone frame; "
    "every model appears when the run's job is done, not one by one; max_runtime_secs and stopping rounds are ignored; "
    "nfolds larger than the frame's rows, or than the fold models the mock fits (see 'model builds'), is a 412",
    "POST /99/Grid/{algo}": "grid search of gbm, drf and glm only; every combination is trained inside the request "
    "(each within the budget of 'model builds', at most 100 a request, past which the job fails at once, saying why) "
    "and the grid's models appear when its job is done, not one by one; a RandomDiscrete search draws its "
    "combinations from Python's random with its seed (-1: 1234), so it picks other combinations than a real one; "
    "max_runtime_secs and the stopping fields of search_criteria are echoed but ignored, as are parallelism, "
    "recovery_dir and export_checkpoints_dir (nothing is written); appending to a grid skips a combination built "
    "before only when the request names the same hyper-parameters",
    "POST /3/Grid.bin/{grid_id}/export": "writes the mock's own JSON files (a real server writes Java's binary), "
    "one for the grid and one for each model, in the folder named; a model's cross-validation models and "
    "predictions are not written (save_params_references and export_cross_validation_predictions are ignored); "
    "where a real server fails to write (a file in the way) or finds a model file missing on import, it answers "
    "500 FSIOException, the mock 400 with the same message",
    "POST /3/Grid.bin/import": "reads only the files the mock wrote; any other file is the 400 'Missing magic "
    "number 0x1CED at stream start' a real server answers for a file not its own",
    "POST /99/Grid/{algo}/resume": "of an unknown grid, a 404 H2OErrorV3 (real: 500 NullPointerException); of a known "
    "one, builds the combinations its last search planned and did not build (a cancelled job's)",
    "GET /99/Grids/{grid_id}": "the scoring history lists a grid's models in the order they were built (real: in "
    "its own order) with a duration of 0; the summary table and metrics drop a model deleted since (real: the "
    "summary table keeps it); err, f1 and the other threshold metrics sort by the mock's max criteria, and "
    "failed_params of a combination the builder refuses hold the parameters as given (real: AUTO resolved, e.g. "
    "distribution bernoulli)",
    "POST /3/CreateFrame": "at most 2,000,000 values and 100,000 levels, past which the job fails at once (a real "
    "server runs out of memory); string and time columns are not made",
    "GET /3/NetworkTest": "made-up loopback timings",
    "POST /3/Frames/{frame_id}/export, GET /3/Frames/{frame_id}/export/{path}/overwrite/{force}": "CSV only "
    "(format parquet is a 400) and never compressed or in parts (compression, num_parts ignored); without a path, "
    "a real server answers 500 NullPointerException, the mock 400 with its message",
    "POST /3/Frames/{frame_id}/save, POST /3/Frames/load": "the mock writes one file of its own named after the "
    "frame (a real server Java's binary: that file and one per chunk) and loads only those (any other file is the "
    "real 'Missing magic number 0x1CED'); without dir or frame_id, or a file not found, a real server answers 500 "
    "(NullPointerException, FSIOException), the mock 400 with the same message",
    "POST /3/Interaction": "levels of equal count are listed in the order of a real server's hash map, replayed for "
    "a frame of one chunk (checked for 15 and 30 distinct pairs; a real server merges the maps of many chunks in "
    "its own order); an unknown source_frame is a 400 with the message of a real server's 500 NullPointerException",
    "GET /3/ComputeGram": "at most 20M multiply-adds (rows x expanded columns squared), past which it is a 400; "
    "string, uuid and time columns are left out",
    "GET /3/Find": "where a real server answers 500 (an unknown frame, a match a lone column cannot hold: "
    "NullPointerException) the mock answers 400 with the same message; a string, uuid or time column is a 400 "
    "(real: H2O.unimpl)",
    "GET /3/Timeline, /3/JStack, /3/Profiler": "made-up events, threads and stacks of a resting node, in the real "
    "shapes",
    "GET /3/Logs/nodes/{nodeidx}/files/{name}": "the mock's logs hold one line (its start) in info, stdout and "
    "stderr; a name the real server does not know is a 400 with its message (real: 500 'GetLogTask failed')",
    "GET /3/Models.fetch.bin/{model_id}": "the body is the mock's own model file (what its Grid.bin export writes), "
    "not Java's binary",
    "GET/POST /99/Models.bin/{model_id}": "save_model writes the mock's own model file and load_model reads only "
    "those (any other file is the real server's 'Missing magic number 0x1CED'); without dir, a real server "
    "answers 500 NullPointerException, the mock 400 with its message",
    "POST /99/Models.upload.bin/{model_id}": "reads only the model files the mock wrote (what its /3/Models.fetch.bin "
    "answers and h2o.download_model saves); an upload of any other bytes is the real 'Missing magic number 0x1CED'; "
    "without dir, for a key not uploaded or a parsed frame, a real server answers 500 (NullPointerException, "
    "ClassCastException), the mock 400 with the same message",
    "GET /3/Tree": "nodes are numbered as the mock grew them (root 0, children after parents), not as H2O-3 numbers "
    "them; an enum split sends the levels at or below its cut left; without plain_language_rules, or for a model "
    "that is not a Word2Vec/GLM/TargetEncoder model where one is wanted (/3/GetGLMRegPath, /3/Word2Vec*, "
    "/3/TargetEncoderTransform), a real server answers 500 (NullPointerException, ClassCastException), the mock 400 "
    "with the same message",
    "GET /99/Models/{model_id}/json": "without dir, or where the file cannot be written (or exists and force is "
    "false), a real server answers 500 (NullPointerException, FSIOException), the mock 400 with the same message",
    "GET /3/WaterMeterIo/{nodeidx}, /3/WaterMeterCpuTicks/{nodeidx}": "a node index other than 0 is a 404 with the "
    "message of a real server's 500 (ArrayIndexOutOfBoundsException); the counts and ticks are made up",
    "GET /3/SteamMetrics": "idle_millis counts from the last job's end (0 while one runs) or the mock's start; a real "
    "server also restarts it on a Rapids call or a DKV removal",
    "POST /3/PartialDependence/": "computed inside the request with the mock's own models (so other numbers than a "
    "real model's, but the same grid of each column); without a model or frame, for a column or frame it does not "
    "hold, a real server answers 500 NullPointerException, the mock 400 with its message; a row_index past the "
    "frame's last row is a 400 (real: reads some row), as is a string, uuid column or more than 2M rows scored "
    "(rows x grid points); without cols, a GLM's columns are those of its coefficients in order of importance "
    "(real: also lists the response, last)",
    "POST /3/ModelMetrics/predictions_frame/{p}/actuals_frame/{a}": "weights_frame and treatment_frame (uplift) "
    "are a 400, as is a regression distribution other than gaussian or laplace (real: its deviance) and an actual "
    "level not in the domain (real: 500 DistributedException); a multinomial request without auc_type is a 400 "
    "with the message of a real server's 500 NullPointerException; a tie between the most likely classes is broken "
    "as a real server breaks it for a frame of one chunk (its draw restarts at each chunk)",
    "/3/NodePersistentStorage/...": "the mock keeps the values in memory, as long as it runs (a real server writes "
    "them to files under its flow folder, kept across restarts); POST without a value is a 400 with the message of "
    "a real server's 500 NullPointerException",
    "predict_contributions": "the mock's contributions are Saabas' (each split's change of node value credited to "
    "its feature), not TreeSHAP: they add up with BiasTerm to the raw prediction as SHAP's do, top_n/bottom_n rank "
    "those; background_frame, output_space and output_per_reference are ignored (so a GLM's job fails, as a real "
    "one does without a background frame)",
    "predict_leaf_node_assignment": "Node_ID numbers are the mock's node indices, not H2O-3's; a model that is not "
    "a tree model is a 400 H2OErrorV3, where a real server answers 500 ClassCastException",
    "model builds": "a real server trains in the background for as long as it takes; the mock trains inside the "
    "request within a counted budget of work (mockparts/learn.py WORK_BUDGET): a long or wide frame is fitted on "
    "fewer rows, a fold model's training metrics are on those rows, and training and validation metrics are on at "
    "most 500,000 rows x classes x columns (mockparts/learn.py SCORED_VALUES) of a frame; a GLM on at "
    "most 100 expanded columns (fewer for multinomial), those most correlated with the response, the others with "
    "a coefficient of 0; a GBM or DRF has every tree asked for (up to 200), fitted and scored on as few rows as the "
    "budget allows (at least 50), and stops adding trees only if they grow deeper than it was sized for (16 levels); "
    "a build asking for more "
    "than 100 fold models (fewer on a frame of over 200 columns: 20,000 fold-model columns) has a job that fails "
    "at once, saying why",
}

JETTY_401 = (
    '<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
    "<title>Error 401 Unauthorized</title>\n</head>\n<body><h2>HTTP ERROR 401 Unauthorized</h2>\n<table>\n"
    "<tr><th>URI:</th><td>{uri}</td></tr>\n<tr><th>STATUS:</th><td>401</td></tr>\n"
    "<tr><th>MESSAGE:</th><td>Unauthorized</td></tr>\n"
    "<tr><th>SERVLET:</th><td>water.api.RequestServer-5ccbeb64</td></tr>\n</table>\n\n</body>\n</html>\n"
)


def make_app(state: H2O3MockState | None = None) -> Starlette:
    """A fresh mock H2O-3 app over ``state`` (a new default state when None)."""
    state = state if state is not None else H2O3MockState()
    # routed by method, then path, as H2O-3 does; the most specific route first: POST /3/ModelBuilders/gbm before
    # the GET-only /3/ModelBuilders/{algo}
    router: Router[Handler] = Router(r for r in ROUTES if r[1] != handlers_export.DEPRECATED)
    # its {path} is a file's path, slashes and all, as a real server routes it
    router.add("GET", handlers_export.DEPRECATED, handlers_export.export_frame, segment=".+")
    wiring = Wiring(
        name="h2o3",
        router=router,
        decode=_decode,
        authenticate=_authenticate,
        unauthorized=_unauthorized,
        unrouted=lambda state, call, lookup: _invoke(state, _unrouted, call),
        invoke=_invoke,
        refusal=H2OError,
        refuse=_refuse,
        bug=_bug,
        render=_render,
        seen=lambda call: (call.json_body if call.is_json else None, call.form),
    )
    return build_app(state, wiring)


def _unrouted(state: H2O3MockState, call: Call) -> Reply:
    """A request no implemented route takes: judged against every route the real server documents."""
    found = routes.resource(call.path)
    if found is None:
        raise not_found(f"{call.method} {call.path} not found")
    allow = {"Allow": found.allow}
    if call.method == "OPTIONS":
        return Reply(None, content_type="", headers=allow)
    if routes.routed(call.path, call.method):
        # documented, but not one of the routes the mock implements
        error = not_found(f"{call.method} {call.path} not found: the mock does not implement {found.pattern}")
        return Reply(error.body(call.path, state.epoch_ms()), status=404, headers={UNIMPLEMENTED: found.pattern})
    if call.method == "HEAD":
        return Reply(None, status=405, content_type="", headers=allow)
    text = f"Method {call.method} is not allowed on {call.path}; {found.pattern} takes {found.allow}"
    error = H2OError(405, text, "java.lang.UnsupportedOperationException")
    return Reply(error.body(call.path, state.epoch_ms()), status=405, headers=allow)


def _decode(state: H2O3MockState, incoming: Incoming, lookup: Lookup[Handler]) -> Call:
    call = Call(
        method=incoming.method,
        path=incoming.path,
        path_params=lookup.params,
        query=dict(parse_qsl(incoming.query_string, keep_blank_values=True)),
        body=incoming.body,
        content_type=incoming.content_type,
        user_agent=incoming.user_agent,
    )
    if incoming.media_type == "application/x-www-form-urlencoded":
        call.form = dict(parse_qsl(incoming.body.decode("utf-8", errors="replace"), keep_blank_values=True))
    elif incoming.media_type == "application/json" and incoming.body.strip():
        call.is_json = True
        try:
            call.json_body = json.loads(incoming.body)
        except ValueError as exc:
            call.json_body = exc
        except RecursionError as exc:  # nested deeper than the parser goes: as malformed as any other
            call.json_body = ValueError(str(exc))
    return call


def _authenticate(state: H2O3MockState, incoming: Incoming) -> str | None:
    if state.credentials is None or basic_matches(incoming.authorization, state.credentials):
        return None
    return "Unauthorized"


def _unauthorized(state: H2O3MockState, incoming: Incoming, lookup: Lookup[Handler], problem: str) -> Reply:
    return Reply(
        JETTY_401.format(uri=incoming.path).encode("iso-8859-1", errors="replace"),
        status=401,
        content_type="text/html;charset=iso-8859-1",
        headers={"WWW-Authenticate": 'basic realm="H2O"', "Cache-Control": "must-revalidate,no-cache,no-store"},
    )


def _invoke(state: H2O3MockState, handler: Handler, call: Call) -> Reply:
    if isinstance(call.json_body, ValueError):
        raise bad_request(f"Malformed JSON body: {call.json_body}")
    state.settle()
    return handler(state, call)


def _error_url(lookup: Lookup[Handler]) -> str:
    return lookup.path if lookup.route is not None else f"{lookup.method} {lookup.path}"


def _refuse(state: H2O3MockState, incoming: Incoming, lookup: Lookup[Handler], err: H2OError) -> Reply:
    return Reply(err.body(_error_url(lookup), state.epoch_ms()), status=err.status)


def _bug(state: H2O3MockState, incoming: Incoming, lookup: Lookup[Handler], what: str) -> Reply:
    bug = bad_request(f"The mock could not handle this request: {what}")
    return Reply(bug.body(_error_url(lookup), state.epoch_ms()), status=400)


async def _render(state: H2O3MockState, incoming: Incoming, reply: Reply) -> Response:
    return _response(state, reply)


def _response(state: H2O3MockState, reply: Reply) -> Response:
    headers = {
        "X-h2o-build-project-version": data.VERSION,
        "X-h2o-rest-api-version-max": "3",
        "X-h2o-cluster-id": str(state.cloud_id),
        "X-h2o-cluster-good": "true",
        "X-Frame-Options": "deny",
        "X-XSS-Protection": "1; mode=block",
        "X-Content-Type-Options": "nosniff",
        **reply.headers,
    }
    if reply.body is None:
        content = b""
    elif isinstance(reply.body, bytes):
        content = reply.body
    else:
        content = encode(reply.body)
    response = Response(content, status_code=reply.status, headers=headers)
    if reply.content_type:
        # exactly application/json, no charset, as the real server (h2o-py tolerates both)
        response.headers["content-type"] = reply.content_type
    return response


def default_state(speed: float = 1.0, clock: Clock | None = None) -> H2O3MockState:
    """A state for a served mock: realistic job timings on wall time run ``speed`` times faster, no auth.

    ``clock`` replaces the wall-time clock (a ManualClock keeps every job where it was made).
    """
    return H2O3MockState(clock=clock or MonotonicClock(speed=speed))
