"""Measures the package from Python, for comparison with the Rust benches (docs/performance.md).

    target/venv/bin/python -P python/bench.py     # -P: the installed package, not python/padcell

(a) a new cell + print('hi') + its output, median; (b) cells per second from a thread pool of
1 and 2 threads; (c) a session's cell.call of f(x) = x + 1, median; a Bastion method call from
inside a cell, per call.
"""

import concurrent.futures
import statistics
import time

import padcell


def median_us(f, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6, sorted(times)[int(n * 0.99) - 1] * 1e6


def main():
    sup = padcell.Supervisor()
    policy = padcell.Policy()

    def hello():
        c = sup.cell(policy)
        c.exec("print('hi')")
        assert c.stdout == b"hi\n"
        c.close()

    def timed_hello():
        # As the Rust bench's (a): the cell's close is not timed.
        t = time.perf_counter()
        c = sup.cell(policy)
        c.exec("print('hi')")
        assert c.stdout == b"hi\n"
        took = time.perf_counter() - t
        c.close()
        return took

    for _ in range(50):
        hello()
    times = sorted(timed_hello() for _ in range(2000))
    print(f"(a) new cell + print('hi'), median: {statistics.median(times) * 1e3:.2f} ms "
          f"(p99 {times[int(len(times) * 0.99)] * 1e3:.2f} ms; close not timed, as in the Rust bench)")
    med, _ = median_us(hello, 500)
    print(f"    the same with close(): {med / 1000:.2f} ms")

    for threads in (1, 2):
        n = 600
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _: hello(), range(50)))
            t = time.perf_counter()
            list(pool.map(lambda _: hello(), range(n)))
            rate = n / (time.perf_counter() - t)
        print(f"(b) cells per second, {threads} thread{'s' if threads > 1 else ''}: {rate:.0f}/s")

    with sup.cell(policy) as c:
        c.exec("def f(x):\n    return x + 1")
        for _ in range(1000):
            c.call("f", 1)
        med, _ = median_us(lambda: c.call("f", 1), 20000)
        print(f"(c) cell.call of f(x) = x + 1, median: {med:.1f} us")

    class Counter:
        def __init__(self):
            self.n = 0

        def inc(self, k):
            self.n += k
            return self.n

    calls = 2000
    with sup.cell(padcell.Policy(objects={"counter": padcell.Bastion(Counter())})) as c:
        c.exec("import padcell, time\ncounter = padcell.host('counter')\n"
               "def run(n):\n    t = time.perf_counter()\n    for i in range(n):\n        counter.inc(1)\n"
               "    return time.perf_counter() - t")
        c.call("run", 200)
        per_call = statistics.median(c.call("run", calls) / calls for _ in range(7))
        print(f"Bastion method call from inside a cell: {per_call * 1e6:.1f} us")


if __name__ == "__main__":
    main()
