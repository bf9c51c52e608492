"""The package map of docs/architecture.rst, enforced: who may import whom, and Keras where."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "bilstm_emotion"

# Each part of the package and the parts it may import (besides itself). Lower layers
# never import higher ones; docs/architecture.rst draws the same map.
ALLOWED = {
    "core": set(),
    "datasets": {"core"},
    "faces": {"core"},
    "preprocessing": {"core", "datasets", "faces"},
    "model": {"core", "datasets", "preprocessing"},
    "analysis": {"core", "datasets", "model"},  # evaluation, inspection, plotting
    "monitoring": {"core", "datasets", "faces", "preprocessing", "model"},  # model: lazily
    "video": {"core", "datasets", "faces", "preprocessing", "monitoring"},
    "serving": {"core", "datasets", "faces", "preprocessing", "model", "monitoring", "video"},
    "cli": {
        "core",
        "datasets",
        "faces",
        "preprocessing",
        "model",
        "analysis",
        "monitoring",
        "video",
        "serving",
        "root",
    },
    "root": {"core", "model"},  # bilstm_emotion/__init__.py: the public names, lazily
}
ANALYSIS = {"evaluation", "inspection", "plotting"}
# The only modules that import Keras at their top: the network side of the package.
KERAS_AT_TOP = {"model", "faces/_network.py"}
# Parts that never import Keras, not even inside a function (but for the backend
# chooser's own ``backend_name()``).
NO_KERAS = {"core", "datasets", "preprocessing", "monitoring", "video", "serving", "root"}
LAZY_KERAS = {"core/_backend.py"}


def _part(module):
    """``bilstm_emotion.x.y`` -> the part of the map it belongs to."""
    parts = module.split(".")[1:]
    if parts[:1] == ["__main__"]:
        return "cli"  # python -m bilstm_emotion
    if not parts:
        return "root"
    return "analysis" if parts[0] in ANALYSIS else parts[0]


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        package = ["bilstm_emotion", *(parts if path.name == "__init__.py" else parts[:-1])]
        yield path, ".".join(["bilstm_emotion", *parts]), package


def _is_module(name):
    """Whether ``bilstm_emotion.x.y`` names a module or package of the source tree."""
    if not name.startswith("bilstm_emotion."):
        return False
    path = SRC.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path, package):
    """``(absolute module, at_top_level)`` for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            for alias in node.names:  # `from .. import preprocessing` imports a module
                module = f"{name}.{alias.name}"
                yield (module if _is_module(module) else name), id(node) in top


MODULES = list(_modules())


@pytest.mark.parametrize(("path", "module", "package"), MODULES, ids=[m for _, m, _ in MODULES])
def test_imports_follow_the_map(path, module, package):
    mine = _part(module)
    for name, at_top in _imports(path, package):
        rel = path.relative_to(SRC).as_posix()
        if name.split(".")[0] == "keras":
            assert mine not in NO_KERAS or (rel in LAZY_KERAS and not at_top), (
                f"{rel} imports keras; {mine} must not"
            )
            if at_top:
                assert mine in KERAS_AT_TOP or rel in KERAS_AT_TOP, (
                    f"{rel} imports keras at its top; only {sorted(KERAS_AT_TOP)} may"
                )
        if not name.startswith("bilstm_emotion"):
            continue
        theirs = _part(name)
        if theirs != mine:
            assert theirs in ALLOWED[mine], f"{rel} ({mine}) imports {name} ({theirs})"


def _import_graph():
    """``{module: {module it imports}}`` over the package, imports inside functions too."""
    names = {module for _, module, _ in MODULES}
    graph = {}
    for path, module, package in MODULES:
        graph[module] = set()
        for name, _ in _imports(path, package):
            parts = name.split(".")
            while parts and ".".join(parts) not in names:  # a name inside a module
                parts.pop()
            if parts and ".".join(parts) != module:
                graph[module].add(".".join(parts))
    return graph


def test_no_module_reaches_itself_through_its_imports():
    """No import cycle between any two modules (issue 48): an import inside a function
    hides a cycle from Python, not from the reader."""
    graph, done, path = _import_graph(), set(), []

    def visit(module):
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        path.append(module)
        for other in sorted(graph[module]):
            visit(other)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_the_cycle_check_sees_a_cycle_inside_a_function(monkeypatch):
    graph = _import_graph()
    assert "bilstm_emotion.model._config" in graph["bilstm_emotion.model._network"]
    # what issue 48 found: the config read the estimator's defaults inside a method
    looped = {**graph, "bilstm_emotion.model._config": {"bilstm_emotion.model._classifier"}}
    monkeypatch.setattr(sys.modules[__name__], "_import_graph", lambda: looped)
    with pytest.raises(pytest.fail.Exception, match=r"import cycle: .*_classifier"):
        test_no_module_reaches_itself_through_its_imports()


def test_every_module_is_on_the_map():
    # (no cap on a module's length: it made code be packed to fit, issue 48; one idea
    # per module is the measure, and docs/architecture.rst names each module's)
    for _path, module, _ in MODULES:
        assert _part(module) in ALLOWED, module


