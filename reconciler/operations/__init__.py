"""What imgb does, as functions of a request that return data: plan, apply, import, state surgery,
locks and workspaces (Terraform's ``backend/local`` operations).

Each one takes a ``Project`` (one configuration directory: its configuration, state and
providers), the request's values, and where it must talk to the person running it a view
(``views.py``): what to show, what to ask. It never prints and never exits; user problems are
raised as ``DiagnosticError`` or ``OperationError``. ``reconciler/cli.py`` turns flags into
requests, and results, errors and exit codes into output.
"""
