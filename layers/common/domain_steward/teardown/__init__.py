"""The teardown workflow's logic: plan, mark, delete stage by stage, clean up the leftovers, report.

Each Step Functions task calls one function of this package with AWS clients it is given, so the logic runs
unchanged against the local cloud in tests.
"""
