# Runs CPython's own tests (Lib/test) inside a padcell cell and prints one line of counts per
# module: name, run, failures, errors, skipped. tests/cpython_suite.rs grants the source tree's
# Lib read-only at /lib (the module root for `test`) and a scratch directory read-write at /tmp.
import io, os, sys, time, unittest, importlib

os.chdir(os.environ.get("TMPDIR", "/tmp"))
for name in sys.argv[1:]:
    started = time.perf_counter()
    try:
        module = importlib.import_module("test." + name)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    except Exception as error:
        print(f"{name}\t0\t0\t1\t0\t0.0\timport failed: {error!r}")
        continue
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)
    took = time.perf_counter() - started
    print(f"{name}\t{result.testsRun}\t{len(result.failures)}\t{len(result.errors)}\t{len(result.skipped)}\t{took:.1f}")
    for test, trace in result.failures + result.errors:
        last = trace.strip().splitlines()[-1]
        print(f"#\t{name}\t{test.id()}\t{last[:200]}")
