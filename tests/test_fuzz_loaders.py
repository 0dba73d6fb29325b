"""Property-based fuzzing of every file loader (hypothesis).

Each case damages a valid file with a few mutations; the loader must return
or raise FormatError naming the file (tools/fuzz_formats.py). A few hundred
cases per format here; ``tools/fuzz_loaders.py --cases 20000`` runs long.
"""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tools.fuzz_formats import FORMATS, KINDS, apply, run_case

from mxlite.base import FormatError

MUTATIONS = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 1 << 16), st.integers(0, 1 << 32)),
    min_size=1, max_size=4,
)
_BLOBS = {name: fmt.make() for name, fmt in FORMATS.items()}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_valid_file_loads(name, tmp_path):
    assert run_case(FORMATS[name], _BLOBS[name], str(tmp_path / "good")) == "loaded"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_cut_file_is_a_format_error_naming_it(name, tmp_path):
    blob = _BLOBS[name]
    path = tmp_path / "cut-file"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FormatError, match="cut-file"):
        FORMATS[name].load(str(path))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_damaged_file_loads_or_is_a_format_error(name):
    fmt, blob = FORMATS[name], _BLOBS[name]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"fuzzed-{name}")

        @settings(max_examples=200, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(MUTATIONS)
        def check(mutations):
            outcome = run_case(fmt, apply(blob, mutations), path)
            assert outcome in ("loaded", "FormatError"), outcome

        check()


def test_mutations_change_the_bytes_they_name():
    blob = bytes(16)
    assert apply(blob, [("byte", 3, 0xAB)])[3] == 0xAB
    assert apply(blob, [("cut", 5, 0)]) == bytes(5)
    assert apply(blob, [("int32", 0, 6)])[:4] == (0x7FFF_FFFF).to_bytes(4, "big")
    assert len(apply(blob, [("repeat", 0, 4)])) == 20
