"""A running cell releases the GIL: cells on a thread pool run at the same time."""

import concurrent.futures
import threading
import time

import padcell

SPIN = "n = 0\nfor i in range(2_000_000):\n    n += i\nn"


def test_sixteen_cells_in_a_thread_pool_overlap(sup):
    policy = padcell.Policy(timeout=60)

    def one(i):
        with sup.cell(policy, args=[str(i)]) as cell:
            start = time.monotonic()
            cell.exec(SPIN)
            value = cell.eval("n + int(__import__('sys').argv[0])")
            return start, time.monotonic(), value

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(16)))
    expected = sum(range(2_000_000))
    assert [v for _, _, v in results] == [expected + i for i in range(16)]
    # Some cell started before another finished: they ran together, not one after another.
    events = sorted([(s, 1) for s, _, _ in results] + [(e, -1) for _, e, _ in results])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak >= 2


def test_the_gil_is_free_while_a_cell_runs(sup):
    counter = 0
    stop = threading.Event()

    def count():
        nonlocal counter
        while not stop.is_set():
            counter += 1

    with sup.cell(padcell.Policy(timeout=60)) as cell:
        t = threading.Thread(target=count)
        t.start()
        try:
            before = counter
            cell.exec(SPIN)
            during = counter - before
        finally:
            stop.set()
            t.join()
    assert during > 1000     # the other thread ran Python the whole time


def test_one_cell_shared_by_threads_runs_one_call_at_a_time(sup):
    with sup.cell() as cell:
        cell.exec("total = 0\ndef add(n):\n    global total\n    total += n\n    return total")
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: cell.call("add", n), range(100)))
        assert cell.eval("total") == sum(range(100))
