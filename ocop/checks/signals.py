"""What the checks announce to the rest of the app, which subscribes where the app is made
(blinker signals, as Flask's own: https://flask.palletsprojects.com/en/stable/signals/)."""

from blinker import Namespace

signals = Namespace()
# Sent with the app as sender and `run=` the CheckRun, once a run is done or failed and
# committed (a subscriber must not raise: the run has ended either way).
run_finished = signals.signal("run-finished")