def _fresh(code):
    """Run ``code`` in a new interpreter and return what it printed as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_data_faces_and_the_command_line_load_no_keras():
    loaded = _fresh(
        "import json, sys\n"
        "import bilstm_emotion, bilstm_emotion.datasets, bilstm_emotion.faces\n"
        "import bilstm_emotion.preprocessing, bilstm_emotion.monitoring, bilstm_emotion.video\n"
        "from bilstm_emotion import EMOTIONS, PRETRAINED, pretrained_info, pretrained_params\n"
        "from bilstm_emotion.cli import build_parser\n"
        "from bilstm_emotion.evaluation import environment\n"
        "build_parser().format_help(); pretrained_info('conv-lite'); pretrained_params()\n"
        "env = environment()\n"
        "print(json.dumps([env['keras_backend'], env['predict_dtype_auto'], sorted(m for m in"
        " ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules)]))"
    )
    assert loaded == [None, None, []]


@pytest.mark.slow
def test_the_estimator_loads_on_first_use():
    result = _fresh(
        "import json, sys\n"
        "import bilstm_emotion\n"
        "before = 'keras' in sys.modules\n"
        "cls = bilstm_emotion.BiLSTMFaceEmotionClassifier\n"
        "print(json.dumps([before, 'keras' in sys.modules, cls.__name__,"
        " 'BiLSTMFaceEmotionClassifier' in dir(bilstm_emotion)]))"
    )
    assert result == [False, True, "BiLSTMFaceEmotionClassifier", True]


#: The keras-free side of ``model/``: what a shipped model predicts through (issue 45).
ONNX_ENGINE = (
    "bilstm_emotion.model._pretrained",
    "bilstm_emotion.model._onnx_classifier",
    "bilstm_emotion.model._persistence",
    "bilstm_emotion.faces._blazeface",
)


def test_the_onnx_engine_imports_no_keras_module_at_its_top():
    """What a shipped model needs to load, detect and predict reaches no module that
    imports Keras (through its top-level imports: ``engine="keras"`` imports the Keras
    side inside a function, when asked)."""
    names = {module for _, module, _ in MODULES}
    top, keras_modules = {}, set()
    for path, module, package in MODULES:
        top[module] = set()
        for name, at_top in _imports(path, package):
            if not at_top:
                continue
            if name.split(".")[0] == "keras" or name.endswith("._backend.load_keras"):
                keras_modules.add(module)
            parts = name.split(".")
            while parts and ".".join(parts) not in names:
                parts.pop()
            if parts:
                top[module].add(".".join(parts))
    keras_modules |= {m for m in names if m.endswith("model._keras")}
    for start in ONNX_ENGINE:
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(top.get(module, ()))
        assert not seen & keras_modules, f"{start} reaches {sorted(seen & keras_modules)}"


@pytest.mark.slow
def test_a_shipped_model_finds_and_reads_faces_without_a_backend(tmp_path):
    """``predict --demo`` as a user runs it: BlazeFace and the default model answer, and
    neither Keras nor any backend is imported (issue 45)."""
    out = tmp_path / "faces.json"
    loaded = _fresh(
        "import json, sys\n"
        "from bilstm_emotion.cli import main\n"
        f"code = main(['predict', '--demo', '--json', {str(out)!r}])\n"
        "print(json.dumps([code, sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch')"
        " if m in sys.modules)]))"
    )
    assert loaded == [0, []]
    assert [r["label"] for r in json.loads(out.read_text())] == ["happy"]


def test_an_unknown_attribute_is_an_attribute_error():
    import bilstm_emotion

    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        bilstm_emotion.Nope  # noqa: B018


def test_the_network_config_names_exactly_the_architecture_parameters():
    from bilstm_emotion import BiLSTMFaceEmotionClassifier
    from bilstm_emotion.model._config import NetworkConfig

    params = BiLSTMFaceEmotionClassifier().get_params()
    assert set(NetworkConfig.names()) <= set(params)
    config = NetworkConfig.from_params(params)
    assert config.row_hidden == params["row_hidden"]  # defaults come from the estimator
    with pytest.raises(TypeError, match="Received: \\['row_hiden'\\]"):
        NetworkConfig.from_params(row_hiden=3)
    with pytest.raises(ValueError, match="Received: stem_stride=0"):
        NetworkConfig.from_params(stem="conv", stem_stride=0)
    made_by_hand = {**config.__dict__, "dropout": 1.0}  # not through from_params
    with pytest.raises(ValueError, match=r"Received: dropout=1\.0"):
        NetworkConfig(**made_by_hand)


ROOT = SRC.parents[1]
# What uses the package from outside it: the benchmarks, the shipped models' recipe and
# its helpers, the gallery's examples. They import public names only, so that what they
# measure and how the shipped models are made is what a user can call.
OUTSIDE = sorted(
    [
        *ROOT.glob("benchmarks/**/*.py"),
        ROOT / "tools" / "train_fer2013.py",
        *ROOT.glob("tools/training/*.py"),
        *ROOT.glob("examples/*.py"),
    ]
)


def _private_names(path):
    """Every ``bilstm_emotion`` import of ``path`` that names a private module or name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bilstm_emotion"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            dunder = [p for p in parts if p.startswith("__") and p.endswith("__")]
            private = [p for p in parts[1:] if p.startswith("_") and p not in dunder]
            if parts[0] == "bilstm_emotion" and private:
                yield name


@pytest.mark.parametrize("path", OUTSIDE, ids=[p.relative_to(ROOT).as_posix() for p in OUTSIDE])
def test_benchmarks_tools_and_examples_use_the_public_api(path):
    assert list(_private_names(path)) == []


def test_the_public_api_check_sees_private_imports(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import bilstm_emotion.model._predicting\n"
        "from bilstm_emotion.core._registry import weights_dir\n"
        "from bilstm_emotion.model import _pretrained, load_pretrained\n"
        "from bilstm_emotion import pretrained_params, __version__\n"
    )
    assert list(_private_names(script)) == [
        "bilstm_emotion.model._predicting",
        "bilstm_emotion.core._registry.weights_dir",
        "bilstm_emotion.model._pretrained",
    ]
    assert len(OUTSIDE) > 25  # the globs found the scripts
