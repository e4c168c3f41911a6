import os
import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# The suite's property tests draw from a fixed seed per test by default ("ci"), so a run of the
# suite is reproducible and CI reports the same cases every time.  To hunt for new counterexamples
# with fresh random draws, run `RFSYM_HYPOTHESIS=explore ./dev test` (docs/testing.md).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("RFSYM_HYPOTHESIS", "ci"))
