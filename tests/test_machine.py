"""The machine record (bilstm_emotion.core._machine)."""

from bilstm_emotion.core._machine import SPEED_FLAGS, cpu_flags, cpu_model, machine

CPUINFO = """processor\t: 0
model name\t: Some CPU with avx512_bf16 in its name
flags\t\t: fpu sse2 avx2 fma avx512f

processor\t: 1
model name\t: Some CPU with avx512_bf16 in its name
flags\t\t: fpu sse2 avx2 fma avx512f
"""


def test_flags_and_model_are_read_from_their_own_lines(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    flags = cpu_flags(path)
    assert {"avx2", "fma", "avx512f"} <= flags and "avx512_bf16" not in flags
    assert "flags" not in flags and ":" not in flags
    assert cpu_model(path) == "Some CPU with avx512_bf16 in its name"
    assert cpu_flags(tmp_path / "missing") == set()  # macOS, Windows: no cpuinfo


def test_the_record_keeps_the_flags_that_change_speed():
    record = machine()
    assert set(record) == {"machine", "processor", "cpu", "cpu_count", "python"}
    assert set(record["cpu"]["flags"]) <= set(SPEED_FLAGS)
    assert record["cpu"]["flags"] == [f for f in SPEED_FLAGS if f in cpu_flags()]
