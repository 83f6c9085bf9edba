"""``bench load`` sums the memory of the API's process tree: PSS counts shared pages once."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.load.probes import pss_bytes, rss_bytes


def test_a_tree_of_processes_sharing_their_interpreter_has_less_pss_than_rss() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == b"up\n"
            rss, pss = rss_bytes(os.getpid()), pss_bytes(os.getpid())
            assert pss > 0
            # both processes map the same interpreter and libraries: each counted once in PSS
            assert pss < rss
            assert pss_bytes(child.pid) < rss_bytes(child.pid)
        finally:
            child.kill()
