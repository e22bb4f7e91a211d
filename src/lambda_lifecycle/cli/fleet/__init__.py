"""Many functions at once: which functions a command reads (``choice``), the Logs Insights
queries over them in batches of log groups (``queries``, ``batches``), the fleet report
(``table``), and the fleet dashboard and alarms (``cloudwatch``). Tools only: nothing here runs
inside a function."""
