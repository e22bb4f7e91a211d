"""Imports behave exactly as without the init timing: one test per promise of issue 22.

Each test imports modules it writes into its own directory while an ``ImportTimer`` runs on this
thread, as it does during a function's init.
"""

from __future__ import annotations

import _frozen_importlib
import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import warnings
import zipfile

import pytest

from lambda_lifecycle import LifecycleWarning
from lambda_lifecycle._import_timing import ImportTimer


@pytest.fixture
def code(tmp_path, monkeypatch):
    """A directory on sys.path to write modules into; what they import is forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    importlib.invalidate_caches()

    def write(relative: str, text: str = "") -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        importlib.invalidate_caches()

    write.root = tmp_path
    yield write
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def timer():
    original = _frozen_importlib._find_and_load
    timing = ImportTimer()
    assert timing.start()
    yield timing
    timing.stop()
    assert _frozen_importlib._find_and_load is original


def timed(timer: ImportTimer) -> list[str]:
    return [i.name for i in timer.imports]


def test_loaders_and_specs_are_the_import_systems_own(code, timer):
    code("plain_mod.py", "X = 1\n")
    module = importlib.import_module("plain_mod")
    assert type(module.__loader__) is importlib.machinery.SourceFileLoader
    assert module.__spec__.loader is module.__loader__
    assert type(importlib.util.find_spec("plain_mod").loader) is importlib.machinery.SourceFileLoader
    assert timed(timer) == ["plain_mod"]


def test_zip_imports(code, timer, tmp_path, monkeypatch):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped_mod.py", "VALUE = 'from the zip'\n")
    monkeypatch.syspath_prepend(str(archive))
    import zipped_mod

    assert zipped_mod.VALUE == "from the zip"
    assert type(zipped_mod.__loader__).__name__ == "zipimporter"
    assert "zipped_mod" in timed(timer)


def test_namespace_packages(code, timer):
    code("nspkg/inner.py", "VALUE = 2\n")
    from nspkg import inner

    assert inner.VALUE == 2
    assert sys.modules["nspkg"].__file__ is None  # a namespace package, no __init__
    assert timed(timer) == ["nspkg", "nspkg.inner"]


class _StringFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A user's meta-path finder: modules made from strings."""

    def find_spec(self, name, path=None, target=None):
        if name == "made_from_string":
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.VALUE = "made"


def test_custom_meta_path_finders(code, timer, monkeypatch):
    finder = _StringFinder()
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    import made_from_string

    assert made_from_string.VALUE == "made"
    assert made_from_string.__loader__ is finder
    assert sys.meta_path[0] is finder
    assert "made_from_string" in timed(timer)


def test_custom_path_hooks(code, timer, monkeypatch):
    class EntryFinder(importlib.abc.PathEntryFinder):
        def find_spec(self, name, target=None):
            if name == "hooked_mod":
                return importlib.util.spec_from_loader(name, _StringFinder())
            return None

    def hook(entry):
        if entry != "special-entry":
            raise ImportError
        return EntryFinder()

    monkeypatch.setattr(sys, "path_hooks", [hook, *sys.path_hooks])
    monkeypatch.setattr(sys, "path", ["special-entry", *sys.path])
    sys.path_importer_cache.pop("special-entry", None)
    import hooked_mod

    assert hooked_mod.VALUE == "made"
    assert type(sys.path_importer_cache["special-entry"]) is EntryFinder
    assert "hooked_mod" in timed(timer)


def test_lazy_loaders(code, timer):
    code("lazy_mod.py", "import builtins\nbuiltins.lazy_ran = True\nVALUE = 3\n")
    spec = importlib.util.find_spec("lazy_mod")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lazy_mod"] = module
    loader.exec_module(module)
    assert not hasattr(builtins, "lazy_ran")  # nothing ran yet
    assert module.VALUE == 3
    del builtins.lazy_ran


