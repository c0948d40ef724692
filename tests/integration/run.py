"""Run every tests/integration/test_*.py; print 'N passed, N failed'."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
suite = unittest.defaultTestLoader.discover(here, pattern=pattern, top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2).run(suite)
# Counted by test method (a failing subTest fails its method once).
failed = len({getattr(t, "test_case", t).id()
              for t, _ in result.failures + result.errors} |
             {t.id() for t in result.unexpectedSuccesses})
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
print(f"integration: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or result.testsRun == 0 else 0)
