"""Tools for developers, not what advisers run: ``bench`` (speed and memory on a maximal
account, ``make bench``), ``bench_reports`` (the time of ``report``, ``make bench-reports``)
and ``evaluate_labels`` (the label rules against the sample story's truth)."""