def test_reload(code, timer):
    code("reloaded_mod.py", "COUNT = 1\n")
    import reloaded_mod

    code.root.joinpath("reloaded_mod.py").write_text("COUNT = 2\n")
    importlib.invalidate_caches()
    sys.modules["reloaded_mod"].__cached__ = None
    assert importlib.reload(reloaded_mod).COUNT == 2


def test_a_module_that_replaces_itself_in_sys_modules(code, timer):
    code("self_replacing.py", "import sys\nclass Other:\n    VALUE = 4\nsys.modules[__name__] = Other()\n")
    import self_replacing

    assert type(self_replacing).__name__ == "Other"
    assert self_replacing.VALUE == 4


def test_threads_importing_at_the_same_time(code, timer):
    code("slow_shared.py", "import time\ntime.sleep(0.2)\nLOADS = 1\n")
    code("other_thread_mod.py", "import slow_shared\n")
    results = []

    def load(name):
        results.append(importlib.import_module(name))

    threads = [threading.Thread(target=load, args=(name,)) for name in ("slow_shared", "other_thread_mod")]
    for thread in threads:
        thread.start()
    import slow_shared

    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)  # no deadlock
    assert len(results) == 2
    assert slow_shared.LOADS == 1
    assert "other_thread_mod" not in timed(timer)  # only the thread that loads the handler is timed


def test_a_users_profile_and_trace_functions(code, timer):
    code("profiled_mod.py", "def f():\n    return 1\nf()\n")
    seen = []

    def profile(frame, event, arg):
        if event == "call":
            seen.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        import profiled_mod  # noqa: F401
    finally:
        sys.setprofile(None)
    assert "f" in seen
    assert sys.gettrace() is None or sys.gettrace() is not timer  # nothing of ours is traced


def test_a_users_import_replacement(code, timer, monkeypatch):
    code("through_users_import.py", "")
    calls = []
    original = builtins.__import__

    def counting(name, *args, **kwargs):
        calls.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", counting)
    import through_users_import  # noqa: F401

    assert "through_users_import" in calls
    assert "through_users_import" in timed(timer)
    assert builtins.__import__ is counting


def test_a_warning_at_import_names_the_importing_file(code, timer):
    code("warner.py", "import warnings\nwarnings.warn('old API', DeprecationWarning, stacklevel=2)\n")
    code("importer_of_warner.py", "import warner\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import importer_of_warner  # noqa: F401
    [warning] = [w for w in caught if str(w.message) == "old API"]
    assert warning.filename.endswith("importer_of_warner.py")
    assert warning.lineno == 1


def test_the_import_system_is_as_it_was_after_init(code):
    before = (list(sys.meta_path), list(sys.path_hooks), list(sys.path), _frozen_importlib._find_and_load)
    timing = ImportTimer()
    timing.start()
    code("during_init.py", "")
    import during_init  # noqa: F401

    timing.stop()
    assert (list(sys.meta_path), list(sys.path_hooks), list(sys.path), _frozen_importlib._find_and_load) == before


def test_an_import_error_and_an_exception_at_import_pass_through_unchanged(code, timer):
    code("raising_mod.py", "raise ValueError('at import')\n")
    with pytest.raises(ModuleNotFoundError) as missing:
        import no_such_module_here  # noqa: F401
    assert missing.value.name == "no_such_module_here"
    with pytest.raises(ValueError, match="at import"):
        import raising_mod  # noqa: F401
    assert "raising_mod" not in sys.modules
    assert [i.took >= 0 for i in timer.imports] == [True, True]


def test_a_failure_of_the_timing_turns_it_off_with_one_warning(code, timer):
    code("after_failure.py", "VALUE = 5\n")
    code("after_failure_too.py", "")
    timer.imports = None  # the timing breaks
    with pytest.warns(LifecycleWarning, match="cannot time init's imports") as warned:
        import after_failure
        import after_failure_too  # noqa: F401
    assert len(warned) == 1
    assert after_failure.VALUE == 5
    assert not timer.running
