from __future__ import annotations

import h2oharness


def test_all_names_exist_and_are_unique() -> None:
    assert len(h2oharness.__all__) == len(set(h2oharness.__all__))
    for name in h2oharness.__all__:
        assert hasattr(h2oharness, name), name


def test_public_names_are_exported_and_nothing_else_leaks() -> None:
    public = {name for name in vars(h2oharness) if not name.startswith("_")}
    # submodules are attributes of the package once imported; they are not part of the surface
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(h2oharness.__path__)} | {"annotations"}
    assert public - modules == set(h2oharness.__all__)


def test_exceptions_fall_into_the_two_trees() -> None:
    for name in h2oharness.__all__:
        obj = getattr(h2oharness, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, h2oharness.HarnessError) != issubclass(obj, h2oharness.ContractViolation), name


def test_stream_violations_are_contract_violations_and_tell_server_errors_from_cuts() -> None:
    for name in ("StreamViolation", "StreamCut", "StreamServerError", "JsonlStream", "SseStream", "open_stream"):
        assert name in h2oharness.__all__, name
    assert issubclass(h2oharness.StreamViolation, h2oharness.ContractViolation)
    assert issubclass(h2oharness.StreamCut, h2oharness.StreamViolation)
    assert issubclass(h2oharness.StreamServerError, h2oharness.StreamViolation)
    assert not issubclass(h2oharness.StreamServerError, h2oharness.StreamCut)
