"""The demo's function, as it would be deployed: ``lambda-lifecycle demo`` puts the folder holding
this package on ``sys.path`` (Lambda's task root) and loads ``orders_demo/app.lambda_handler``
through the SDK's entry point, with no change to its code, so its init is measured as Lambda's is."""
