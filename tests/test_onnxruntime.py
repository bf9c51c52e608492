"""core/_onnxruntime.py: the one way sessions are made (issue 45)."""

import numpy as np
import pytest

from bilstm_emotion.core import _onnxruntime
from bilstm_emotion.core._onnxruntime import exact_int8_needed, inference_session
from bilstm_emotion.core._registry import weights_dir


def _cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nflags\t\t: fpu sse4_1 avx2 {flags}\n")
    return str(path)


def test_the_exact_int8_kernel_is_asked_for_only_where_vnni_is_not_known(tmp_path):
    assert exact_int8_needed(_cpuinfo(tmp_path, "avx512f")) is True  # AVX-512, no VNNI
    vnni = tmp_path / "vnni"
    vnni.mkdir()
    assert exact_int8_needed(_cpuinfo(vnni, "avx512f avx512_vnni")) is False
    assert exact_int8_needed(str(tmp_path / "no-cpuinfo")) is True  # not Linux: not known


@pytest.mark.parametrize("needed", [False, True])
def test_both_kernels_give_the_shipped_graph_the_same_answers(monkeypatch, needed):
    """Where the exact kernel is taken, the session says so, and answers as the fast one
    does where that one is exact (on a CPU with VNNI; without, the fast one is what
    saturates, and is never taken)."""
    vnni_here = not exact_int8_needed()
    monkeypatch.setattr(_onnxruntime, "exact_int8_needed", lambda: needed)
    session = inference_session(weights_dir() / "conv-lite.onnx")
    options = session.get_session_options()
    if needed:
        assert options.get_session_config_entry("session.x64quantprecision") == "1"
    else:
        with pytest.raises(RuntimeError, match="does not have configuration"):
            options.get_session_config_entry("session.x64quantprecision")
    faces = np.random.default_rng(0).integers(0, 256, (8, 48, 48), dtype=np.uint8)
    got = session.run(None, {"faces": faces})[0]
    monkeypatch.setattr(_onnxruntime, "exact_int8_needed", lambda: True)
    reference = inference_session(weights_dir() / "conv-lite.onnx").run(None, {"faces": faces})
    if vnni_here or needed:
        np.testing.assert_allclose(got, reference[0], atol=1e-6)
