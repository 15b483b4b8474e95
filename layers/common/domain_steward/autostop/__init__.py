"""Auto-stop: the sweep that stops idle SageMaker apps of every type under one policy (issue 8).

``sweep`` drives it: ``signals`` say how long each app has been idle, ``policy`` decides keep, warn or stop,
``state`` keeps warnings and the sweep's cursor in DynamoDB, ``report`` explains every decision.
"""
