"""One module per command of ``lambda-lifecycle``, each with ``DETAILS``, ``add_arguments(parser)``
and ``run(args) -> int``, listed in ``lambda_lifecycle.cli.COMMANDS``. A command module imports
its heavy dependencies inside ``run`` only, so that listing and parsing commands stays cheap."""
