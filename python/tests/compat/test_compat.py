"""The Quiver half of the differential suite, run by `make test`: Quiver against stored PySpark answers.

Every program that status.json marks as passing must still pass (a regression gate). Programs marked
failing still run; if one starts passing the test says so (xfail/XPASS is not used, to keep the gate
strict), and `run_compat.py --engine quiver --update-status` locks it in.
"""

from __future__ import annotations

import pytest

import harness
import programs
from conftest import RESULTS

programs.bind("quiver")
STATUS = harness.load_status()


def test_the_suite_is_big_enough_and_its_status_names_real_programs():
    assert len(harness.PROGRAMS) >= 150
    stale = [name for name in STATUS if name not in harness.PROGRAMS]
    assert not stale, f"status.json names programs that no longer exist: {stale}; run `make compat-status`"


@pytest.mark.parametrize("name", sorted(harness.PROGRAMS))
def test_program_matches_pyspark(compat_spark, name):
    prog = harness.PROGRAMS[name]
    if harness.load_expected(name) is None:
        pytest.skip("PySpark's answer is not recorded yet: run `make compat` (resumable)")
    ok, reason = harness.run_on_quiver(compat_spark, prog)
    RESULTS[name] = ok
    marked_passing = STATUS.get(name, {}).get("pass", False)
    if marked_passing:
        assert ok, f"{name} passed before (status.json) and now differs from PySpark: {reason}"
